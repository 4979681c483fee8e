"""docs/config-reference.md is generated from the config model and must match it."""
from __future__ import annotations

from pathlib import Path

from schemas.config_doc import render, rows
from schemas.config import Config

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "config-reference.md"


def test_the_reference_matches_the_model():
    assert REFERENCE.read_text() == render(), (
        "docs/config-reference.md is stale: run `python -m schemas.config_doc > docs/config-reference.md`")


def test_every_leaf_key_is_listed_once():
    keys = [key for key, *_ in rows(Config)]
    assert len(keys) == len(set(keys))
    assert {"worker.max_event_bytes", "alerts.rule.factor", "elasticsearch.retention.verdicts_days"} <= set(keys)
