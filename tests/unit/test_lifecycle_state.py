"""What the rates agent keeps in its changelog-backed table: open windows, saved and restored per series."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from alerts.windows import WindowStats
from pipeline.agents.rates import DurableWindowCounter, rate_key, stats_from_dict

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def counter(clock) -> DurableWindowCounter:
    return DurableWindowCounter(60, 0, expected_sources=[0], idle_s=5, clock=clock)


def test_open_windows_survive_a_restart_and_close_with_all_their_events():
    clock = Clock()
    before = counter(clock)
    for k in range(10):
        before.add(T0 + timedelta(seconds=5 * k), "bot", "m", ["toxicity"] if k < 4 else [], example=f"ex{k}", source=0)
        before.add(T0 + timedelta(seconds=5 * k), "other", "m", [], source=0)
    saved = {key: json.dumps(before.series_state(*key)) for key in (("bot", "m"), ("other", "m"))}
    # "Restart": a fresh counter restored from the table rows only.
    after = counter(clock)
    for row in saved.values():
        after.load_series(json.loads(row))
    assert after.open_windows == 2
    after.add(T0 + timedelta(seconds=50), "bot", "m", ["toxicity"], source=0)
    after.add(T0 + timedelta(minutes=1, seconds=1), "bot", "m", [], source=0)  # moves the watermark
    rows = {(r.app, r.category): r for r in after.close_ready()}
    assert (rows["bot", "toxicity"].events, rows["bot", "toxicity"].violations) == (11, 5)
    assert rows["bot", "toxicity"].examples == ("ex0", "ex1", "ex2")
    assert rows["other", "toxicity"].events == 10
    # The closed window is remembered: a straggler for it is late, not a new window.
    assert after.add(T0 + timedelta(seconds=59), "bot", "m", [], source=0) is False
    reloaded = counter(clock)
    reloaded.load_series(json.loads(json.dumps(after.series_state("bot", "m"))))
    assert reloaded.add(T0 + timedelta(seconds=59), "bot", "m", [], source=0) is False


def test_restoring_replaces_a_series_and_refuses_unknown_versions():
    clock = Clock()
    c = counter(clock)
    c.add(T0, "bot", "m", [], source=0)
    c.load_series({"version": 1, "app": "bot", "model": "m", "closed_until": None, "buckets": []})
    assert c.open_windows == 0
    with pytest.raises(ValueError, match="version"):
        c.load_series({"version": 7, "app": "bot", "model": "m", "buckets": []})


def test_rate_records_round_trip_and_naive_times_are_utc():
    stats = WindowStats("bot", "m", "pii", T0, T0 + timedelta(minutes=1), 10, 2, 0.2, ("<EMAIL>",))
    assert stats_from_dict(json.loads(json.dumps(stats.to_dict()))) == stats
    naive = {**stats.to_dict(), "window_start": "2026-03-02T10:00:00", "window_end": "2026-03-02T10:01:00"}
    assert stats_from_dict(naive) == stats
    assert rate_key(stats) == b"bot|m|pii"
    for bad in ({}, {**stats.to_dict(), "rate": "high"}, {**stats.to_dict(), "window_start": "soon"}):
        with pytest.raises((KeyError, ValueError, TypeError)):
            stats_from_dict(bad)


def test_after_a_slow_start_every_partition_is_waited_for_from_the_first_record():
    clock = Clock()
    c = DurableWindowCounter(60, 0, expected_sources=[0, 1], idle_s=5, clock=clock)
    clock.now = 100.0  # the worker took 100 s to start: far longer than idle_s
    c.add(T0 + timedelta(minutes=1, seconds=30), "bot", "m", [], source=0)
    assert c.close_ready() == []  # partition 1 has not said where it is yet
    assert c.add(T0 + timedelta(seconds=30), "bot", "m", ["pii"], source=1) is True  # not late
    c.add(T0 + timedelta(minutes=1, seconds=31), "bot", "m", [], source=1)
    [first] = [r for r in c.close_ready() if r.category == "pii"]
    assert (first.window_start, first.events, first.violations) == (T0, 1, 1)
