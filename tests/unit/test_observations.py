"""What the observe agent writes for the rates agent: a batch's observations grouped per series."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from pipeline.agents.rates import (EXAMPLE_CHARS, OBSERVATIONS_PER_RECORD, DurableWindowCounter, observation,
                                   observation_records, observations_in, series_key)

WINDOW_S = 60


def _verdict(i: int, app: str = "bot", model: str = "m1", violations: tuple[str, ...] = ()) -> dict:
    return {"@timestamp": f"2026-01-05T09:00:{i % 60:02d}Z", "app": app, "model": model,
            "violations": list(violations), "text": f"text {i} " + "x" * 400}


def test_an_observation_quotes_its_text_only_when_something_was_violated():
    clean = observation(_verdict(1), source_partition=2)
    flagged = observation(_verdict(2, violations=("toxicity",)), source_partition=3)
    assert clean["example"] is None and clean["src"] == 2
    assert flagged["example"] == _verdict(2)["text"][:EXAMPLE_CHARS] and flagged["src"] == 3
    assert observation({**_verdict(3, violations=("pii",)), "text": ""}, 0)["example"] is None


def test_records_group_a_batch_per_series_in_order():
    found = [observation(_verdict(i, app="a" if i % 3 else "b"), i % 4) for i in range(10)]
    records = observation_records(found, WINDOW_S)
    assert [key for key, _ in records] == [series_key("b", "m1"), series_key("a", "m1")]
    by_key = {key: observations_in(json.loads(value)) for key, value in records}
    assert by_key[series_key("a", "m1")] == [o for o in found if o["app"] == "a"]
    assert by_key[series_key("b", "m1")] == [o for o in found if o["app"] == "b"]


def test_a_long_series_is_split_into_bounded_records_without_losing_one():
    found = [observation(_verdict(i), 0) for i in range(2 * OBSERVATIONS_PER_RECORD + 5)]
    records = observation_records(found, WINDOW_S)
    sizes = [len(observations_in(json.loads(value))) for _, value in records]
    assert sizes == [OBSERVATIONS_PER_RECORD, OBSERVATIONS_PER_RECORD, 5]
    assert [o for _, value in records for o in observations_in(json.loads(value))] == found


def _minute_verdict(minute: int, app: str, k: int) -> dict:
    return {**_verdict(k, app=app, violations=("toxicity",) if k % 2 else ()),
            "@timestamp": f"2026-01-05T09:{minute:02d}:{k:02d}Z"}


def test_a_backlog_batch_loses_no_window_of_any_series():
    # Six minutes of two series from two verdict partitions in one batch (a worker catching up): the
    # second series' first minute must not arrive after the first series' last, or the shared
    # watermark has moved past it and the rates agent drops it as late.
    found = [observation(_minute_verdict(minute, app, k), source_partition=k % 2)
             for minute in range(6) for app in ("bot", "muted") for k in range(10)]
    records = observation_records(found, WINDOW_S)
    assert len(records) == 12  # one per series and minute
    windows = DurableWindowCounter(WINDOW_S, 10, expected_sources=range(2))
    for _, value in records:
        for obs in observations_in(json.loads(value)):
            assert windows.add(datetime.fromisoformat(obs["ts"]), obs["app"], obs["model"], obs["violations"],
                               example=obs["example"], source=obs["src"])
    rows = windows.flush()
    assert windows.late_dropped == 0
    toxicity = [r for r in rows if r.category == "toxicity"]
    assert sorted((r.app, r.window_start.minute) for r in toxicity) == [(a, m) for a in ("bot", "muted") for m in range(6)]
    assert all(r.events == 10 and r.violations == 5 for r in toxicity)


def test_an_unreadable_timestamp_is_passed_on_for_the_rates_agent_to_refuse():
    bad = {**observation(_verdict(1), 0), "ts": "yesterday"}
    [(_, value)] = observation_records([bad], WINDOW_S)
    assert observations_in(json.loads(value)) == [bad]


def test_a_bare_observation_from_an_earlier_version_is_still_read():
    old = observation(_verdict(7, violations=("bias",)), 1)
    assert observations_in(old) == [old]


@pytest.mark.parametrize("record", [[], "text", 3, {"observations": "no"}, {"app": "a"}])
def test_anything_else_is_refused(record):
    with pytest.raises(TypeError):
        observations_in(record)
