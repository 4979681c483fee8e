"""`guardstream dlq list|replay` on the real broker: list what the worker refused, re-drive the originals."""
from __future__ import annotations

import json

import pytest
from kafka import KafkaConsumer

from pipeline.cli import main
from pipeline.kafka_io import produce_lines
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration

BAD = json.dumps({"event_id": "dlq-bad-1", "@timestamp": "2026-05-01T00:00:00Z", "kind": "prompt",
                  "app": "dlq-app", "model": "m", "text": "call me on +1 415 555 0100", "extra": 1}).encode()


def test_list_shows_the_refused_record_and_replay_resends_its_exact_bytes(worker, worker_config, capsys):
    cfg, config = worker_config
    produce_lines(iter([BAD]), cfg.kafka)

    def listed():
        main(["dlq", "list", "-c", str(config), "--event-id", "dlq-bad-1", "--json"])
        rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        return rows or None

    [row] = wait_until(listed, what="the dead letter of dlq-bad-1")
    assert row["reason"] == "schema_violation" and "extra" in row["detail"]
    assert row["source"].startswith(cfg.kafka.topics.events + ":")

    assert main(["dlq", "replay", "-c", str(config), "--event-id", "dlq-bad-1", "--dry-run"]) == 0
    assert "would replay 1 of 1" in capsys.readouterr().out

    target = "dlq-replay-target"
    assert main(["dlq", "replay", "-c", str(config), "--event-id", "dlq-bad-1", "--to", target]) == 0
    assert "replayed 1 of 1" in capsys.readouterr().out
    consumer = KafkaConsumer(target, bootstrap_servers=cfg.kafka.bootstrap_servers,
                             auto_offset_reset="earliest", consumer_timeout_ms=3000)
    records = [(m.key, m.value) for m in consumer]
    consumer.close()
    assert records == [(b"dlq-bad-1", BAD)]
