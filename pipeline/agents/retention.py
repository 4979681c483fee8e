"""Timer ``retention``: where the cluster has no ILM, delete expired daily indices once an hour."""
from __future__ import annotations

import logging

import faust

from pipeline.elastic import sync_client
from pipeline.es_setup import detect_capabilities
from pipeline.retention import apply_retention

log = logging.getLogger(__name__)

EVERY_S = 3600.0


def register(app: faust.App, rt) -> None:
    """Attach the hourly retention timer to ``app``; ``rt`` is the shared ``pipeline.app.Runtime``."""
    cfg = rt.config.elasticsearch

    def run_once() -> list[str]:
        client = sync_client(cfg)
        try:
            if detect_capabilities(client).ilm:
                return []  # the cluster's lifecycle policies do it
            return apply_retention(client, cfg)
        finally:
            client.close()

    @app.timer(EVERY_S, on_leader=True)
    async def retention() -> None:
        try:
            deleted = await rt.run_io(run_once)
        except Exception as exc:  # noqa: BLE001 - a failed sweep is retried next hour, never fatal
            log.warning("retention sweep failed: %s", exc)
            return
        if deleted:
            log.info("retention: deleted %d expired daily indices: %s", len(deleted), ", ".join(deleted))
