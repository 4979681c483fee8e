"""`guardstream setup` against the real search server and broker: creates everything once, then nothing."""
from __future__ import annotations

import pytest
from kafka import KafkaConsumer

from pipeline.elastic import sync_client
from pipeline.es_setup import setup_indices
from pipeline.kafka_io import ensure_topics
from schemas.config import Config

pytestmark = pytest.mark.integration


def test_setup_is_idempotent_and_documents_must_match_the_mapping(stack):
    _, state = stack
    cfg = Config.model_validate({
        "kafka": {"bootstrap_servers": [state.bootstrap],
                  "topics": {"events": "setup.events", "verdicts": "setup.verdicts", "dlq": "setup.dlq",
                             "partitions": 3}},
        "elasticsearch": {"hosts": [state.elasticsearch_url], "verdicts_index": "setup-verdicts",
                          "dead_letters_index": "setup-dead", "alerts_index": "setup-alerts",
                          "rates_index": "setup-rates"},
    })
    assert sorted(ensure_topics(cfg.kafka)) == ["setup.dlq", "setup.events", "setup.verdicts"]
    assert ensure_topics(cfg.kafka) == []
    consumer = KafkaConsumer(bootstrap_servers=cfg.kafka.bootstrap_servers)
    assert consumer.partitions_for_topic("setup.events") == {0, 1, 2}
    consumer.close()

    es = sync_client(cfg.elasticsearch)
    first = setup_indices(es, cfg.elasticsearch)
    assert first.capabilities.ilm is False  # noida-db has no ILM: the fallback path is what runs here
    for alias in ("setup-verdicts", "setup-dead", "setup-alerts", "setup-rates"):
        assert any(c.startswith(f"template {alias} v") for c in first.changes)
    assert setup_indices(es, cfg.elasticsearch).changes == []

    # Daily indices come from the template with their alias; the mapping is strict.
    refused = es.options(ignore_status=400).index(index="setup-verdicts-2026.01.05", id="x",
                                                  document={"surprise": 1})
    assert refused["error"]["type"] == "strict_dynamic_mapping_exception"
    ok = es.index(index="setup-verdicts-2026.01.05", id="y", refresh=True,
                  document={"@timestamp": "2026-01-05T10:00:00Z", "event": {"id": "y"},
                            "labels": {"any.key": "v"}})
    assert ok["result"] == "created"
    assert es.count(index="setup-verdicts", query={"term": {"labels.any.key": "v"}})["count"] == 1
