"""Agents ``observe`` and ``rates``: violation counts per (app, model, category) in tumbling event-time
windows; each closed window goes to the ``genai.rates`` topic (``kafka.topics.rates``).

``observe`` re-keys each verdict by its series (``app|model``) onto an internal topic, so with several
workers each series is counted by exactly one of them, and records which verdict partition it came
from: the window watermark is the lowest of those partitions' progress (see ``alerts.windows``).
A batch's observations of one series and window travel as one record (up to
``OBSERVATIONS_PER_RECORD``): one record per verdict cost a produce and a consume per event, for a few
dozen bytes each.

The open windows survive a restart: after every batch the touched series' windows are written to the
changelog-backed table ``rate-windows`` (keyed like the internal topic, so a series' row lives in the
partition of its records), and when Faust has recovered the table at start-up (or after a rebalance)
the counter is rebuilt from it. A window closed just before a crash may be emitted twice; the
``anomaly`` agent skips windows it has already judged.
"""
from __future__ import annotations

import json
import logging
import math
from datetime import datetime, timezone
from typing import Any

import faust

from alerts.windows import WindowCounter, WindowStats, _Bucket, window_start

log = logging.getLogger(__name__)

#: How much of a (masked) violating text an alert may quote.
EXAMPLE_CHARS = 300
WINDOW_STATE_VERSION = 1
IDLE_S = 15.0
#: Observations per record on the internal topic (bounds a record at ~200 KB with examples).
OBSERVATIONS_PER_RECORD = 200


def observation(verdict: dict, source_partition: int) -> dict:
    """The part of a verdict the rates agent needs (the example only when something was violated)."""
    violations = verdict["violations"]
    example = ((verdict.get("text") or "")[:EXAMPLE_CHARS] or None) if violations else None
    return {"ts": verdict["@timestamp"], "app": verdict["app"], "model": verdict["model"],
            "violations": violations, "src": source_partition, "example": example}


def observation_records(observations: list[dict], window_s: int) -> list[tuple[bytes, bytes]]:
    """(key, value) records for the internal topic: the observations grouped per series and window.

    Records go out earlier windows first. The window watermark is shared by every series (it follows
    the verdict partitions), so a batch that holds minutes of a backlog must not deliver one series'
    last minute before another series' first: that minute would advance the watermark and the other
    series' earlier windows would be dropped as late.
    """
    groups: dict[tuple[float, bytes], list[dict]] = {}
    for obs in observations:
        groups.setdefault((_window_of(obs, window_s), series_key(obs["app"], obs["model"])), []).append(obs)
    ordered = sorted(groups.items(), key=lambda item: item[0][0])  # stable: first seen first within a window
    return [(key, json.dumps({"observations": group[i : i + OBSERVATIONS_PER_RECORD]}).encode())
            for (_, key), group in ordered for i in range(0, len(group), OBSERVATIONS_PER_RECORD)]


def _window_of(obs: dict, window_s: int) -> float:
    try:
        return window_start(datetime.fromisoformat(obs["ts"]), window_s)
    except (TypeError, ValueError):
        return -math.inf  # the rates agent logs and skips it


def observations_in(record: Any) -> list[dict]:
    """The observations of one decoded internal record; TypeError if it is neither form.

    A record is ``{"observations": [...]}``; a bare observation is what earlier versions wrote, one per
    verdict, and may still be in the topic when a worker is upgraded.
    """
    if isinstance(record, dict) and isinstance(record.get("observations"), list):
        return record["observations"]
    if isinstance(record, dict) and "ts" in record:
        return [record]
    raise TypeError("not an observation record")


def series_key(app: str, model: str) -> bytes:
    """The Kafka key of an (app, model) series: its observations and its open windows share a partition."""
    return f"{app}|{model}".encode()


def rate_key(stats: WindowStats) -> bytes:
    """The ``genai.rates`` key: one (app, model, category) series, so its detector and alert state share a partition."""
    return f"{stats.app}|{stats.model}|{stats.category}".encode()


def _utc_time(value: Any) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # naive means UTC, as for events


def stats_from_dict(data: dict[str, Any]) -> WindowStats:
    """Inverse of ``WindowStats.to_dict`` (a ``genai.rates`` record); ValueError/KeyError/TypeError if malformed."""
    return WindowStats(app=str(data["app"]), model=str(data["model"]), category=str(data["category"]),
                       window_start=_utc_time(data["window_start"]), window_end=_utc_time(data["window_end"]),
                       events=int(data["events"]), violations=int(data["violations"]), rate=float(data["rate"]),
                       examples=tuple(str(e) for e in data.get("examples", ())))


def rates_topic(app: faust.App, config) -> faust.TopicT:
    """``genai.rates``; declared internal so the worker creates it when ``guardstream setup`` has not."""
    return app.topic(config.kafka.topics.rates, internal=True, partitions=config.kafka.topics.partitions,
                     key_type=bytes, value_type=bytes)


def state_table(app: faust.App, name: str, config) -> faust.TableT:
    """A table of JSON rows keyed like the records that change them.

    ``use_partitioner`` sends each changelog record to the partition of its key (the producer's
    partitioner, as for the source topic), which lets timers write rows too, outside any event.
    """
    return app.Table(name, partitions=config.kafka.topics.partitions, key_type=bytes, value_type=bytes,
                     use_partitioner=True, help=f"GuardStream {name} (JSON rows)")


class DurableWindowCounter(WindowCounter):
    """A ``WindowCounter`` whose open windows can be saved and restored one series at a time."""

    def add(self, timestamp: datetime, app: str, model: str, violations, example: str | None = None, *,
            source=None) -> bool:
        """As ``WindowCounter.add``; the wait for every expected source starts at the first record."""
        if not self._source_max:
            # Not at construction: a worker that took longer than idle_s to start (model loading,
            # table recovery) would otherwise set the watermark from the first partition alone and
            # drop the other partitions' records of a restored window as late.
            self._started = self._clock()
        return super().add(timestamp, app, model, violations, example, source=source)

    def series_state(self, app: str, model: str) -> dict[str, Any]:
        """The open windows of one series as plain data."""
        buckets = [{"start": start, "events": b.events, "violations": dict(b.violations),
                    "examples": b.examples}
                   for (start, a, m), b in sorted(self._buckets.items()) if (a, m) == (app, model)]
        closed = self._closed_until if math.isfinite(self._closed_until) else None
        return {"version": WINDOW_STATE_VERSION, "app": app, "model": model, "closed_until": closed,
                "buckets": buckets}

    def load_series(self, data: dict[str, Any]) -> None:
        """Replace one series' open windows with ``series_state`` output."""
        if data.get("version") != WINDOW_STATE_VERSION:
            raise ValueError(f"unsupported window state version: {data.get('version')!r}")
        app, model = data["app"], data["model"]
        for key in [k for k in self._buckets if (k[1], k[2]) == (app, model)]:
            del self._buckets[key]
        for item in data["buckets"]:
            bucket = _Bucket(events=int(item["events"]))
            bucket.violations.update({str(c): int(n) for c, n in item["violations"].items()})
            bucket.examples = {str(c): [str(e) for e in ex] for c, ex in item["examples"].items()}
            self._buckets[(int(item["start"]), app, model)] = bucket
        if data.get("closed_until") is not None:
            self._closed_until = max(self._closed_until, float(data["closed_until"]))

    def reset(self) -> None:
        """Forget every open window (before a restore from the table)."""
        self._buckets.clear()


def register(app: faust.App, rt) -> None:
    """Attach the observe and rates agents to ``app``; ``rt`` is the shared ``pipeline.app.Runtime``."""
    rule_cfg = rt.config.alerts.rule
    partitions = rt.config.kafka.topics.partitions
    # A partition counts as idle (no longer holding the watermark back) after IDLE_S without records.
    # Too short, and a partition whose verdicts are merely late (a worker still loading its model after
    # a restart) gets its records dropped as late: 5 s did that on a busy 2-core machine.
    windows = DurableWindowCounter(rule_cfg.window_s, rule_cfg.grace_s, expected_sources=range(partitions),
                                   idle_s=max(IDLE_S, rt.config.worker.batch_within_s * 4))
    observations = app.topic(f"{rt.config.kafka.consumer_group}-observations", internal=True,
                             partitions=partitions, key_type=bytes, value_type=bytes)
    closed_windows = rates_topic(app, rt.config)
    table = state_table(app, "rate-windows", rt.config)

    @table.on_recover
    async def restore_windows() -> None:
        windows.reset()
        restored = 0
        for raw in list(table.values()):
            try:
                windows.load_series(json.loads(raw))
                restored += 1
            except (TypeError, ValueError, KeyError) as exc:
                log.error("ignoring an unreadable rate-windows row: %s", exc)
        log.info("rate windows restored for %d series (%d open windows)", restored, windows.open_windows)

    @app.agent(rt.topics.verdicts, name="observe")
    async def observe(stream: faust.StreamT) -> None:
        async for batch in stream.take_events(500, within=0.5):
            found = []
            for ev in batch:
                try:
                    found.append(observation(json.loads(ev.value), ev.message.partition))
                except (TypeError, ValueError, KeyError):
                    continue  # the index agent dead-letters what is not a verdict
            sends = [await observations.send(key=key, value=value)
                     for key, value in observation_records(found, rule_cfg.window_s)]
            for fut in sends:
                await fut

    @app.agent(observations, name="rates")
    async def rates(stream: faust.StreamT) -> None:
        async for batch in stream.take(500, within=0.5):
            touched: set[tuple[str, str]] = set()
            for value in batch:
                try:
                    found = observations_in(json.loads(value))
                except (TypeError, ValueError) as exc:
                    log.error("skipping a malformed observation record: %s", type(exc).__name__)
                    continue
                for obs in found:
                    try:
                        windows.add(datetime.fromisoformat(obs["ts"]), obs["app"], obs["model"],
                                    obs["violations"], example=obs.get("example"), source=obs["src"])
                    except (TypeError, ValueError, KeyError) as exc:
                        log.error("skipping a malformed observation: %s", type(exc).__name__)
                        continue
                    touched.add((obs["app"], obs["model"]))
            await _close_windows(windows, closed_windows, table, touched)

    @app.timer(1.0)
    async def close_idle_windows() -> None:
        # Windows also close when partitions fall idle, which no new record would announce.
        await _close_windows(windows, closed_windows, table, set())

    app.guardstream_windows = windows  # type: ignore[attr-defined]


async def _close_windows(windows: DurableWindowCounter, topic: faust.TopicT, table: faust.TableT,
                         touched: set[tuple[str, str]]) -> None:
    closed = windows.close_ready()
    if closed:
        log.info("closed %d window rows up to %s", len(closed), closed[-1].window_end.isoformat())
    # Emitted before the table forgets them: a crash in between emits a window twice, never zero times.
    sends = [await topic.send(key=rate_key(s), value=json.dumps(s.to_dict()).encode()) for s in closed]
    for fut in sends:
        await fut
    for app, model in touched | {(s.app, s.model) for s in closed}:
        table[series_key(app, model)] = json.dumps(windows.series_state(app, model)).encode()
