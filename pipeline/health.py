"""``/healthz``, ``/readyz`` and ``/metrics`` on the worker's Faust web server.

- ``/healthz``: the process and its event loop answer, and the app has not crashed (liveness).
- ``/readyz``: the consumer holds partitions after a completed rebalance, the classifiers are loaded,
  and Elasticsearch answers a ping (readiness). The body names each check, so a failing probe says why.
- ``/metrics``: Prometheus text exposition of ``pipeline.metrics.Metrics``.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiohttp.web import Response
from prometheus_client import CONTENT_TYPE_LATEST


@dataclass
class Readiness:
    """The outcome of the readiness checks; ``ok`` when all pass."""

    consumer_assigned: bool
    partitions: int
    model_loaded: bool
    elasticsearch: bool

    @property
    def ok(self) -> bool:
        return self.consumer_assigned and self.model_loaded and self.elasticsearch

    def as_dict(self) -> dict[str, Any]:
        return {"ready": self.ok, "checks": {"consumer_assigned": self.consumer_assigned,
                                             "model_loaded": self.model_loaded,
                                             "elasticsearch": self.elasticsearch},
                "partitions": self.partitions}


def assigned_partitions(app: Any) -> int | None:
    """How many partitions this worker holds after a completed rebalance; ``None`` while it has none
    settled (consumer not started, never rebalanced, or rebalancing now)."""
    if getattr(app, "rebalancing", True) or not getattr(app, "rebalancing_count", 0):
        return None
    try:
        return len(app.consumer.assignment())
    except Exception:  # noqa: BLE001 - consumer not started
        return None


async def elasticsearch_answers(client: Any, timeout_s: float) -> bool:
    """Whether Elasticsearch answers a ping within ``timeout_s`` (never raises)."""
    try:
        return bool(await asyncio.wait_for(client.ping(), timeout_s))
    except Exception:  # noqa: BLE001 - any failure means not reachable, which is the answer
        return False


async def readiness(app: Any, rt: Any) -> Readiness:
    """Run the readiness checks for ``app`` and its ``pipeline.app.Runtime``."""
    partitions = assigned_partitions(app)
    state = Readiness(consumer_assigned=bool(partitions), partitions=partitions or 0,
                      model_loaded=rt.model_loaded,
                      elasticsearch=await elasticsearch_answers(rt.writer.client,
                                                                rt.config.metrics.probe_timeout_s))
    for check, passed in state.as_dict()["checks"].items():
        rt.metrics.ready.labels(check).set(1 if passed else 0)
    return state


def register_views(app: Any, rt: Any) -> None:
    """Add the three views to the app's web server (served when ``worker.web_port`` > 0)."""

    @app.page("/healthz")
    async def healthz(self: Any, request: Any) -> Any:
        crashed = bool(getattr(app, "crashed", False))
        return self.json({"alive": not crashed}, status=503 if crashed else 200)

    @app.page("/readyz")
    async def readyz(self: Any, request: Any) -> Any:
        state = await readiness(app, rt)
        return self.json(state.as_dict(), status=200 if state.ok else 503)

    if rt.config.metrics.enabled:
        @app.page("/metrics")
        async def metrics(self: Any, request: Any) -> Any:
            rt.metrics.update_lag(app)
            # CONTENT_TYPE_LATEST carries the version and charset Prometheus expects; aiohttp refuses a
            # charset in content_type=, so it goes in as a header (as faust.sensors.prometheus does).
            return Response(body=rt.metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})
