"""The token head: PERSON / LOCATION / ORGANIZATION tags read from the classifier encoder's own pass.

The encoder pass that feeds the toxicity and bias heads also feeds this head, so names, places and
organisations cost no second model pass. The encoder stays as the sequence heads were trained on it
(frozen); the head adds what a token task needs on top of a sentence encoder:

* **Several layers.** The last layer of a sentence-similarity encoder has pooled much of the word
  identity away; the head reads the hidden states of layers ``layers`` (0 = the embeddings, 6 = the
  last), concatenated and projected to ``dim``.
* **Word shapes.** The encoder is uncased, yet capitals carry much of NER. Each token gets the shape of
  its word in the original text (:func:`word_shapes`): lower case, Capitalised, Capitalised at a
  sentence start, ALL CAPS, or mixed (``iPhone``, ``McDonald``), added as a learnt vector.
* **Context.** A convolution over each token and its ``conv`` - 1 neighbours says what stands right
  before and after it (the self-attention below has no positions of its own: in a text that repeats a
  name, every "Merkel" looked alike and lost track of its own "Angela"); then ``blocks`` small
  self-attention blocks (``heads`` heads, feed-forward ``ffn`` x ``dim``) let the words of the
  neighbourhood decide a tag, and a linear layer gives the 7 BIO tags of :data:`classifiers.pii.tags.TAGS`.

It is small (about 0.4 M parameters at ``dim`` 256, one block), so it ships in the repository
(``classifiers/weights/token_head.npz``, float16) and runs inside the encoder's exported graph.
Trained by ``guardstream train-ner`` (:mod:`classifiers.train_token_head`).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.pii.tags import TAGS

TOKEN_HEAD_NAME = "token_head.npz"
#: Word shapes, in the order of the head's shape vectors (index 0 is also used for [CLS] / [SEP] / padding).
SHAPES = ("lower", "capitalised", "capitalised_at_sentence_start", "all_caps", "mixed")
#: Characters after which a capital says nothing about the word (it starts a sentence or a quote).
_SENTENCE_END = frozenset(".!?:;\"'()[]\n\r\u201c\u201d\u2018\u2019")
#: How far back to look for the character before a word (a run of spaces longer than this counts as a start).
_LOOKBACK = 32
TRAIN_HINT = "guardstream train-ner --data-dir ../shared/datasets"


def word_shape(text: str, start: int, end: int) -> int:
    """Index into :data:`SHAPES` of the word ``text[start:end]``."""
    word = text[start:end]
    upper = lower = 0
    first_upper = False
    for i, c in enumerate(word):
        if c.isupper():
            upper += 1
            first_upper = first_upper or i == 0
        elif c.islower():
            lower += 1
    if upper == 0:
        return 0
    if lower == 0:
        return 3 if upper >= 2 else (_capitalised(text, start) if first_upper else 0)
    if first_upper and upper == 1:
        return _capitalised(text, start)
    return 4


def _capitalised(text: str, start: int) -> int:
    before = text[max(0, start - _LOOKBACK):start].rstrip()
    return 2 if not before or before[-1] in _SENTENCE_END else 1


def word_shapes(text: str, encoding: Any) -> list[int]:
    """Shape index of each token's word (tokenizer ``encoding`` of ``text``, without special tokens).

    Every sub-token of a word gets the word's shape: the head sees "McDonald" as one mixed-case word
    even though the tokenizer splits it.
    """
    spans: dict[int, list[int]] = {}
    words = encoding.word_ids
    for word, (start, end) in zip(words, encoding.offsets):
        if word is None:
            continue
        span = spans.get(word)
        if span is None:
            spans[word] = [start, end]
        else:
            span[1] = max(span[1], end)
    shape = {word: word_shape(text, s, e) for word, (s, e) in spans.items()}
    return [0 if word is None else shape[word] for word in words]


def build_head(*, layers: Sequence[int], dim: int, blocks: int, heads: int, ffn: int, hidden: int, conv: int = 0,
               dropout: float = 0.1) -> Any:
    """The torch module ``(hidden_states [batch, layer, tokens, hidden], mask, shapes) -> tag logits``.

    Written with plain operations (no fused attention), so it exports to ONNX and quantizes like the
    encoder does.
    """
    import torch

    class Block(torch.nn.Module):
        """Post-norm self-attention block (as ``torch.nn.TransformerEncoderLayer``), GELU feed-forward."""

        def __init__(self) -> None:
            super().__init__()
            self.qkv = torch.nn.Linear(dim, 3 * dim)
            self.proj = torch.nn.Linear(dim, dim)
            self.norm1 = torch.nn.LayerNorm(dim)
            self.ff1 = torch.nn.Linear(dim, ffn * dim)
            self.ff2 = torch.nn.Linear(ffn * dim, dim)
            self.norm2 = torch.nn.LayerNorm(dim)
            self.drop = torch.nn.Dropout(dropout)

        def forward(self, x: Any, bias: Any) -> Any:
            b, t, _ = x.shape
            q, k, v = self.qkv(x).reshape(b, t, 3, heads, dim // heads).permute(2, 0, 3, 1, 4)
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dim // heads) + bias, dim=-1)
            ctx = (self.drop(att) @ v).transpose(1, 2).reshape(b, t, dim)
            x = self.norm1(x + self.drop(self.proj(ctx)))
            return self.norm2(x + self.drop(self.ff2(self.drop(torch.nn.functional.gelu(self.ff1(x))))))

    class TokenHead(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("layer_index", torch.tensor(list(layers), dtype=torch.long), persistent=False)
            self.inp = torch.nn.Linear(hidden * len(layers), dim)
            self.shape = torch.nn.Embedding(len(SHAPES), dim)
            self.norm = torch.nn.LayerNorm(dim)
            self.drop = torch.nn.Dropout(dropout)
            self.conv = torch.nn.Conv1d(dim, dim, conv, padding=conv // 2) if conv else None
            self.blocks = torch.nn.ModuleList(Block() for _ in range(blocks))
            self.out = torch.nn.Linear(dim, len(TAGS))

        def forward(self, states: Any, mask: Any, shapes: Any) -> Any:
            """``states``: [batch, layers, tokens, hidden] of the chosen layers; ``mask`` 1 on real tokens."""
            b, n, t, h = states.shape
            x = self.inp(states.permute(0, 2, 1, 3).reshape(b, t, n * h)) + self.shape(shapes)
            x = self.drop(self.norm(x))
            real = mask.unsqueeze(-1).to(x.dtype)
            if self.conv is not None:  # padding contributes zeros to its neighbours
                x = x + self.conv((x * real).transpose(1, 2)).transpose(1, 2)
            # Padding gets a large negative score (not -inf: a fully padded row must not give NaN).
            bias = (1.0 - mask[:, None, None, :].to(x.dtype)) * -1e4
            for block in self.blocks:
                x = block(x, bias)
            return self.out(x)

    return TokenHead()


#: Scalars stored with the weights that say how to rebuild the module.
ARCH_KEYS = ("layers", "dim", "blocks", "heads", "ffn", "hidden", "conv")


def head_arrays(module: Any, arch: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The module's weights (``w.<name>``) and its architecture, ready for ``np.savez``."""
    out = {f"w.{k}": v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}
    out.update({k: np.array(arch[k]) for k in ARCH_KEYS})
    out["tags"] = np.array(TAGS)
    return out


def architecture(arrays: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of :func:`build_head` stored in a weights file."""
    return {k: (tuple(int(x) for x in np.atleast_1d(arrays[k])) if k == "layers" else int(arrays[k]))
            for k in ARCH_KEYS if k in arrays}


def load_head(file: str | Path) -> tuple[Any, dict[str, Any]]:
    """``(module in eval mode, arrays)`` from a token head file written by ``guardstream train-ner``."""
    import torch

    from classifiers.pii.tags import load_tag_weights

    arrays = load_tag_weights(file, missing=f"train it with `{TRAIN_HINT}`, or set classifiers.pii.ner: none")
    module = build_head(**architecture(arrays))
    state = {k[2:]: torch.from_numpy(np.asarray(v, np.float32)) for k, v in arrays.items() if k.startswith("w.")}
    module.load_state_dict(state)
    return module.eval(), arrays
