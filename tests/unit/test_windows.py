"""WindowCounter: tumbling event-time windows, watermark + grace closing, late events."""
from datetime import datetime, timedelta, timezone

import pytest

from alerts.windows import MAX_EXAMPLES, WindowCounter
from schemas.event import CATEGORIES

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def by_key(rows):
    return {(r.app, r.model, r.category, r.window_start): r for r in rows}


def test_counts_and_rates_per_series_and_category():
    wc = WindowCounter(window_s=60, grace_s=0)
    wc.add(at(1), "bot", "m1", ["toxicity"], "you <PERSON> idiot")
    wc.add(at(2), "bot", "m1", ["toxicity", "pii", "toxicity"], "mail <EMAIL>")
    wc.add(at(3), "bot", "m1", [])
    wc.add(at(4), "bot", "m1", [])
    wc.add(at(5), "bot", "m2", ["bias"], "x")
    rows = wc.flush()
    got = by_key(rows)
    tox = got[("bot", "m1", "toxicity", at(0))]
    assert (tox.events, tox.violations, tox.rate) == (4, 2, 0.5)
    assert tox.examples == ("you <PERSON> idiot", "mail <EMAIL>")
    assert tox.window_end == at(60)
    pii = got[("bot", "m1", "pii", at(0))]
    assert (pii.violations, pii.rate, pii.examples) == (1, 0.25, ("mail <EMAIL>",))
    # Every series gets a row for every category, zero or not.
    assert (got[("bot", "m1", "bias", at(0))].violations, got[("bot", "m1", "bias", at(0))].examples) == (0, ())
    assert {r.category for r in rows if r.model == "m2"} == set(CATEGORIES)
    assert len(rows) == 2 * len(CATEGORIES)
    assert wc.open_windows == 0


def test_windows_align_to_epoch_and_naive_is_utc():
    wc = WindowCounter(window_s=60)
    wc.add(datetime(2025, 3, 1, 12, 0, 59), "a", "m", [])  # naive -> UTC
    wc.add(at(60), "a", "m", [])
    starts = sorted({r.window_start for r in wc.flush()})
    assert starts == [at(0), at(60)]


def test_close_ready_waits_for_watermark_plus_grace():
    wc = WindowCounter(window_s=60, grace_s=10)
    wc.add(at(5), "a", "m", ["toxicity"])
    wc.add(at(65), "a", "m", [])
    assert wc.close_ready() == []          # watermark 65 < 60 + 10
    wc.add(at(69), "a", "m", [])
    assert wc.close_ready() == []          # 69 < 70
    wc.add(at(70), "a", "m", [])
    rows = wc.close_ready()                # 70 >= 70: the first window closes, only it
    assert {r.window_start for r in rows} == {at(0)}
    assert by_key(rows)[("a", "m", "toxicity", at(0))].violations == 1
    assert wc.close_ready() == []          # forgotten once returned
    assert wc.watermark == at(70)
    rest = wc.flush()
    assert {r.window_start for r in rest} == {at(60)}
    assert rest[0].events == 3


def test_events_within_grace_still_count():
    wc = WindowCounter(window_s=60, grace_s=10)
    wc.add(at(30), "a", "m", [])
    wc.add(at(65), "a", "m", [])
    assert wc.add(at(59), "a", "m", ["pii"]) is True  # late, but within grace
    rows = by_key(wc.flush())
    assert rows[("a", "m", "pii", at(0))].events == 2
    assert rows[("a", "m", "pii", at(0))].violations == 1
    assert wc.late_dropped == 0


def test_late_events_past_grace_are_counted_not_lost_silently():
    wc = WindowCounter(window_s=60, grace_s=10)
    wc.add(at(10), "a", "m", [])
    wc.add(at(80), "a", "m", [])           # watermark 80 >= 60 + 10
    assert wc.add(at(20), "a", "m", ["toxicity"]) is False
    assert wc.late_dropped == 1
    rows = wc.close_ready()
    assert by_key(rows)[("a", "m", "toxicity", at(0))].violations == 0
    # After a window was emitted, a straggler for it is late too (never a second row).
    assert wc.add(at(59), "b", "m", []) is False
    assert wc.late_dropped == 2


def test_closed_windows_come_out_in_time_order_across_series():
    wc = WindowCounter(window_s=10, grace_s=30)  # grace lets the out-of-order adds in
    for t, app in [(25, "z"), (1, "b"), (12, "a"), (3, "a")]:
        wc.add(at(t), app, "m", [])
    wc.add(at(100), "a", "m", [])
    rows = wc.close_ready()
    assert wc.late_dropped == 0
    order = [(r.window_start, r.app) for r in rows if r.category == CATEGORIES[0]]
    assert order == [(at(0), "a"), (at(0), "b"), (at(10), "a"), (at(20), "z")]


def test_examples_capped():
    wc = WindowCounter(window_s=60)
    for i in range(10):
        wc.add(at(i), "a", "m", ["toxicity"], f"text {i}")
    tox = by_key(wc.flush())[("a", "m", "toxicity", at(0))]
    assert tox.examples == tuple(f"text {i}" for i in range(MAX_EXAMPLES))


def test_unknown_category_is_reported():
    wc = WindowCounter(window_s=60)
    wc.add(at(1), "a", "m", ["jailbreak"])
    assert ("a", "m", "jailbreak", at(0)) in by_key(wc.flush())


def test_to_dict_is_json_ready():
    wc = WindowCounter(window_s=60)
    wc.add(at(1), "a", "m", ["toxicity"], "x")
    row = by_key(wc.flush())[("a", "m", "toxicity", at(0))].to_dict()
    assert row["window_start"] == "2025-03-01T12:00:00+00:00" and row["examples"] == ["x"]


@pytest.mark.parametrize("window_s,grace_s", [(0, 0), (60, -1)])
def test_bad_arguments(window_s, grace_s):
    with pytest.raises(ValueError):
        WindowCounter(window_s, grace_s)


def test_flushed_windows_are_not_reopened():
    wc = WindowCounter(window_s=60, grace_s=10)
    wc.add(at(30), "a", "m", [])
    assert len(wc.flush()) == len(CATEGORIES)
    assert wc.add(at(40), "a", "m", []) is False  # within grace, but its window was already emitted
    assert wc.late_dropped == 1 and wc.flush() == []
    assert wc.add(at(61), "a", "m", []) is True   # the next window is fine


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _at(minute: int, second: int = 0):
    from datetime import datetime, timezone

    return datetime(2026, 1, 1, 0, minute, second, tzinfo=timezone.utc)


def test_a_partition_running_ahead_does_not_close_windows_another_still_fills():
    clock = _Clock()
    counter = WindowCounter(60, 5, expected_sources=[0, 1], idle_s=10, clock=clock)
    # Partition 0 delivers ten minutes at once (a replay); partition 1 is still at minute 0.
    for minute in range(10):
        counter.add(_at(minute), "a", "m", [], source=0)
    assert counter.close_ready() == []  # partition 1 has not reported yet
    counter.add(_at(0, 30), "a", "m", ["toxicity"], source=1)
    assert counter.close_ready() == []  # watermark = min(9:00, 0:30): minute 0 is still open
    counter.add(_at(2, 10), "a", "m", [], source=1)
    rows = counter.close_ready()
    assert {r.window_start for r in rows} == {_at(0), _at(1)}
    minute0 = next(r for r in rows if r.window_start == _at(0) and r.category == "toxicity")
    assert minute0.events == 2 and minute0.violations == 1
    assert counter.late_dropped == 0


def test_an_idle_partition_stops_holding_the_watermark():
    clock = _Clock()
    counter = WindowCounter(60, 5, expected_sources=[0, 1, 2], idle_s=10, clock=clock)
    counter.add(_at(0), "a", "m", [], source=0)
    counter.add(_at(3), "a", "m", [], source=0)
    assert counter.close_ready() == []  # partitions 1 and 2 never reported, start-up wait
    clock.now = 11.0  # everyone idle now: all that was sent has arrived
    assert {r.window_start for r in counter.close_ready()} == {_at(0)}
    counter.add(_at(5), "a", "m", [], source=0)
    assert {r.window_start for r in counter.close_ready()} == {_at(3)}
