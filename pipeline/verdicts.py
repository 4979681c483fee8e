"""From a batch of Events to a batch of Verdicts: one classifier pass, PII detection, masking.

This is the only place that sees clear text. What leaves it (verdicts) carries masked text and
entity metadata only.
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any, Protocol, Sequence

from classifiers.pii import PiiDetector, mask_json, mask_text
from schemas.config import ClassifiersConfig
from schemas.event import CATEGORIES, ClassifierInfo, Event, PiiEntity, Verdict


class TextScorer(Protocol):
    """What the verdict engine needs from a text classifier (see classifiers.text.TextClassifier)."""

    name: str
    revision: str

    @property
    def thresholds(self) -> dict[str, float]: ...  # calibrated threshold per label

    def load(self) -> None: ...

    def predict(self, texts: Sequence[str]) -> list[dict[str, float]]: ...


def classifier_input(event: Event, max_chars: int) -> tuple[str, bool]:
    """The text the classifiers read for an event, capped at ``max_chars``; and whether it was cut."""
    if event.kind == "tool_call" and event.tool is not None:
        args = event.tool.arguments
        args_text = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
        text = f"{event.tool.name} {args_text}"
        if event.text:
            text = f"{event.text}\n{text}"
    else:
        text = event.text or ""
    return (text[:max_chars], True) if len(text) > max_chars else (text, False)


class VerdictEngine:
    """Classifies events in batches. ``load()`` does the heavy work; ``classify`` is thread-safe to call
    from one worker thread at a time (the classify agent runs it off the event loop)."""

    def __init__(self, config: ClassifiersConfig, *, max_text_chars: int,
                 scorer: TextScorer | None = None) -> None:
        self.config = config
        self.max_text_chars = max_text_chars
        self._scorer = scorer
        self._pii = PiiDetector(entities=config.pii.entities or None, threshold=config.pii.threshold)

    def load(self) -> None:
        """Load the encoder, the heads and the PII recognizers."""
        if self._scorer is None:
            from classifiers import create_classifier

            self._scorer = create_classifier(self.config.name, encoder_dir=self.config.encoder_dir,
                                             weights_dir=self.config.weights_dir, device=self.config.device)
        self._scorer.load()
        self._pii.load()

    @property
    def info(self) -> ClassifierInfo:
        assert self._scorer is not None, "call load() first"
        return ClassifierInfo(name=self._scorer.name,
                              revision=f"{self._scorer.revision}+{self._pii.name}-{self._pii.revision}")

    def thresholds(self) -> dict[str, float]:
        """Threshold per enabled category: the configured one, else the one calibrated with the heads."""
        assert self._scorer is not None, "call load() first"
        cfg = self.config
        trained = self._scorer.thresholds
        thresholds = {name: c.threshold if c.threshold is not None else trained[name]
                      for name, c in (("toxicity", cfg.toxicity), ("bias", cfg.bias)) if c.enabled}
        if cfg.pii.enabled:
            thresholds["pii"] = cfg.pii.threshold
        return thresholds

    def classify(self, events: Sequence[Event]) -> list[Verdict]:
        """One batch in, one verdict per event out, in the same order."""
        if not events:
            return []
        assert self._scorer is not None, "call load() first"
        started = time.perf_counter()
        inputs = [classifier_input(e, self.max_text_chars) for e in events]
        texts = [text for text, _ in inputs]
        scores = self._scorer.predict(texts)
        text_entities = self._pii.detect([(e.text or "")[: self.max_text_chars] for e in events])
        per_event_ms = (time.perf_counter() - started) * 1000 / len(events)
        now = datetime.now(timezone.utc)
        thresholds = self.thresholds()
        info = self.info
        return [
            self._verdict(event, score, entities, truncated, thresholds, info, per_event_ms, now)
            for event, score, entities, (_, truncated) in zip(events, scores, text_entities, inputs)
        ]

    def _verdict(self, event: Event, score: dict[str, float], entities: list[PiiEntity],
                 truncated: bool, thresholds: dict[str, float], info: ClassifierInfo,
                 latency_ms: float, now: datetime) -> Verdict:
        operator = self.config.pii.operator
        data: dict[str, Any] = event.model_dump(by_alias=False)
        if event.text is not None:
            data["text"] = mask_text(event.text[: self.max_text_chars], entities, operator)
        found = list(entities)
        if event.tool is not None:
            arg_entities = self._pii.detect_json(event.tool.arguments, field_prefix="tool.arguments")
            data["tool"]["arguments"] = mask_json(event.tool.arguments, arg_entities, operator)
            found.extend(arg_entities)
        pii_score = max((e.score for e in found), default=0.0)
        scores = {"toxicity": float(score.get("toxicity", 0.0)), "bias": float(score.get("bias", 0.0)),
                  "pii": pii_score}
        violations = [c for c in CATEGORIES if c in thresholds and scores[c] >= thresholds[c]]
        return Verdict(**data, scores=scores, violations=violations, pii=found, classifier=info,
                       latency_ms=latency_ms, processed_at=now, text_truncated=truncated)
