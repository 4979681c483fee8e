"""The verdict engine with a small fake scorer: thresholds, masking of text and tool arguments, truncation."""
from __future__ import annotations

from datetime import datetime, timezone

from pipeline.verdicts import VerdictEngine, classifier_input
from schemas.config import ClassifiersConfig
from schemas.event import Event


class KeywordScorer:
    """Scores toxicity 0.9 for texts containing 'idiot', bias 0.8 for 'those people'; records its input."""

    name = "keyword"
    revision = "test"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def load(self) -> None:
        pass

    thresholds = {"toxicity": 0.5, "bias": 0.5}

    def predict(self, texts):
        self.seen.extend(texts)
        return [{"toxicity": 0.9 if "idiot" in t else 0.1, "bias": 0.8 if "those people" in t else 0.0}
                for t in texts]


def _event(i: int, **kw) -> Event:
    base = {"event_id": f"e{i}", "@timestamp": datetime(2026, 1, 1, tzinfo=timezone.utc), "kind": "response",
            "app": "a", "model": "m"}
    return Event.model_validate({**base, **kw})


def _engine(**cfg) -> tuple[VerdictEngine, KeywordScorer]:
    scorer = KeywordScorer()
    engine = VerdictEngine(ClassifiersConfig.model_validate(cfg), max_text_chars=200, scorer=scorer)
    engine.load()
    return engine, scorer


def test_one_verdict_per_event_in_order_with_thresholded_violations():
    engine, _ = _engine()
    verdicts = engine.classify([_event(0, text="hello"), _event(1, text="you idiot"),
                                _event(2, text="those people again")])
    assert [v.event_id for v in verdicts] == ["e0", "e1", "e2"]
    assert [v.violations for v in verdicts] == [[], ["toxicity"], ["bias"]]
    assert verdicts[1].scores["toxicity"] == 0.9 and verdicts[0].scores["pii"] == 0.0


def test_configured_thresholds_override_the_trained_ones():
    engine, _ = _engine(toxicity={"threshold": 0.05}, bias={"threshold": None})
    assert engine.thresholds() == {"toxicity": 0.05, "bias": 0.5, "pii": 0.5}
    [verdict] = engine.classify([_event(0, text="hello")])
    assert verdict.violations == ["toxicity"]  # 0.1 >= 0.05


def test_thresholds_and_disabled_categories_come_from_config():
    engine, _ = _engine(toxicity={"threshold": 0.95}, bias={"enabled": False})
    verdicts = engine.classify([_event(1, text="you idiot"), _event(2, text="those people")])
    assert verdicts[0].violations == [] and verdicts[1].violations == []


def test_pii_in_text_is_masked_but_scored_on_the_clear_text():
    engine, scorer = _engine()
    [verdict] = engine.classify([_event(0, text="write to ann@example.com, idiot")])
    assert "ann@example.com" not in verdict.text and "<EMAIL>" in verdict.text
    assert scorer.seen == ["write to ann@example.com, idiot"]  # the classifier sees the original
    assert verdict.violations == ["toxicity", "pii"]
    assert verdict.pii[0].type == "EMAIL" and verdict.pii[0].field == "text"


def test_tool_arguments_are_scanned_and_masked_field_by_field():
    engine, scorer = _engine(pii={"operator": "redact"})
    event = _event(0, kind="tool_call", tool={"name": "refund", "arguments": {
        "order": {"card": "4111 1111 1111 1111", "amount": 12}, "memo": "thanks"}})
    [verdict] = engine.classify([event])
    args = verdict.tool.arguments
    assert "4111" not in str(args) and args["memo"] == "thanks" and args["order"]["amount"] == 12
    assert [e.field for e in verdict.pii] == ["tool.arguments.order.card"]
    assert scorer.seen[0].startswith("refund {")


def test_the_tool_calls_of_a_batch_are_scanned_in_one_detector_call_each_finding_on_its_own_event():
    engine, _ = _engine(pii={"operator": "redact"})
    calls = []
    detect = engine._pii.detect
    engine._pii.detect = lambda texts, ner=None: calls.append(list(texts)) or detect(texts, ner=ner)
    events = [_event(0, kind="tool_call", tool={"name": "pay", "arguments": {"card": "4111 1111 1111 1111"}}),
              _event(1, text="no tool here"),
              _event(2, kind="tool_call", tool={"name": "mail", "arguments": {"to": ["bo@example.com"]}})]
    verdicts = engine.classify(events)
    assert len(calls) == 2 and calls[1] == ["4111 1111 1111 1111", "bo@example.com"]  # texts, then all arguments
    assert [[(e.field, e.type) for e in v.pii] for v in verdicts] == [
        [("tool.arguments.card", "CREDIT_CARD")], [], [("tool.arguments.to[0]", "EMAIL")]]
    assert "bo@example.com" not in str(verdicts[2].tool.arguments) and "4111" not in str(verdicts[0].tool.arguments)


def test_long_texts_are_truncated_and_flagged():
    engine, scorer = _engine()
    [verdict] = engine.classify([_event(0, text="a" * 500)])
    assert verdict.text_truncated and len(verdict.text) == 200 and len(scorer.seen[0]) == 200
    short = classifier_input(_event(1, text="short"), 200)
    assert (short.text, short.truncated, short.text_end, short.leaves) == ("short", False, 5, ())


def test_an_empty_batch_needs_no_model_call():
    engine, scorer = _engine()
    assert engine.classify([]) == [] and scorer.seen == []
