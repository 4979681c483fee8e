import json
from tests.integration.test_alerts_lifecycle import incident, la_config, receivers  # noqa: F401
import pytest
pytestmark = pytest.mark.integration


def test_debug(incident):
    cfg, es, log = incident
    v = cfg.elasticsearch.verdicts_index
    es.indices.refresh(index=v)
    ids = [f"la-bot-{n}" for n in range(100, 140)] + [f"la-muted-{n}" for n in range(100, 140)]
    hits = es.search(index=v, size=200, query={"ids": {"values": ids}}, source=["event.id"])["hits"]["hits"]
    found = sorted(h["_source"]["event"]["id"] for h in hits)
    missing = sorted(set(ids) - set(found))
    idx = cfg.elasticsearch.rates_index
    es.indices.refresh(index=idx)
    rows = es.search(index=idx, size=100, sort=[{"@timestamp": "asc"}], query={"term": {"guardstream.category": "toxicity"}})["hits"]["hits"]
    print("RATES", [(r["_source"]["service"]["name"], r["_source"]["@timestamp"][11:16], r["_source"]["guardstream"]["rate"]["events"]) for r in rows])
    print("MISSING", missing)
    assert False
