"""Retention without ILM: delete daily indices older than each kind's retention period.

Used where the cluster has no ILM (the embedded noida-db, some managed services); the worker runs it
hourly and ``guardstream retention`` runs it by hand. With ILM the cluster's policies do this instead.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from elasticsearch import Elasticsearch

from pipeline.es_setup import KINDS
from schemas.config import ElasticsearchConfig

_DAY = re.compile(r"-(\d{4})\.(\d{2})\.(\d{2})$")


def index_day(index: str) -> date | None:
    """The day in a daily index name (``...-2026.01.05``), or None for any other name."""
    match = _DAY.search(index)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def expired_indices(client: Elasticsearch, cfg: ElasticsearchConfig, *, today: date | None = None) -> list[str]:
    """Daily indices whose day is more than the kind's retention ago, oldest first."""
    today = today or datetime.now(timezone.utc).date()
    expired = []
    for _, alias_attr, days_attr in KINDS.values():
        alias = getattr(cfg, alias_attr)
        keep_from = today - timedelta(days=getattr(cfg.retention, days_attr))
        found = client.options(ignore_status=404).indices.get(index=f"{alias}-*")
        for index in found if "error" not in found else {}:
            day = index_day(index)
            # Only names of exactly <alias>-YYYY.MM.DD: never touch someone else's index.
            if day is not None and index == f"{alias}-{day:%Y.%m.%d}" and day < keep_from:
                expired.append((day, index))
    return [index for _, index in sorted(expired)]


def apply_retention(client: Elasticsearch, cfg: ElasticsearchConfig, *, today: date | None = None,
                    dry_run: bool = False) -> list[str]:
    """Delete the expired daily indices (or only list them with ``dry_run``). Returns their names."""
    expired = expired_indices(client, cfg, today=today)
    if not dry_run:
        for index in expired:
            client.indices.delete(index=index)
    return expired
