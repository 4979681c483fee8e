"""JSON log lines: one object per line with level, logger, message and ids; PII masked even when a
library quotes a payload. The worker-level check (a real worker at debug level) is in
tests/integration/test_metrics.py."""
from __future__ import annotations

import io
import json
import logging
import logging.config
from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from pipeline.decode import decode_event, dead_letter
from pipeline.logging_json import WITHHELD, JsonFormatter, MaskingTextFormatter, logging_config, pii_masker
from pipeline.verdicts import VerdictEngine
from schemas.config import ClassifiersConfig
from schemas.event import DeadLetterSource, Event

EMAIL = "dana.planted@example.net"
CARD = "4111 1111 1111 1111"
SSN = "536-22-1498"
PLANTED = (EMAIL, CARD, SSN)


class KeywordScorer:
    """A fake text scorer that logs what a careless classifier might: its whole input, at debug level."""

    name, revision = "keyword", "test"
    thresholds = {"toxicity": 0.5, "bias": 0.5}

    def load(self) -> None:
        pass

    def predict(self, texts):
        logging.getLogger("fake.scorer").debug("scoring %r", list(texts))
        return [{"toxicity": 0.9 if "idiot" in t else 0.1, "bias": 0.0} for t in texts]


@pytest.fixture
def captured():
    """The root logger at DEBUG writing through the worker's JSON logging config into a buffer."""
    buffer = io.StringIO()
    root = logging.getLogger()
    saved = (root.level, root.handlers[:])
    config = logging_config("json", "debug")
    config["handlers"]["guardstream"]["stream"] = buffer
    logging.config.dictConfig(config)
    yield buffer
    root.handlers[:] = saved[1]
    root.setLevel(saved[0])


def _record(msg: str, *args, exc_info=None, **extra) -> logging.LogRecord:
    record = logging.LogRecord("pipeline.agents.classify", logging.WARNING, __file__, 1, msg, args, exc_info)
    record.__dict__.update(extra)
    return record


def test_a_line_is_one_json_object_with_level_logger_message_and_ids():
    line = JsonFormatter(masked=False).format(
        _record("dead-lettered %s:%d@%d: %s", "genai.events", 2, 41, "schema_violation",
                event_id="evt-9", partition=2, offset=41))
    assert "\n" not in line
    doc = json.loads(line)
    assert doc["level"] == "warning" and doc["logger"] == "pipeline.agents.classify"
    assert doc["message"] == "dead-lettered genai.events:2@41: schema_violation"
    assert doc["event_id"] == "evt-9" and doc["partition"] == 2 and doc["offset"] == 41
    assert datetime.fromisoformat(doc["ts"]).tzinfo is not None


def test_planted_values_in_messages_exceptions_and_extras_are_masked():
    try:
        Event.model_validate({"event_id": "e1", "kind": "banana", "text": f"mail {EMAIL}, card {CARD}"})
    except ValidationError:
        import sys

        exc_info = sys.exc_info()
    # pydantic quotes the offending input in its message: exactly the leak masking must stop.
    assert CARD in str(exc_info[1])
    record = _record("rejected %s", f"payload {EMAIL} ssn {SSN}", exc_info=exc_info, reason=f"to {EMAIL}")
    for formatter in (JsonFormatter(), MaskingTextFormatter()):
        out = formatter.format(record)
        for planted in PLANTED:
            assert planted not in out, (type(formatter).__name__, planted)
    doc = json.loads(JsonFormatter().format(record))
    assert "<EMAIL>" in doc["message"] and "<US_SSN>" in doc["message"]
    assert "ValidationError" in doc["exc"] and "<CREDIT_CARD>" in doc["exc"] and "<EMAIL>" in doc["reason"]


def test_the_text_line_masks_the_message_but_not_the_logger_name():
    record = _record("payload %s", EMAIL)
    record.name = "pipeline.app"  # a module path that the URL recognizer would take for a domain
    line = MaskingTextFormatter().format(record)
    assert " pipeline.app: payload <EMAIL>" in line and EMAIL not in line


def test_without_masking_the_same_record_would_leak():
    """The control for the tests above: they could fail."""
    out = JsonFormatter(masked=False).format(_record("payload %s", EMAIL))
    assert EMAIL in out


def test_a_masker_that_fails_withholds_the_line_instead_of_passing_it_through():
    def broken(text: str) -> str:
        raise RuntimeError("regex engine exploded")

    doc = json.loads(JsonFormatter(mask=broken).format(_record("payload %s", EMAIL)))
    assert doc["message"] == WITHHELD


def test_classifying_and_dead_lettering_pii_events_logs_no_planted_value(captured):
    engine = VerdictEngine(ClassifiersConfig(), max_text_chars=500, scorer=KeywordScorer())
    engine.load()
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    events = [Event.model_validate({"event_id": f"e{i}", "@timestamp": t0, "kind": "response", "app": "a",
                                    "model": "m", "text": text})
              for i, text in enumerate([f"write to {EMAIL}", f"card {CARD}, ssn {SSN}", "you idiot"])]
    log = logging.getLogger("pipeline.agents.classify")
    verdicts = engine.classify(events)
    log.info("classified batch: %d verdicts", len(verdicts), extra={"count": len(verdicts)})
    # A bad record carrying PII, dead-lettered the way the worker does it (masked preview and detail).
    raw = json.dumps({"event_id": "bad", "kind": "banana", "text": EMAIL}).encode()
    rejection = decode_event(raw, max_bytes=10_000)
    masker = pii_masker()
    letter = dead_letter(raw, rejection, DeadLetterSource(topic="genai.events", partition=0, offset=7), masker)
    log.warning("dead-lettered %s:%d@%d: %s", "genai.events", 0, 7, rejection.reason)
    try:
        Event.model_validate_json(raw)
    except ValidationError:
        log.exception("an agent crashed on a record")  # what Faust logs when an agent raises

    output = captured.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]
    assert {line["logger"] for line in lines} >= {"fake.scorer", "pipeline.agents.classify"}
    assert any(line["level"] == "debug" for line in lines)
    assert any(line.get("count") == 3 for line in lines)
    for planted in PLANTED:
        assert planted not in output
    assert EMAIL not in letter.model_dump_json()  # the dead letter itself stays masked too
