"""Elasticsearch: index templates, and an idempotent bulk writer with bounded, backing-off retries.

Documents are written with ``_id`` = their natural key (``event_id`` for verdicts), so a replay after
a crash overwrites instead of duplicating.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from importlib import resources
from typing import Any, Iterable

from elasticsearch import AsyncElasticsearch, Elasticsearch
from elasticsearch import ApiError, TransportError

from schemas.config import ElasticsearchConfig

log = logging.getLogger(__name__)

#: Template file in schemas/elasticsearch → the config attribute naming its index.
TEMPLATES = {"verdicts": "verdicts_index", "dead-letters": "dead_letters_index", "alerts": "alerts_index",
             "rates": "rates_index"}

#: Per-item statuses worth retrying; everything else in 4xx is the document's fault.
RETRYABLE_STATUS = {429, 500, 502, 503, 504}


def _client_options(cfg: ElasticsearchConfig) -> dict[str, Any]:
    opts: dict[str, Any] = {"hosts": cfg.hosts, "request_timeout": cfg.request_timeout_s}
    if cfg.api_key is not None:
        opts["api_key"] = cfg.api_key.get_secret_value()
    return opts


def sync_client(cfg: ElasticsearchConfig) -> Elasticsearch:
    """A blocking client, for the CLI and tests."""
    return Elasticsearch(**_client_options(cfg))


def async_client(cfg: ElasticsearchConfig) -> AsyncElasticsearch:
    """An asyncio client, for the worker's agents."""
    return AsyncElasticsearch(**_client_options(cfg))


def template_body(name: str, index: str) -> dict[str, Any]:
    """The packaged index template ``name`` with its pattern pointed at ``index``."""
    body = json.loads(resources.files("schemas").joinpath(f"elasticsearch/{name}.json").read_text())
    body["index_patterns"] = [f"{index}*"]
    return body


def setup_indices(client: Elasticsearch, cfg: ElasticsearchConfig) -> list[str]:
    """Create or update the index templates and create the indices. Idempotent. Returns what changed."""
    changes = []
    for name, attr in TEMPLATES.items():
        index = getattr(cfg, attr)
        body = template_body(name, index)
        # One template per index name, so two deployments with other index names never share one.
        tmpl_name = index
        current = None
        if client.indices.exists_index_template(name=tmpl_name):
            found = client.indices.get_index_template(name=tmpl_name)["index_templates"]
            current = found[0]["index_template"] if found else None
        if current is None or (current.get("_meta"), current.get("index_patterns")) != (
                body["_meta"], body["index_patterns"]):
            client.indices.put_index_template(name=tmpl_name, **body)
            changes.append(f"template {tmpl_name} v{body['_meta']['template_version']}")
        if not client.indices.exists(index=index):
            client.indices.create(index=index)
            changes.append(f"index {index}")
    return changes


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
                 first_backoff_s: float = 0.2, max_backoff_s: float = 10.0) -> None:
        self.client = client
        self.chunk_size = chunk_size
        self.first_backoff_s = first_backoff_s
        self.max_backoff_s = max_backoff_s

    async def write(self, index: str, docs: Iterable[tuple[str, dict[str, Any]]]) -> list[ItemFailure]:
        pending = list(docs)
        failures: list[ItemFailure] = []
        for start in range(0, len(pending), self.chunk_size):
            failures.extend(await self._write_chunk(index, pending[start:start + self.chunk_size]))
        return failures

    async def _write_chunk(self, index: str, chunk: list[tuple[str, dict[str, Any]]]) -> list[ItemFailure]:
        failures: list[ItemFailure] = []
        backoff = self.first_backoff_s
        attempt = 0
        while chunk:
            attempt += 1
            operations: list[dict[str, Any]] = []
            for doc_id, doc in chunk:
                operations.append({"index": {"_index": index, "_id": doc_id}})
                operations.append(doc)
            try:
                response = await self.client.bulk(operations=operations)
            except (TransportError, ApiError) as exc:
                log.warning("bulk write of %d docs to %s failed (attempt %d): %s; retrying in %.1fs",
                            len(chunk), index, attempt, type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
                continue
            retry = []
            for (doc_id, doc), item in zip(chunk, response["items"]):
                result = item["index"]
                status = result.get("status", 500)
                if status < 300:
                    continue
                if status in RETRYABLE_STATUS:
                    retry.append((doc_id, doc))
                else:
                    reason = result.get("error", {})
                    failures.append(ItemFailure(doc_id, status, json.dumps(reason)[:500]))
            if retry:
                log.warning("%d of %d docs to %s need a retry; retrying in %.1fs",
                            len(retry), len(chunk), index, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
            chunk = retry
        return failures
