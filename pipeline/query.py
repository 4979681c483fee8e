"""``guardstream query``: the verdict index for people without Kibana.

Filters combine with AND: category (any of several), app, model, kind, time range, free text on the
masked message. Output: a table, JSON lines, a count, or a histogram over time.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, TextIO

from elasticsearch import Elasticsearch

from schemas.config import ConfigError

_RELATIVE = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_time(value: str, *, now: datetime | None = None) -> datetime:
    """``15m`` / ``2h`` / ``7d`` ago, or an RFC 3339 timestamp (naive means UTC)."""
    now = now or datetime.now(timezone.utc)
    match = _RELATIVE.match(value.strip())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"time {value!r}: use e.g. 15m, 2h, 7d or 2026-01-05T09:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass
class Filters:
    categories: list[str] = field(default_factory=list)
    app: str | None = None
    model: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None

    def to_query(self) -> dict[str, Any]:
        """The Elasticsearch bool query for these filters."""
        clauses: list[dict[str, Any]] = []
        if self.categories:
            clauses.append({"terms": {"guardstream.violations": self.categories}})
        for fieldname, value in (("service.name", self.app), ("gen_ai.request.model", self.model),
                                 ("guardstream.kind", self.kind)):
            if value is not None:
                clauses.append({"term": {fieldname: value}})
        if self.since or self.until:
            bounds = {}
            if self.since:
                bounds["gte"] = self.since.isoformat()
            if self.until:
                bounds["lt"] = self.until.isoformat()
            clauses.append({"range": {"@timestamp": bounds}})
        query: dict[str, Any] = {"bool": {"filter": clauses}}
        if self.text:
            query["bool"]["must"] = [{"match": {"message": {"query": self.text, "operator": "and"}}}]
        return query


def search(client: Elasticsearch, index: str, filters: Filters, *, limit: int) -> list[dict[str, Any]]:
    """Matching documents, newest first."""
    client.indices.refresh(index=index)
    hits = client.search(index=index, query=filters.to_query(), size=limit,
                         sort=[{"@timestamp": "desc"}, {"event.id": "asc"}])["hits"]["hits"]
    return [hit["_source"] for hit in hits]


def count(client: Elasticsearch, index: str, filters: Filters) -> int:
    client.indices.refresh(index=index)
    return int(client.count(index=index, query=filters.to_query())["count"])


def histogram(client: Elasticsearch, index: str, filters: Filters, interval: str) -> list[tuple[str, int]]:
    """(bucket start, matching documents) per ``interval`` (e.g. 1m, 1h, 1d)."""
    if not _RELATIVE.match(interval):
        raise ConfigError(f"histogram interval {interval!r}: use e.g. 1m, 1h, 1d")
    client.indices.refresh(index=index)
    result = client.search(index=index, query=filters.to_query(), size=0, aggs={
        "t": {"date_histogram": {"field": "@timestamp", "fixed_interval": interval, "min_doc_count": 1}}})
    return [(b["key_as_string"], b["doc_count"]) for b in result["aggregations"]["t"]["buckets"]]


def print_table(docs: list[dict[str, Any]], out: TextIO, *, width: int = 70) -> None:
    """One line per document: time, id, app, model, kind, violations, start of the masked text."""
    rows = [("time", "event.id", "app", "model", "kind", "violations", "message")]
    for doc in docs:
        gs = doc.get("guardstream", {})
        text = (doc.get("message") or doc.get("gen_ai", {}).get("tool", {}).get("name", "")).replace("\n", " ")
        rows.append((doc["@timestamp"][:19], doc["event"]["id"], doc["service"]["name"],
                     doc["gen_ai"]["request"]["model"], gs.get("kind", ""), ",".join(gs.get("violations", [])) or "-",
                     text[:width] + ("…" if len(text) > width else "")))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1] + "\n")
    out.write(f"({len(docs)} shown)\n")


def print_json(docs: list[dict[str, Any]], out: TextIO) -> None:
    for doc in docs:
        out.write(json.dumps(doc, sort_keys=True) + "\n")
