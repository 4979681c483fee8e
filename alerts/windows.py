"""Tumbling event-time windows that count events and violations per (app, model, category).

Pure logic: the caller feeds verdicts in and takes closed windows out. Kafka, Faust tables and
persistence belong to the pipeline. Time is *event* time: a window closes when the watermark has
passed its end by the grace period, so a replay of old data gives the same windows as the live run did.

Input usually arrives from several Kafka partitions that are each in time order but not with each
other (one partition's batch may run minutes of event time ahead during a replay). So the watermark
is tracked per *source* (the partition a record came from) and the counter's watermark is the lowest
of them, as in Flink. A source that has sent nothing for ``idle_s`` seconds of wall time stops holding
the watermark back, so a quiet partition cannot stall every window.
"""
from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Hashable, Iterable

from schemas.event import CATEGORIES

#: Example texts kept per window and category; enough to show what happened, small enough to page.
MAX_EXAMPLES = 3


@dataclass(frozen=True)
class WindowStats:
    """Counts for one (app, model, category) series in one closed window."""

    app: str
    model: str
    category: str
    window_start: datetime
    window_end: datetime
    events: int
    violations: int
    rate: float
    #: Up to ``MAX_EXAMPLES`` texts that violated this category, already PII-masked by the caller.
    examples: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (ISO 8601 times), e.g. for the ``genai.rates`` topic."""
        return {
            "app": self.app, "model": self.model, "category": self.category,
            "window_start": self.window_start.isoformat(), "window_end": self.window_end.isoformat(),
            "events": self.events, "violations": self.violations, "rate": self.rate,
            "examples": list(self.examples),
        }


@dataclass
class _Bucket:
    events: int = 0
    violations: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)


def _epoch(ts: datetime) -> float:
    # Naive timestamps are read as UTC, as schemas.event.Event does.
    return (ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)).timestamp()


def window_start(ts: datetime, window_s: int) -> int:
    """Start (epoch seconds) of the tumbling window of ``window_s`` seconds that holds ``ts``."""
    return _window_of_epoch(_epoch(ts), window_s)


def _window_of_epoch(seconds: float, window_s: int) -> int:
    return math.floor(seconds / window_s) * window_s


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


class WindowCounter:
    """Count events and violations in tumbling windows of ``window_s`` seconds.

    Windows are keyed by their start (aligned to the epoch, so every worker agrees). An event whose
    window already closed, or whose window end + ``grace_s`` is at or before the watermark, is late:
    it is counted in ``late_dropped`` and otherwise ignored.

    ``expected_sources`` names the sources (partitions) that should report: until each has reported
    or ``idle_s`` has passed since start, no window closes. ``clock`` is injectable for tests.
    """

    def __init__(self, window_s: int, grace_s: int = 0, *, expected_sources: Iterable[Hashable] = (),
                 idle_s: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        if window_s <= 0 or grace_s < 0 or idle_s <= 0:
            raise ValueError("window_s and idle_s must be > 0 and grace_s >= 0")
        self.window_s = window_s
        self.grace_s = grace_s
        self.idle_s = idle_s
        self.late_dropped = 0
        self._clock = clock
        self._started = clock()
        self._expected = frozenset(expected_sources)
        self._buckets: dict[tuple[int, str, str], _Bucket] = {}
        self._source_max: dict[Hashable, float] = {}
        self._source_seen: dict[Hashable, float] = {}
        # Windows starting before this were already emitted; a straggler must not reopen them.
        self._closed_until = -math.inf

    @property
    def _watermark(self) -> float | None:
        if not self._source_max:
            return None
        now = self._clock()
        if now - self._started < self.idle_s and not self._expected <= self._source_max.keys():
            return None  # still waiting for an expected source to say where it is
        active = [mx for src, mx in self._source_max.items() if now - self._source_seen[src] < self.idle_s]
        # When every source is idle, all that was sent has arrived: the newest timestamp is safe.
        return min(active) if active else max(self._source_max.values())

    @property
    def watermark(self) -> datetime | None:
        """The lowest of the active sources' latest timestamps (UTC), or None while unknown."""
        mark = self._watermark
        return None if mark is None else _utc(mark)

    @property
    def open_windows(self) -> int:
        """How many (window, app, model) buckets are still open."""
        return len(self._buckets)

    def add(self, timestamp: datetime, app: str, model: str, violations: Iterable[str],
            example: str | None = None, *, source: Hashable = None) -> bool:
        """Count one event; ``violations`` are its categories over threshold, ``example`` its masked text,
        ``source`` the partition it came from.

        Returns False (and bumps ``late_dropped``) when the event arrived too late for its window.
        """
        ts = _epoch(timestamp)
        start = _window_of_epoch(ts, self.window_s)
        mark = self._watermark
        too_late = mark is not None and start + self.window_s + self.grace_s <= mark
        self._source_max[source] = max(self._source_max.get(source, ts), ts)
        self._source_seen[source] = self._clock()
        if too_late or start < self._closed_until:
            self.late_dropped += 1
            return False
        bucket = self._buckets.setdefault((start, app, model), _Bucket())
        bucket.events += 1
        # A category listed twice is still one violating event; keeps rate <= 1.
        for category in dict.fromkeys(violations):
            bucket.violations[category] += 1
            kept = bucket.examples.setdefault(category, [])
            if example is not None and len(kept) < MAX_EXAMPLES:
                kept.append(example)
        return True

    def close_ready(self) -> list[WindowStats]:
        """Return and forget the windows whose end + grace is at or before the watermark, oldest first."""
        mark = self._watermark
        if mark is None:
            return []
        horizon = mark - self.grace_s
        return self._emit([key for key in self._buckets if key[0] + self.window_s <= horizon])

    def flush(self) -> list[WindowStats]:
        """Close every open window (at shutdown or end of input), oldest first."""
        return self._emit(list(self._buckets))

    def _emit(self, keys: list[tuple[int, str, str]]) -> list[WindowStats]:
        rows: list[WindowStats] = []
        for key in sorted(keys):
            start, app, model = key
            bucket = self._buckets.pop(key)
            end = start + self.window_s
            self._closed_until = max(self._closed_until, end)
            # Every known category gets a row, zero or not, so baselines see the quiet windows too;
            # a category outside CATEGORIES (a newer classifier) is reported rather than lost.
            extra = sorted(set(bucket.violations) - set(CATEGORIES))
            for category in (*CATEGORIES, *extra):
                count = bucket.violations.get(category, 0)
                rows.append(WindowStats(
                    app=app, model=model, category=category,
                    window_start=_utc(start), window_end=_utc(end),
                    events=bucket.events, violations=count, rate=count / bucket.events,
                    examples=tuple(bucket.examples.get(category, ())),
                ))
        return rows
