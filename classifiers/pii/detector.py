"""The PII detector: runs the registered recognizers over a batch and resolves overlaps."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from classifiers.pii.jsonwalk import iter_leaves
from classifiers.pii.recognizers import RECOGNIZERS, SUPPORTED_ENTITIES, Recognizer
from schemas.event import PiiEntity


def resolve_overlaps(entities: Iterable[PiiEntity]) -> list[PiiEntity]:
    """Keep non-overlapping findings: higher score wins, then the longer span; sorted by start.

    Findings are compared per ``field`` only: offsets in different fields never collide.
    """
    kept: list[PiiEntity] = []
    # Earlier start breaks the last tie so the result does not depend on recognizer order.
    for ent in sorted(entities, key=lambda e: (-e.score, -(e.end - e.start), e.start, e.type)):
        if ent.end <= ent.start:
            continue  # an empty span masks nothing and would only confuse consumers
        if all(k.field != ent.field or ent.end <= k.start or ent.start >= k.end for k in kept):
            kept.append(ent)
    return sorted(kept, key=lambda e: (e.field, e.start))


class PiiDetector:
    """Finds PII in texts and JSON values with the pattern recognizers of :mod:`.recognizers`.

    ``entities`` limits the entity types reported (default: all of ``SUPPORTED_ENTITIES``);
    findings scoring below ``threshold`` are dropped before overlaps are resolved, so a weak
    finding never hides a strong one next to it.
    """

    name = "pii-patterns"
    #: Bump when recognizer logic changes, so verdicts can be traced to the rules that made them.
    revision = "1"

    def __init__(self, *, entities: Sequence[str] | None = None, threshold: float = 0.5) -> None:
        if isinstance(entities, str):
            raise TypeError("entities must be a sequence of entity types, not a single string")
        wanted = tuple(SUPPORTED_ENTITIES if entities is None else entities)
        unknown = [e for e in wanted if e not in SUPPORTED_ENTITIES]
        if unknown:
            raise ValueError(f"unknown PII entity types {unknown}; supported: {', '.join(SUPPORTED_ENTITIES)}")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be within 0..1, got {threshold}")
        self.entities = wanted
        self.threshold = threshold
        self._recognizers: list[Recognizer] | None = None

    def load(self) -> "PiiDetector":
        """Instantiate the recognizers. Cheap today; an NER model will load here later."""
        if self._recognizers is None:
            self._recognizers = [cls() for cls in RECOGNIZERS.values() if cls.entity_type in self.entities]
        return self

    @property
    def loaded(self) -> bool:
        """Whether :meth:`load` has run."""
        return self._recognizers is not None

    def detect(self, texts: Sequence[str]) -> list[list[PiiEntity]]:
        """Findings per text (same order as ``texts``), non-overlapping and sorted by start.

        Loads on first use if :meth:`load` was not called; workers should call it at start-up
        so the first batch does not pay for loading.
        """
        if isinstance(texts, str):
            raise TypeError("detect() takes a sequence of texts; wrap a single text in a list")
        recognizers = self.load()._recognizers or []
        results = []
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"detect() needs str items, got {type(text).__name__}")
            found = [e for r in recognizers for e in r.find(text) if e.score >= self.threshold]
            results.append(resolve_overlaps(found))
        return results

    def detect_json(self, value: Any, field_prefix: str = "tool.arguments") -> list[PiiEntity]:
        """Findings in every string (and integer) leaf of a JSON value, ``field`` set to its path.

        ``value`` is what ``json.loads`` returns (dict, list, str, numbers, bool, None). Offsets
        refer to the leaf's text; for a number that is ``str(number)``.
        """
        leaves = list(iter_leaves(value, field_prefix))
        per_leaf = self.detect([text for _, text in leaves])  # one batch for the whole value
        return [
            entity.model_copy(update={"field": path})
            for (path, _), found in zip(leaves, per_leaf)
            for entity in found
        ]
