"""The logging handler while Kafka is away: the host application carries on, one warning is logged, and
the buffered events arrive once a real broker (noida-db) listens on the port."""
from __future__ import annotations

import json
import logging

import pytest
from kafka import KafkaConsumer

from pipeline import stack as stack_control
from pipeline.emit import Emitter, GuardStreamHandler
from schemas.config import StackConfig
from schemas.event import Event
from tests.integration.conftest import free_port, wait_until

pytestmark = pytest.mark.integration

TOPIC = "handler.events"


@pytest.fixture
def host_logger():
    log = logging.getLogger("it.host.llm")
    log.setLevel(logging.INFO)
    log.propagate = False
    yield log
    for handler in list(log.handlers):
        log.removeHandler(handler)


def _emitter_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "pipeline.emit" and r.levelno == logging.WARNING]


def test_handler_survives_a_missing_broker_and_delivers_when_it_starts(tmp_path, host_logger, caplog):
    caplog.set_level(logging.INFO, logger="pipeline.emit")
    cfg = StackConfig(kafka_port=free_port(), elasticsearch_port=free_port(), data_dir=tmp_path / "late-stack")
    emitter = Emitter(f"127.0.0.1:{cfg.kafka_port}", topic=TOPIC, app="host-app", model="host-model",
                      max_buffer=1000, retry_backoff_max_s=1.0)
    host_logger.addHandler(GuardStreamHandler(emitter))
    try:
        # The host application runs its loop with nothing listening on the broker port.
        handled = 0
        for i in range(20):
            host_logger.info("answer %d", i, extra={"guardstream": {"kind": "response", "conversation_id": "c-1"}})
            handled += 1
        assert handled == 20  # every logging call returned; none raised
        wait_until(lambda: _emitter_warnings(caplog), timeout_s=30, what="the emitter's outage warning")
        for i in range(20, 30):  # still down: more events, still one warning
            host_logger.info("answer %d", i, extra={"guardstream": {"kind": "response", "conversation_id": "c-1"}})
        assert emitter.stats()["sent"] == 0 and emitter.stats()["buffered"] == 30

        stack_control.up(cfg)  # a real broker appears on the port the handler was pointed at
        assert emitter.flush(timeout=60)
        consumer = KafkaConsumer(TOPIC, bootstrap_servers=[f"127.0.0.1:{cfg.kafka_port}"],
                                 auto_offset_reset="earliest", consumer_timeout_ms=5000)
        records = list(consumer)
        consumer.close()
        events = [Event.model_validate_json(r.value) for r in records]
        assert sorted(e.text for e in events) == sorted(f"answer {i}" for i in range(30))
        assert all(r.key == e.event_id.encode() for r, e in zip(records, events))
        assert {(e.kind, e.app, e.model, e.conversation_id) for e in events} == \
            {("response", "host-app", "host-model", "c-1")}
        assert {json.dumps(e.labels, sort_keys=True) for e in events} == \
            {json.dumps({"log.level": "info", "log.logger": "it.host.llm"}, sort_keys=True)}
        warnings = _emitter_warnings(caplog)
        assert len(warnings) == 1 and "cannot reach Kafka" in warnings[0]
        assert any("reachable again" in r.getMessage() for r in caplog.records if r.name == "pipeline.emit")
        assert emitter.stats()["dropped"] == 0 and emitter.stats()["sent"] == 30
    finally:
        emitter.close(timeout=2)
        stack_control.down(cfg)
