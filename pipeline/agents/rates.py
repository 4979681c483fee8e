"""Agents ``observe`` and ``rates``: violation counts per (app, model, category) in tumbling event-time
windows, judged by the spike rule as windows close; alerts go to every notifier and the alerts index.

``observe`` re-keys each verdict by its series (``app|model``) onto an internal topic, so with several
workers each series is counted by exactly one of them, and records which verdict partition it came
from: the window watermark is the lowest of those partitions' progress (see ``alerts.windows``).
First version: window and baseline state live in worker memory.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime

import faust

from alerts.model import Alert
from alerts.spike import SpikeRule
from alerts.windows import WindowCounter
from schemas.documents import alert_document, rate_document

log = logging.getLogger(__name__)

#: How much of a (masked) violating text an alert may quote.
EXAMPLE_CHARS = 300


def observation(verdict: dict, source_partition: int) -> dict:
    """The part of a verdict the rates agent needs."""
    return {"ts": verdict["@timestamp"], "app": verdict["app"], "model": verdict["model"],
            "violations": verdict["violations"], "src": source_partition,
            "example": (verdict.get("text") or "")[:EXAMPLE_CHARS] or None}


def register(app: faust.App, rt) -> None:
    """Attach the observe and rates agents to ``app``; ``rt`` is the shared ``pipeline.app.Runtime``."""
    rule_cfg = rt.config.alerts.rule
    partitions = rt.config.kafka.topics.partitions
    windows = WindowCounter(rule_cfg.window_s, rule_cfg.grace_s, expected_sources=range(partitions),
                            idle_s=max(5.0, rt.config.worker.batch_within_s * 4))
    rule = SpikeRule(rule_cfg)
    observations = app.topic(f"{rt.config.kafka.consumer_group}-observations", internal=True,
                             partitions=partitions, key_type=bytes, value_type=bytes)

    @app.agent(rt.topics.verdicts, name="observe")
    async def observe(stream: faust.StreamT) -> None:
        async for batch in stream.take_events(500, within=0.5):
            sends = []
            for ev in batch:
                try:
                    verdict = json.loads(ev.value)
                    obs = observation(verdict, ev.message.partition)
                except (TypeError, ValueError, KeyError):
                    continue  # the index agent dead-letters what is not a verdict
                key = f"{obs['app']}|{obs['model']}".encode()
                sends.append(await observations.send(key=key, value=json.dumps(obs).encode()))
            for fut in sends:
                await fut

    @app.agent(observations, name="rates")
    async def rates(stream: faust.StreamT) -> None:
        async for batch in stream.take(500, within=0.5):
            for value in batch:
                obs = json.loads(value)
                windows.add(datetime.fromisoformat(obs["ts"]), obs["app"], obs["model"], obs["violations"],
                            example=obs["example"], source=obs["src"])
            await _judge_closed(rt, windows, rule)

    @app.timer(1.0)
    async def close_idle_windows() -> None:
        # Windows also close when partitions fall idle, which no new record would announce.
        await _judge_closed(rt, windows, rule)

    app.guardstream_windows = windows  # type: ignore[attr-defined]


async def _judge_closed(rt, windows: WindowCounter, rule: SpikeRule) -> None:
    closed = windows.close_ready()
    if closed:
        log.info("closed %d window rows up to %s", len(closed), closed[-1].window_end.isoformat())
    docs = []
    for stats in closed:
        baseline = rule.baseline(stats.app, stats.model, stats.category)  # before this window joins it
        alert = rule.observe(stats)
        docs.append((f"{stats.app}|{stats.model}|{stats.category}|{stats.window_start.isoformat()}",
                     rate_document(stats, baseline=baseline)))
        if alert is not None:
            await _deliver(rt, alert)
    if docs:
        await rt.writer.write(rt.config.elasticsearch.rates_index, docs)


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
    doc_id = f"{alert.fingerprint}-{int(alert.window_start.timestamp())}"
    await rt.writer.write(rt.config.elasticsearch.alerts_index, [(doc_id, alert_document(alert, deliveries))])
