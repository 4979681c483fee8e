"""Elasticsearch clients and an idempotent bulk writer with backing-off retries.

Documents are written with ``_id`` = their natural key (``event_id`` for verdicts) into the daily index
of their own ``@timestamp`` (see ``pipeline.es_setup``), so a replay after a crash overwrites instead
of duplicating.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from elasticsearch import AsyncElasticsearch, Elasticsearch
from elasticsearch import ApiError, TransportError

from pipeline.metrics import Metrics
from schemas.config import ElasticsearchConfig

log = logging.getLogger(__name__)

#: Per-item statuses worth retrying; everything else in 4xx is the document's fault.
RETRYABLE_STATUS = {429, 500, 502, 503, 504}


def _client_options(cfg: ElasticsearchConfig) -> dict[str, Any]:
    opts: dict[str, Any] = {"hosts": cfg.hosts, "request_timeout": cfg.request_timeout_s}
    if cfg.api_key is not None:
        opts["api_key"] = cfg.api_key.get_secret_value()
    if any(host.startswith("https://") for host in cfg.hosts):
        from pipeline.tls import ssl_context

        # Our own context (CA, client cert, host-name check) so ES and Kafka verify servers the same way.
        opts["ssl_context"] = ssl_context(cfg.tls)
    return opts


def sync_client(cfg: ElasticsearchConfig) -> Elasticsearch:
    """A blocking client, for the CLI and tests."""
    return Elasticsearch(**_client_options(cfg))


def async_client(cfg: ElasticsearchConfig) -> AsyncElasticsearch:
    """An asyncio client, for the worker's agents."""
    return AsyncElasticsearch(**_client_options(cfg))


def daily_index(alias: str, timestamp: str) -> str:
    """The daily index a document belongs to: ``<alias>-YYYY.MM.DD`` from its ISO ``@timestamp`` (UTC)."""
    moment = datetime.fromisoformat(timestamp)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return f"{alias}-{moment:%Y.%m.%d}"


@dataclass
class ItemFailure:
    """A document Elasticsearch refused for good (e.g. a mapping error)."""

    doc_id: str
    status: int
    error: str


class BulkWriter:
    """Writes batches of documents; returns only once every document is stored or refused for good.

    Connection errors, 429 and 5xx are retried with exponential backoff (capped at ``max_backoff_s``)
    for as long as it takes: the caller's stream does not advance meanwhile, which is the back-pressure
    we want instead of dropping or buffering without limit.
    """

    def __init__(self, client: AsyncElasticsearch, *, chunk_size: int = 500,
                 first_backoff_s: float = 0.2, max_backoff_s: float = 10.0,
                 metrics: Metrics | None = None) -> None:
        self.client = client
        self.metrics = metrics or Metrics()  # bulk latency and failures (see pipeline.metrics)
        self.chunk_size = chunk_size
        self.first_backoff_s = first_backoff_s
        self.max_backoff_s = max_backoff_s

    async def write(self, alias: str, docs: Iterable[tuple[str, dict[str, Any]]]) -> list[ItemFailure]:
        """Write ``(id, document)`` pairs to the daily indices behind ``alias``; returns permanent refusals."""
        pending = [(daily_index(alias, doc["@timestamp"]), doc_id, doc) for doc_id, doc in docs]
        failures: list[ItemFailure] = []
        for start in range(0, len(pending), self.chunk_size):
            failures.extend(await self._write_chunk(alias, pending[start:start + self.chunk_size]))
        return failures

    async def _write_chunk(self, alias: str, chunk: list[tuple[str, str, dict[str, Any]]]) -> list[ItemFailure]:
        failures: list[ItemFailure] = []
        backoff = self.first_backoff_s
        attempt = 0
        while chunk:
            attempt += 1
            operations: list[dict[str, Any]] = []
            for index, doc_id, doc in chunk:
                operations.append({"index": {"_index": index, "_id": doc_id}})
                operations.append(doc)
            started, refused_before = time.perf_counter(), len(failures)
            try:
                response = await self.client.bulk(operations=operations)
            except (TransportError, ApiError) as exc:
                self.metrics.bulk_request_failed(alias)
                log.warning("bulk write of %d docs to %s failed (attempt %d): %s; retrying in %.1fs",
                            len(chunk), alias, attempt, type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
                continue
            retry = []
            for (index, doc_id, doc), item in zip(chunk, response["items"]):
                result = item["index"]
                status = result.get("status", 500)
                if status < 300:
                    continue
                if status in RETRYABLE_STATUS:
                    retry.append((index, doc_id, doc))
                else:
                    reason = result.get("error", {})
                    failures.append(ItemFailure(doc_id, status, json.dumps(reason)[:500]))
            self.metrics.bulk_answered(alias, time.perf_counter() - started, retried=len(retry),
                                       rejected=len(failures) - refused_before)
            if retry:
                log.warning("%d of %d docs to %s need a retry; retrying in %.1fs",
                            len(retry), len(chunk), alias, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
            chunk = retry
        return failures
