"""Agent ``anomaly``: closed windows from ``genai.rates`` → the detectors (``alerts.judge.RateJudge``) →
each series' alert (``alerts.lifecycle.AlertTracker``) → news for the alert's groups.

Every window is indexed in the rates index with the judgement (baseline, anomalous, score, why).
Alert news goes to the internal ``<group>-alert-updates`` topic keyed by group, where the ``alerts``
agent (``pipeline.agents.alerting``) decides what to notify.

State survives a restart in two changelog-backed tables keyed by series (``app|model|category``,
like ``genai.rates``, so a series' rows live in the partition of its windows): ``rate-judges`` (the
detectors' learned state, restored into the judge when Faust has recovered the table) and
``alert-trackers`` (firing or not, normal streak, cooldown, the newest window applied, so a replayed
window is neither learned twice nor alerted twice). News is sent before the tables are written: a
crash in between replays the window, and the groups skip what they have already seen.
"""
from __future__ import annotations

import json
import logging
from typing import Any

import faust

from alerts.judge import RateJudge
from alerts.lifecycle import AlertTracker, Lifecycle
from pipeline.agents.rates import rate_key, rates_topic, state_table, stats_from_dict
from schemas.documents import rate_document

log = logging.getLogger(__name__)


def updates_topic(app: faust.App, config) -> faust.TopicT:
    """Alert news for groups, keyed by group key (so one worker owns each group)."""
    return app.topic(f"{config.kafka.consumer_group}-alert-updates", internal=True,
                     partitions=config.kafka.topics.partitions, key_type=bytes, value_type=bytes)


def register(app: faust.App, rt) -> None:
    """Attach the anomaly agent to ``app``; ``rt`` is the shared ``pipeline.app.Runtime``."""
    config = rt.config
    lifecycle = Lifecycle(config.alerts)
    holder: dict[str, RateJudge] = {"judge": RateJudge(config.alerts)}
    judges = state_table(app, "rate-judges", config)
    trackers = state_table(app, "alert-trackers", config)
    news = updates_topic(app, config)

    @judges.on_recover
    async def restore_judges() -> None:
        # A fresh judge: series this worker no longer owns must not linger with stale state.
        judge = RateJudge(config.alerts)
        restored = 0
        for raw in list(judges.values()):
            try:
                row = json.loads(raw)
                judge.load_series((row["app"], row["model"], row["category"]), row["state"])
                restored += 1
            except (TypeError, ValueError, KeyError) as exc:
                log.error("ignoring an unreadable rate-judges row: %s", exc)
        holder["judge"] = judge
        log.info("detector state restored for %d series", restored)

    @app.agent(rates_topic(app, config), name="anomaly")
    async def anomaly(stream: faust.StreamT) -> None:
        async for batch in stream.take(500, within=0.5):
            await _judge_batch(rt, holder["judge"], lifecycle, batch, judges, trackers, news)


async def _judge_batch(rt, judge: RateJudge, lifecycle: Lifecycle, batch, judges: faust.TableT,
                       trackers: faust.TableT, news: faust.TopicT) -> None:
    rate_docs = []
    sends = []
    changed: dict[bytes, tuple[Any, AlertTracker]] = {}  # series key -> (stats, tracker)
    for value in batch:
        try:
            stats = stats_from_dict(json.loads(value))
        except (TypeError, ValueError, KeyError) as exc:
            log.error("skipping a malformed genai.rates record: %s", type(exc).__name__)
            continue
        key = rate_key(stats)
        if key in changed:
            tracker = changed[key][1]
        else:
            raw = trackers.get(key)
            tracker = AlertTracker.from_dict(json.loads(raw)) if raw else AlertTracker()
        if tracker.last_window is not None and stats.window_start <= tracker.last_window:
            continue  # emitted twice around a restart: already learned and alerted
        try:
            judgement = judge.observe(stats)
            updates = lifecycle.track(tracker, judgement)
        except Exception:  # noqa: BLE001 - one odd series must not stop the others
            log.exception("judging %s/%s/%s failed; window skipped", stats.app, stats.model, stats.category)
            continue
        for update in updates:
            sends.append(await news.send(key=update.group.key.encode(), value=json.dumps(update.to_dict()).encode()))
        changed[key] = (stats, tracker)
        doc_id = f"{stats.app}|{stats.model}|{stats.category}|{stats.window_start.isoformat()}"
        rate_docs.append((doc_id, rate_document(stats, judgement=judgement)))
        if judgement.anomalous:
            log.info("anomalous window %s/%s/%s at %s: %s", stats.app, stats.model, stats.category,
                     stats.window_start.isoformat(), "; ".join(judgement.reasons)[:300])
    if rate_docs:
        await rt.writer.write(rt.config.elasticsearch.rates_index, rate_docs)
    for fut in sends:
        await fut
    for key, (stats, tracker) in changed.items():
        trackers[key] = json.dumps(tracker.to_dict()).encode()
        series = (stats.app, stats.model, stats.category)
        judges[key] = json.dumps({"app": stats.app, "model": stats.model, "category": stats.category,
                                  "state": judge.series_state(series)}).encode()
