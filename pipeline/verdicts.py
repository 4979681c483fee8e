"""From a batch of Events to a batch of Verdicts: one classifier pass, PII detection, masking.

One encoder pass per batch feeds every text head (toxicity, its sub-labels, bias) and, with
``classifiers.pii.ner: minilm`` (the default), the token head that finds names, places and
organisations; the findings are handed to the PII detector, which adds the validated patterns.

This is the only place that sees clear text. What leaves it (verdicts) carries masked text and
entity metadata only.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol, Sequence

from classifiers.pii import MaskPolicy, PiiDetector, mask_json, mask_text
from classifiers.pii.encoder_ner import entities_from_batch
from classifiers.pii.jsonwalk import RenderedLeaf, render_json
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


@dataclass(frozen=True)
class ClassifierInput:
    """The text the classifiers read for an event, and where the event's own parts sit in it.

    ``text`` is the event text; for a tool call, the event text (if any), a line break, the tool name
    and its arguments as JSON. ``text_end``: the event text is ``text[:text_end]``. ``leaves``: the
    string leaves of the arguments that lie wholly inside ``text`` (after the cut at ``max_chars``).
    """

    text: str
    truncated: bool
    text_end: int
    leaves: tuple[RenderedLeaf, ...] = field(default=())

    def split(self, found: Sequence[PiiEntity]) -> tuple[list[PiiEntity], dict[str, list[PiiEntity]]]:
        """Findings in ``text`` as (findings in the event text, findings per argument leaf path, in the
        leaf's own offsets). A finding that runs past its part is cut to it."""
        own: list[PiiEntity] = []
        per_leaf: dict[str, list[PiiEntity]] = {leaf.path: [] for leaf in self.leaves}
        for e in found:
            if e.start < self.text_end:
                own.append(e if e.end <= self.text_end else e.model_copy(update={"end": self.text_end}))
                continue
            for leaf in self.leaves:
                part = leaf.to_leaf(e.start, e.end)
                if part is not None:
                    per_leaf[leaf.path].append(e.model_copy(update={"start": part[0], "end": part[1]}))
        return own, per_leaf


def classifier_input(event: Event, max_chars: int) -> ClassifierInput:
    """The text the classifiers read for an event, capped at ``max_chars``, with where its parts sit."""
    own = event.text or ""
    leaves: list[RenderedLeaf] = []
    if event.kind == "tool_call" and event.tool is not None:
        args = event.tool.arguments
        if isinstance(args, str):
            args_text, leaves = args, [RenderedLeaf("tool.arguments", 0, len(args), None)]
        else:
            args_text, leaves = render_json(args, "tool.arguments")
        head = f"{own}\n{event.tool.name} " if event.text else f"{event.tool.name} "
        text = head + args_text
        leaves = [RenderedLeaf(leaf.path, leaf[1] + len(head), leaf[2] + len(head), leaf[3]) for leaf in leaves]
    else:
        text = own
    cut = len(text) > max_chars
    text = text[:max_chars]
    return ClassifierInput(text=text, truncated=cut, text_end=min(len(own), max_chars),
                           leaves=tuple(leaf for leaf in leaves if leaf[2] <= max_chars))


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
        self._pii = PiiDetector.from_config(config.pii, config.encoder, weights_dir=config.weights_dir)
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
        # Names from the classifier's own pass when its encoder has the token head: no second model.
        self._shared_ner = self.config.pii.ner == "minilm" and getattr(self._scorer, "has_token_head", False)
        self._pii.load(tagger=not self._shared_ner)

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
        texts = [ci.text for ci in inputs]
        text_ner: list[list[PiiEntity]] | None = None
        leaf_ner: list[dict[str, list[PiiEntity]]] | None = None
        if self._shared_ner:
            scores, batch = self._scorer.predict_with_tokens(texts)  # type: ignore[attr-defined]
            parts = [ci.split(found) for ci, found in zip(inputs, entities_from_batch(texts, batch))]
            text_ner, leaf_ner = [own for own, _ in parts], [per_leaf for _, per_leaf in parts]
        else:
            scores = self._scorer.predict(texts)
        text_entities = self._pii.detect([(e.text or "")[: self.max_text_chars] for e in events], ner=text_ner)
        arg_entities = self.tool_argument_entities(events, leaf_ner)
        per_event_ms = (time.perf_counter() - started) * 1000 / len(events)
        now = datetime.now(timezone.utc)
        thresholds = self.thresholds()
        info = self.info
        return [
            self._verdict(event, score, entities, in_args, truncated, thresholds, info, per_event_ms, now)
            for event, score, entities, in_args, truncated
            in zip(events, scores, text_entities, arg_entities, (ci.truncated for ci in inputs))
        ]

    def tool_argument_entities(self, events: Sequence[Event],
                               leaf_ner: Sequence[Mapping[str, list[PiiEntity]]] | None = None) -> list[list[PiiEntity]]:
        """PII in each event's tool-call arguments (empty for events without a tool call), field paths
        set. Every tool call of the batch goes to the detector in one call. ``leaf_ner``: per event, the
        NER findings per argument leaf from the classifier's pass; leaves that pass did not read (cut
        off at ``max_text_chars``) are tagged in one extra pass, so no name goes unread."""
        with_tool = [i for i, e in enumerate(events) if e.tool is not None]
        values = [events[i].tool.arguments for i in with_tool]  # type: ignore[union-attr]
        ner = None
        if leaf_ner is not None:
            ner = [dict(leaf_ner[i]) for i in with_tool]
            self._tag_unread_leaves(values, ner)
        found = iter(self._pii.detect_json_many(values, ner=ner))
        return [next(found) if e.tool is not None else [] for e in events]

    def _tag_unread_leaves(self, values: Sequence[Any], ner: list[dict[str, list[PiiEntity]]]) -> None:
        """Fill ``ner`` for the string leaves the classifier's pass did not read, with one more pass."""
        from classifiers.pii.jsonwalk import iter_leaves

        missing = [(k, path, text) for k, value in enumerate(values)
                   for path, text in iter_leaves(value, "tool.arguments") if path not in ner[k]]
        if not missing:
            return
        texts = [text for _, _, text in missing]
        _, batch = self._scorer.predict_with_tokens(texts)  # type: ignore[union-attr]
        for (k, path, _), found in zip(missing, entities_from_batch(texts, batch)):
            ner[k][path] = found

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
