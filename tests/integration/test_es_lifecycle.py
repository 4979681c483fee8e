"""Template upgrades keep old data queryable; without ILM, retention deletes expired daily indices."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from pipeline import es_setup
from pipeline.elastic import sync_client
from pipeline.retention import apply_retention
from schemas.config import ElasticsearchConfig

pytestmark = pytest.mark.integration


def _cfg(state, prefix: str, **retention) -> ElasticsearchConfig:
    return ElasticsearchConfig(hosts=[state.elasticsearch_url], verdicts_index=f"{prefix}-verdicts",
                               dead_letters_index=f"{prefix}-dead", alerts_index=f"{prefix}-alerts",
                               rates_index=f"{prefix}-rates", retention=retention)


def test_a_template_upgrade_keeps_old_documents_queryable(stack, monkeypatch):
    cfg = _cfg(stack[1], "upg")
    es = sync_client(cfg)
    es_setup.setup_indices(es, cfg)
    es.index(index="upg-verdicts-2026.01.05", id="old", refresh=True,
             document={"@timestamp": "2026-01-05T10:00:00Z", "event": {"id": "old"}, "service": {"name": "a"}})

    # The next release adds a field and bumps the template version.
    packaged = es_setup.template_body

    def next_release(name, alias, *, lifecycle=None):
        body = packaged(name, alias, lifecycle=lifecycle)
        body["_meta"]["template_version"] += 1
        body["template"]["mappings"]["_meta"]["template_version"] += 1
        body["template"]["mappings"]["properties"]["guardstream"]["properties"]["reviewed"] = {"type": "boolean"}
        return body

    monkeypatch.setattr(es_setup, "template_body", next_release)
    report = es_setup.setup_indices(es, cfg)
    assert any(c.startswith("template upg-verdicts v") for c in report.changes)
    assert "mapping of upg-verdicts-2026.01.05 -> v3" in report.changes
    assert es_setup.setup_indices(es, cfg).changes == []  # and idempotent again

    es.index(index="upg-verdicts-2026.01.06", id="new", refresh=True,
             document={"@timestamp": "2026-01-06T10:00:00Z", "event": {"id": "new"}, "service": {"name": "a"},
                       "guardstream": {"reviewed": True}})
    both = es.search(index="upg-verdicts", query={"term": {"service.name": "a"}})["hits"]["hits"]
    assert sorted(h["_id"] for h in both) == ["new", "old"]
    # The new field is queryable everywhere, old indices included.
    es.index(index="upg-verdicts-2026.01.05", id="old2", refresh=True,
             document={"@timestamp": "2026-01-05T11:00:00Z", "guardstream": {"reviewed": True}})
    assert es.count(index="upg-verdicts", query={"term": {"guardstream.reviewed": True}})["count"] == 2


def test_without_ilm_retention_deletes_only_expired_daily_indices(stack):
    cfg = _cfg(stack[1], "ret", verdicts_days=30, dead_letters_days=7)
    es = sync_client(cfg)
    assert es_setup.setup_indices(es, cfg).capabilities.ilm is False
    for index in ("ret-verdicts-2026.01.01", "ret-verdicts-2026.02.20", "ret-verdicts-2026.03.01",
                  "ret-dead-2026.02.20", "ret-verdicts-archive"):
        es.indices.create(index=index)
    today = date(2026, 3, 1)
    assert apply_retention(es, cfg, today=today, dry_run=True) == [
        "ret-verdicts-2026.01.01", "ret-dead-2026.02.20"]
    assert es.indices.exists(index="ret-verdicts-2026.01.01")  # dry run deleted nothing
    assert apply_retention(es, cfg, today=today) == ["ret-verdicts-2026.01.01", "ret-dead-2026.02.20"]
    remaining = set(es.indices.get(index="ret-*"))
    today_utc = datetime.now(timezone.utc)
    created_by_setup = {i for i in remaining if i.endswith(f"{today_utc:%Y.%m.%d}")}  # one per alias
    assert remaining - created_by_setup == {"ret-verdicts-2026.02.20", "ret-verdicts-2026.03.01",
                                            "ret-verdicts-archive"}
