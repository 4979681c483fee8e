"""NER from the classifier encoder's pass: PERSON / LOCATION / ORGANIZATION / ADDRESS findings.

The token head (:mod:`classifiers.token_head`) gives tag probabilities per token of each encoder
window; here they become findings with exact character offsets:

* each token keeps the prediction of the window in which it sits farthest from an edge (texts longer
  than a window are read in overlapping windows);
* each word takes the tag of its first sub-token; I- words join the open span of their type; a lone
  "@" and the handle after it are one PERSON (:func:`classifiers.pii.tags.decode_words`);
* place pieces joined only by separators, unit words and numbers become one ADDRESS when a digit is
  among them (``42 Oak Street, Apt. 5, Springfield 62704``), see :func:`join_addresses`;
* scores are scaled by :data:`SCORE_SCALE`, so where a validated pattern and the tagger disagree about a
  span the checksum wins.

In the worker the findings come from the pass the toxicity / bias heads already made
(``pipeline/verdicts.py``); :class:`EncoderTagger` runs that pass itself for the PII detector used on
its own (``guardstream eval --task pii``, benchmarks).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.pii.tags import best_window_tags, decode_words
from schemas.event import PiiEntity

#: Tagger probabilities are scaled like Rampart's (classifiers.pii.ner.SCORE_SCALE): below the
#: validated patterns, so a checksum wins a conflict over a name guess.
SCORE_SCALE = 0.85
#: Words whose tag probability is below this count as O.
MIN_SCORE = 0.5
RECOGNIZER = "minilm_ner"
#: Characters never at either end of a finding.
_TRIM = frozenset("\"'\\`\u201c\u201d\u2018\u2019")

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


def decode_entities(text: str, encoding: Any, windows: Sequence[tuple[int, int, np.ndarray]]) -> list[PiiEntity]:
    """Findings in ``text`` from its tokenizer ``encoding`` and the token head's output per window
    (``(first token, end token, probabilities)``)."""
    if not windows:
        return []
    if all(float(probs[:, 0].min(initial=1.0)) > 1.0 - MIN_SCORE for _, _, probs in windows):
        return []  # no token leans to a name: most texts, and no need to walk the words
    labels, scores = best_window_tags(len(encoding.ids), list(windows))
    spans = decode_words(text, encoding, labels, scores, min_score=MIN_SCORE, join_handles=True)
    found = []
    for kind, start, end, score in join_addresses(text, spans):
        # A quote or backslash the tagger took into a name (JSON-escaped quotes in tool arguments) is not
        # part of it.
        while start < end and text[start] in _TRIM:
            start += 1
        while end > start and text[end - 1] in _TRIM:
            end -= 1
        if start < end:
            found.append(PiiEntity(type=kind, start=start, end=end, score=round(min(1.0, score) * SCORE_SCALE, 3),
                                   recognizer=RECOGNIZER))
    return found


def entities_from_batch(texts: Sequence[str], batch: Any) -> list[list[PiiEntity]]:
    """Findings per text from an :class:`classifiers.encoder.EncodedBatch` of ``texts``."""
    return [decode_entities(text, batch.encodings[i], batch.token_windows(i)) for i, text in enumerate(texts)]


class EncoderTagger:
    """The tagger for a PII detector on its own: runs the classifier encoder (with its token head) over
    the texts. ``classifier``: a ``TextClassifier`` whose weights directory holds the token head; by
    default the packaged one, run on ``backend`` (``auto``: int8 ONNX on CPU, torch on CUDA)."""

    name = RECOGNIZER

    def __init__(self, *, classifier: Any = None, weights_dir: str | Path | None = None, backend: str = "auto",
                 threads: int | None = None, cache_dir: str | Path | None = None) -> None:
        if classifier is None:
            from classifiers.text import TextClassifier

            classifier = TextClassifier(weights_dir=weights_dir, backend=backend, threads=threads, cache_dir=cache_dir)
        self.classifier = classifier

    @property
    def revision(self) -> str:
        return self.classifier.encoder.revision

    def load(self) -> "EncoderTagger":
        """Load the encoder and its token head (idempotent); refuses weights without a token head."""
        if self.classifier.heads is None:
            self.classifier.load()
        if not self.classifier.encoder.has_token_head:
            raise ValueError(f"the classifier weights in {self.classifier.weights_dir} have no token head; "
                             "train one with `guardstream train-ner --data-dir ../shared/datasets`, or set "
                             "classifiers.pii.ner to rampart or none")
        return self

    def tag(self, texts: Sequence[str]) -> list[list[PiiEntity]]:
        """PERSON / LOCATION / ORGANIZATION / ADDRESS findings per text, in text order."""
        self.load()
        return entities_from_batch(texts, self.classifier.encoder.encode(list(texts)))

