"""`guardstream setup` against the real search server and broker: creates everything once, then nothing."""
from __future__ import annotations

import pytest
from kafka import KafkaConsumer

from pipeline.elastic import setup_indices, sync_client
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
    for index in ("setup-verdicts", "setup-dead", "setup-alerts", "setup-rates"):
        assert f"index {index}" in first and any(c.startswith(f"template {index} v") for c in first)
    assert setup_indices(es, cfg.elasticsearch) == []

    # The verdict mapping is strict: a stray field is refused instead of growing the mapping.
    refused = es.options(ignore_status=400).index(index="setup-verdicts", id="x", document={"surprise": 1})
    assert refused["error"]["type"] == "strict_dynamic_mapping_exception"
    ok = es.index(index="setup-verdicts", id="y", document={"event": {"id": "y"}, "labels": {"any.key": "v"}})
    assert ok["result"] == "created"
