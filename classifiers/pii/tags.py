"""PERSON / LOCATION / ORGANIZATION token tags, shared by the two NER heads (the one over Rampart's
hidden states, :mod:`.ner_head`, and the token head on the classifier encoder, :mod:`classifiers.token_head`):
the BIO tag set, reading a head's weights file, and turning per-token tags into spans.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: BIO tags of both heads, in the order of their output units.
TAGS = ("O", "B-PERSON", "I-PERSON", "B-LOCATION", "I-LOCATION", "B-ORGANIZATION", "I-ORGANIZATION")


def load_tag_weights(file: str | Path, *, missing: str) -> dict[str, Any]:
    """The arrays of a head's npz file (float16 read as float32), refused unless its ``tags`` are TAGS.

    ``missing`` says what to do when the file is not there (how to train it, what to configure instead).
    """
    from classifiers.lora import read_npz

    try:
        out = read_npz(file)
    except FileNotFoundError:
        raise FileNotFoundError(f"{file} is missing: {missing}") from None
    if tuple(str(t) for t in out["tags"]) != TAGS:
        raise ValueError(f"{file}: tags {list(out['tags'])} differ from {list(TAGS)}; retrain it")
    return out


def decode_words(text: str, enc: Any, labels: Sequence[int], scores: Sequence[float], *,
                 min_score: float, join_handles: bool = False) -> list[tuple[str, int, int, float]]:
    """Spans ``(type, start, end, mean score)`` from per-token tags of one text.

    ``enc`` is the tokenizer's encoding of ``text`` (word ids and character offsets); ``labels``
    (indices into TAGS) and ``scores`` (their probabilities) are per token, without [CLS]/[SEP].
    Each word takes the tag of its first sub-token (below ``min_score`` it counts as O); I- words
    extend the open span of their type when only spaces (no line break) lie between them, anything
    else starts a new one. With ``join_handles`` a word of the open type right after a lone "@"
    extends it too: a user handle is one name.
    """
    spans: list[list[Any]] = []  # [kind, start, end, score sum, words]
    open_kind = "O"
    last_word = None
    for t, (word_id, (start, end)) in enumerate(zip(enc.word_ids, enc.offsets)):
        if t >= len(labels) or end <= start:
            continue
        if word_id is not None and word_id == last_word:
            if open_kind != "O":
                spans[-1][2] = end  # later sub-words extend the word
            continue
        last_word = word_id
        tag = TAGS[labels[t]]
        if tag == "O" or scores[t] < min_score:
            open_kind = "O"
            continue
        kind = tag[2:]
        gap = text[spans[-1][2]:start] if spans else ""
        joins = open_kind == kind and gap.strip() == "" and "\n" not in gap
        # The tokenizer splits "@" off a handle, and a model often starts the handle anew (B-) after it.
        handle = join_handles and joins and text[spans[-1][1]:spans[-1][2]] == "@"
        if (tag.startswith("I-") and joins) or handle:
            spans[-1][2] = end
            spans[-1][3] += float(scores[t])
            spans[-1][4] += 1
        else:
            spans.append([kind, start, end, float(scores[t]), 1])
        open_kind = kind
    return [(kind, start, end, total / n) for kind, start, end, total, n in spans]


def best_window_tags(count: int, windows: list[tuple[int, int, Any]]) -> tuple[list[int], list[float]]:
    """Per token of a text: (label id, probability), each from the window ``(start, end, probs)``
    where the token sits farthest from an edge."""
    import numpy as np

    labels, scores = np.zeros(count, dtype=np.int64), np.zeros(count)
    margin = np.full(count, -1)
    for start, end, probs in windows:
        positions = np.arange(start, end)
        m = np.minimum(positions - start, end - 1 - positions)
        better = m > margin[start:end]
        idx = positions[better]
        margin[idx] = m[better]
        labels[idx], scores[idx] = probs.argmax(-1)[better], probs.max(-1)[better]
    return labels.tolist(), scores.tolist()
