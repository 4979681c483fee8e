"""The emitter and logging handler against a small in-memory stand-in for the Kafka producer.

The real broker going away and coming back is tested in tests/integration/test_ingest_handler.py.
"""
from __future__ import annotations

import json
import logging
import threading
import time

import pytest
from kafka.errors import KafkaConnectionError, KafkaTimeoutError
from kafka.future import Future

from pipeline.emit import Emitter, GuardStreamHandler
from schemas.event import Event


class FakeBroker:
    """Stands in for Kafka: ``up`` decides whether producers can be made and sends succeed."""

    def __init__(self, up: bool = True):
        self.up = up
        self.unacknowledged = 0
        self.records: list[tuple[str, bytes, bytes]] = []
        self.lock = threading.Lock()

    def producer(self):
        if not self.up:
            raise KafkaConnectionError("connection refused")
        return FakeProducer(self)

    def events(self) -> list[Event]:
        with self.lock:
            return [Event.model_validate_json(value) for _, _, value in self.records]


class FakeProducer:
    def __init__(self, broker: FakeBroker):
        self.broker = broker

    def send(self, topic, key=None, value=None):
        fut = Future()
        if self.broker.unacknowledged:
            self.broker.unacknowledged -= 1
            fut.failure(KafkaTimeoutError("no ack"))
        elif self.broker.up:
            with self.broker.lock:
                self.broker.records.append((topic, key, value))
            fut.success(None)
        else:
            fut.failure(KafkaTimeoutError("no ack"))
        return fut

    def flush(self, timeout=None):
        return None

    def close(self, timeout=None):
        return None


def _wait(predicate, what: str, timeout_s: float = 10.0):
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def make_emitter():
    made: list[Emitter] = []

    def make(broker: FakeBroker, **options) -> Emitter:
        options = {"app": "unit-app", "model": "unit-model", "retry_backoff_max_s": 0.05, "linger_s": 0.0,
                   **options}
        emitter = Emitter("127.0.0.1:9", producer_factory=broker.producer, **options)
        made.append(emitter)
        return emitter

    yield make
    for emitter in made:
        emitter.close(timeout=0.5)


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "pipeline.emit" and r.levelno == logging.WARNING]


def test_events_are_valid_native_events_keyed_by_id(make_emitter):
    broker = FakeBroker()
    emitter = make_emitter(broker, topic="t.events")
    first = emitter.emit("prompt", "hello", conversation_id="c-1", labels={"env": "test"})
    second = emitter.emit("tool_call", tool={"name": "lookup", "arguments": {"q": 1}}, model="other-model",
                          event_id="fixed-1", timestamp="2026-01-05T09:00:00Z")
    assert emitter.flush(5)
    assert second == "fixed-1" and first.startswith("emit-")
    topics_keys = [(t, k) for t, k, _ in broker.records]
    assert topics_keys == [("t.events", first.encode()), ("t.events", b"fixed-1")]
    prompt, call = broker.events()
    assert (prompt.kind, prompt.app, prompt.model, prompt.text, prompt.conversation_id) == \
        ("prompt", "unit-app", "unit-model", "hello", "c-1")
    assert call.model == "other-model" and call.tool.arguments == {"q": 1} and call.timestamp.year == 2026
    assert emitter.stats()["sent"] == 2


def test_broker_down_one_warning_then_buffered_events_delivered_in_order(make_emitter, caplog):
    caplog.set_level(logging.INFO, logger="pipeline.emit")
    broker = FakeBroker(up=False)
    emitter = make_emitter(broker, max_buffer=100)
    ids = [emitter.emit("response", f"answer {i}") for i in range(30)]  # returns at once, never raises
    assert all(ids)
    _wait(lambda: _warnings(caplog), "the outage warning")
    time.sleep(0.3)  # several retry rounds fail meanwhile
    assert len(_warnings(caplog)) == 1 and "cannot reach Kafka" in _warnings(caplog)[0]
    assert emitter.stats()["sent"] == 0 and emitter.stats()["buffered"] == 30
    broker.up = True
    assert emitter.flush(10)
    assert [e.event_id for e in broker.events()] == ids
    assert any("reachable again" in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)
    assert len(_warnings(caplog)) == 1


def test_a_full_buffer_drops_the_oldest_and_counts_them(make_emitter, caplog):
    broker = FakeBroker(up=False)
    emitter = make_emitter(broker, max_buffer=5, batch_size=3)
    ids = [emitter.emit("response", f"answer {i}") for i in range(12)]
    _wait(lambda: emitter.stats()["buffered"] <= 5 and emitter.stats()["dropped"] == 7, "drops counted")
    broker.up = True
    assert emitter.flush(10)
    assert [e.event_id for e in broker.events()] == ids[-5:]
    assert emitter.stats()["dropped"] == 7 and emitter.stats()["sent"] == 5


def test_only_sends_the_broker_did_not_acknowledge_are_sent_again(make_emitter):
    # The broker is unreachable while the three are emitted, so they are all in the first batch sent once
    # it is up (a linger time would depend on how fast this machine runs the loop).
    broker = FakeBroker(up=False)
    emitter = make_emitter(broker)
    ids = [emitter.emit("prompt", f"hi {i}") for i in range(3)]
    _wait(lambda: emitter.stats()["buffered"] == 3, "the three events buffered")
    broker.unacknowledged = 1  # connected, but the first send of the batch fails (e.g. a leader election)
    broker.up = True
    assert emitter.flush(10)
    delivered = [e.event_id for e in broker.events()]
    assert sorted(delivered) == sorted(ids) and len(delivered) == 3  # once each: no resend of acked ones
    assert delivered[-1] == ids[0] and emitter.stats()["sent"] == 3


def test_invalid_events_are_counted_and_warned_about_once_without_values(make_emitter, caplog):
    broker = FakeBroker()
    emitter = make_emitter(broker)
    assert emitter.emit("banana", "secret@example.com") is None
    assert emitter.emit("response", None) is None  # a response needs text
    assert emitter.emit("prompt", "x", surprise=1) is None
    assert emitter.stats()["invalid"] == 3
    [warning] = _warnings(caplog)
    assert "kind" in warning and "secret@example.com" not in warning


def test_close_delivers_what_is_buffered_and_later_emits_are_dropped(make_emitter):
    broker = FakeBroker()
    emitter = make_emitter(broker, linger_s=0.2)
    ids = [emitter.emit("response", f"r{i}") for i in range(3)]
    emitter.close(timeout=5)
    assert [e.event_id for e in broker.events()] == ids
    assert emitter.emit("response", "late") is None and emitter.stats()["dropped"] == 1


def test_close_while_down_gives_up_in_time_and_says_so(make_emitter, caplog):
    emitter = make_emitter(FakeBroker(up=False))
    emitter.emit("response", "never sent")
    emitter.close(timeout=0.3)
    assert any("undelivered" in w for w in _warnings(caplog))
    assert emitter.stats()["dropped"] == 1 and emitter.stats()["buffered"] == 0


@pytest.fixture
def logger():
    log = logging.getLogger("unit.host.llm")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    yield log
    for handler in list(log.handlers):
        log.removeHandler(handler)


def test_handler_turns_tagged_records_into_events(make_emitter, logger):
    broker = FakeBroker()
    emitter = make_emitter(broker)
    logger.addHandler(GuardStreamHandler(emitter))
    logger.info("plain log line, not an event")
    logger.info("The answer is %d.", 42, extra={"guardstream": {"kind": "response", "conversation_id": "c-7",
                                                                 "labels": {"env": "prod"}}})
    logger.warning("ignored", extra={"guardstream": "not a dict"})
    logger.info("", extra={"guardstream": {"kind": "tool_call", "tool": {"name": "search", "arguments": "q"}}})
    assert emitter.flush(5)
    response, call = broker.events()
    assert response.text == "The answer is 42." and response.conversation_id == "c-7"
    assert response.labels == {"log.logger": "unit.host.llm", "log.level": "info", "env": "prod"}
    assert call.kind == "tool_call" and call.text is None and call.tool.arguments == "q"


def test_handler_for_every_record_with_defaults_and_record_fields(make_emitter, logger):
    broker = FakeBroker()
    emitter = make_emitter(broker)
    handler = GuardStreamHandler(emitter, all_records=True, defaults={"kind": "response", "model": "m-2"},
                                 record_fields={"conversation_id": "conv"})
    logger.addHandler(handler)
    logger.error("Your order ships tomorrow.", extra={"conv": "c-9"})
    logger.info("prompt text", extra={"guardstream": {"kind": "prompt"}})
    logger.info("bad", extra={"guardstream": {"kind": "nonsense"}})  # invalid: counted, never raised
    # Records of the Kafka client and of the emitter itself never loop back as events.
    handler.handle(logging.LogRecord("kafka.conn", logging.ERROR, __file__, 1, "conn refused", None, None))
    handler.handle(logging.LogRecord("pipeline.emit", logging.WARNING, __file__, 1, "down", None, None))
    assert emitter.flush(5)
    reply, prompt = broker.events()
    assert (reply.kind, reply.model, reply.conversation_id, reply.labels["log.level"]) == \
        ("response", "m-2", "c-9", "error")
    assert prompt.kind == "prompt" and prompt.text == "prompt text"
    assert emitter.stats()["invalid"] == 1


def test_emitted_json_is_the_wire_format(make_emitter):
    broker = FakeBroker()
    emitter = make_emitter(broker)
    emitter.emit("prompt", "héllo", timestamp="2026-01-05T09:00:00+00:00")
    assert emitter.flush(5)
    doc = json.loads(broker.records[0][2])
    assert doc["@timestamp"].startswith("2026-01-05T09:00:00") and doc["text"] == "héllo"
    assert set(doc) == {"event_id", "@timestamp", "kind", "app", "model", "text", "labels"}


def test_module_level_emit_before_and_after_configure(monkeypatch, caplog):
    import pipeline.emit as emit_module

    monkeypatch.setattr(emit_module, "_default", None)
    monkeypatch.setattr(emit_module, "_unconfigured_warned", False)
    assert emit_module.emit("prompt", "x") is None
    assert emit_module.emit("prompt", "y") is None
    assert sum("before configure" in w for w in _warnings(caplog)) == 1
    broker = FakeBroker()
    emitter = emit_module.configure("127.0.0.1:9", app="a", model="m", producer_factory=broker.producer)
    try:
        event_id = emit_module.emit("prompt", "z")
        assert emitter.flush(5) and [e.event_id for e in broker.events()] == [event_id]
    finally:
        emitter.close(0.5)
