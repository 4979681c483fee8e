"""Lifecycle policies and templates as setup sends them (the ILM path cannot run against noida-db)."""
from __future__ import annotations

from datetime import date

from pipeline.elastic import daily_index
from pipeline.es_setup import lifecycle_policy, template_body
from pipeline.retention import index_day


def test_policy_goes_hot_warm_delete_with_the_configured_ages():
    phases = lifecycle_policy(365, 7)["phases"]
    assert list(phases) == ["hot", "warm", "delete"]
    assert phases["warm"]["min_age"] == "7d" and "readonly" in phases["warm"]["actions"]
    assert phases["delete"] == {"min_age": "365d", "actions": {"delete": {}}}
    assert "warm" not in lifecycle_policy(5, 7)["phases"]  # nothing to warm before deletion


def test_templates_target_daily_indices_behind_the_alias():
    body = template_body("verdicts", "acme-verdicts", lifecycle="acme-verdicts-policy")
    assert body["index_patterns"] == ["acme-verdicts-*"]
    assert body["template"]["aliases"] == {"acme-verdicts": {}}
    settings = body["template"]["settings"]
    assert settings["index.lifecycle.name"] == "acme-verdicts-policy"
    assert settings["index.lifecycle.parse_origination_date"] is True
    assert "index.lifecycle.name" not in template_body("verdicts", "x")["template"]["settings"]


def test_documents_go_to_the_day_of_their_own_timestamp_in_utc():
    assert daily_index("v", "2026-01-05T23:30:00-02:00") == "v-2026.01.06"
    assert daily_index("v", "2026-01-05T10:00:00Z") == "v-2026.01.05"
    assert index_day("v-2026.01.05") == date(2026, 1, 5)
    assert index_day("v-archive") is None and index_day("v-2026.13.40") is None
