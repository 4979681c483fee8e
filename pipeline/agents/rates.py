"""Agent ``rates``: violation counts per (app, model, category) in tumbling event-time windows,
judged by the spike rule when a window closes; alerts go to every notifier and into the alerts index.

Verdicts are re-keyed by series (``group_by``) so that with several workers each series is counted
by exactly one of them. First version: window and baseline state live in worker memory.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

import faust

from alerts.model import Alert
from alerts.spike import SpikeRule
from alerts.windows import WindowCounter

log = logging.getLogger(__name__)


def series_key(value: bytes) -> bytes:
    """Partition key of a verdict's series: ``app|model``."""
    try:
        doc = json.loads(value)
        return f"{doc['app']}|{doc['model']}".encode()
    except (TypeError, ValueError, KeyError):
        return b"?"


def register(app: faust.App, rt) -> None:
    """Attach the rates agent to ``app``; ``rt`` is the shared ``pipeline.app.Runtime``."""
    rule_cfg = rt.config.alerts.rule
    windows = WindowCounter(rule_cfg.window_s, rule_cfg.grace_s)
    rule = SpikeRule(rule_cfg)

    @app.agent(rt.topics.verdicts, name="rates")
    async def rates(stream: faust.StreamT) -> None:
        by_series = stream.group_by(series_key, name="by-series")
        async for batch in by_series.take(500, within=0.5):
            for value in batch:
                try:
                    doc = json.loads(value)
                    timestamp = datetime.fromisoformat(doc["@timestamp"])
                    windows.add(timestamp, doc["app"], doc["model"], doc["violations"],
                                example=(doc.get("text") or "")[:300] or None)
                except (TypeError, ValueError, KeyError):
                    continue  # the index agent dead-letters what is not a verdict
            for stats in windows.close_ready():
                alert = rule.observe(stats)
                if alert is not None:
                    await _deliver(rt, alert)

    app.guardstream_windows = windows  # type: ignore[attr-defined]


async def _deliver(rt, alert: Alert) -> None:
    """Send to every notifier (blocking HTTP, so in a thread) and index the alert with the outcomes."""
    log.warning("alert %s: %s", alert.fingerprint, alert.summary)
    deliveries = []
    for notifier in rt.notifiers:
        result = await rt.run_io(notifier.send, alert)
        deliveries.append({"notifier": notifier.name, "outcome": result.outcome,
                           "status": result.status_code, "attempts": result.attempts,
                           "detail": result.detail[:300]})
        if not result.delivered:
            log.error("alert %s not delivered by %s: %s", alert.fingerprint, notifier.name, result.detail)
    doc = alert.model_dump(mode="json")
    doc["@timestamp"] = datetime.now(timezone.utc).isoformat()
    doc["deliveries"] = deliveries
    doc_id = f"{alert.fingerprint}-{int(alert.window_start.timestamp())}"
    await rt.writer.write(rt.config.elasticsearch.alerts_index, [(doc_id, doc)])
