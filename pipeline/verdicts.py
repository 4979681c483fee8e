"""From a batch of Events to a batch of Verdicts: one classifier pass, PII detection, masking.

This is the only place that sees clear text. What leaves it (verdicts) carries masked text and
entity metadata only.
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any, Protocol, Sequence

from classifiers.pii import MaskPolicy, PiiDetector, mask_json, mask_text
from classifiers.scoring import CategoryRule, build_scorer, category_rules, category_score, label_categories
from schemas.config import ClassifiersConfig
from schemas.event import CATEGORIES, ClassifierInfo, Event, PiiEntity, Verdict


class TextScorer(Protocol):
    """What the verdict engine needs from a text classifier (see classifiers.text.TextClassifier)."""

    name: str
    revision: str

    @property
    def thresholds(self) -> dict[str, float]: ...  # calibrated threshold per label

    # Optional: ``categories`` (label -> toxicity | bias) when the scorer emits sub-labels; see
    # classifiers/scoring.py.

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
        # Patterns + NER per classifiers.pii; the masking policy reads its secrets (hash salt,
        # encryption key) now, so a missing secret stops start-up instead of the first batch.
        self._pii = PiiDetector.from_config(config.pii, config.encoder)
        self._mask_policy = MaskPolicy.from_config(config.pii)
        self._rules: dict[str, CategoryRule] = {}
        self._categories: dict[str, str] = {}

    def load(self) -> None:
        """Load the encoder, the heads and the PII recognizers; check the per-label thresholds."""
        if self._scorer is None:
            self._scorer = build_scorer(self.config)
        self._scorer.load()
        self._categories = label_categories(self._scorer)
        self._rules = category_rules(self.config, self._scorer)
        self._pii.load()

    @property
    def info(self) -> ClassifierInfo:
        assert self._scorer is not None, "call load() first"
        return ClassifierInfo(name=self._scorer.name,
                              revision=f"{self._scorer.revision}+{self._pii.name}-{self._pii.revision}")

    def thresholds(self) -> dict[str, float]:
        """Threshold per enabled category: the configured one, else the one calibrated with the heads."""
        assert self._scorer is not None, "call load() first"
        thresholds = {name: rule.threshold for name, rule in self._rules.items()}
        if self.config.pii.enabled:
            thresholds["pii"] = self.config.pii.threshold
        return thresholds

    def label_thresholds(self) -> dict[str, float]:
        """Threshold of every sub-label that counts towards its category's violation (CategoryConfig.labels)."""
        return {lab: thr for rule in self._rules.values() for lab, thr in rule.label_thresholds.items()}

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
        arg_entities = self.tool_argument_entities(events)
        per_event_ms = (time.perf_counter() - started) * 1000 / len(events)
        now = datetime.now(timezone.utc)
        thresholds = self.thresholds()
        info = self.info
        return [
            self._verdict(event, score, entities, in_args, truncated, thresholds, info, per_event_ms, now)
            for event, score, entities, in_args, (_, truncated)
            in zip(events, scores, text_entities, arg_entities, inputs)
        ]

    def tool_argument_entities(self, events: Sequence[Event]) -> list[list[PiiEntity]]:
        """PII in each event's tool-call arguments (empty for events without a tool call), field paths
        set. Every tool call of the batch goes to the detector in one call (with NER on: one model pass)."""
        with_tool = [e for e in events if e.tool is not None]
        found = iter(self._pii.detect_json_many([e.tool.arguments for e in with_tool]))
        return [next(found) if e.tool is not None else [] for e in events]

    def _verdict(self, event: Event, score: dict[str, float], entities: list[PiiEntity],
                 arg_entities: list[PiiEntity], truncated: bool, thresholds: dict[str, float],
                 info: ClassifierInfo, latency_ms: float, now: datetime) -> Verdict:
        operator = self._mask_policy
        data: dict[str, Any] = event.model_dump(by_alias=False)
        if event.text is not None:
            data["text"] = mask_text(event.text[: self.max_text_chars], entities, operator)
        found = list(entities)
        if event.tool is not None:
            data["tool"]["arguments"] = mask_json(event.tool.arguments, arg_entities, operator)
            found.extend(arg_entities)
        pii_score = max((e.score for e in found), default=0.0)
        # Category scores first, then every sub-label of the classifier (scores.insult, ...; the index
        # maps scores dynamically); violations stay per category.
        scores = {c: category_score(score, c, self._categories) for c in ("toxicity", "bias")}
        scores["pii"] = pii_score
        scores.update({lab: float(v) for lab, v in score.items() if lab not in scores})
        violations = [c for c in CATEGORIES if c in thresholds and (
            self._rules[c].violated(score, scores[c]) if c in self._rules else scores[c] >= thresholds[c])]
        return Verdict(**data, scores=scores, violations=violations, pii=found, classifier=info,
                       latency_ms=latency_ms, processed_at=now, text_truncated=truncated)
