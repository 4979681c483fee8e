"""The spike rule: a window's violation rate far above the series' own baseline.

Each (app, model, category) series is judged against itself, because normal differs a lot between
a customer-support bot and a red-teaming sandbox. The baseline is the larger of two medians:

* the *recent* one, over the last ``baseline_windows`` windows, which follows slow drifts; and
* the *seasonal* one (when enabled and enough days are known), over the same time of day on past
  days, so a daily peak that comes back every afternoon is normal, not a page.

The rule is a pure judge: it says whether a window spikes and why. Paging, dedup, firing → resolved
and repeats belong to the alert lifecycle. Its whole state is plain data (``to_dict`` / ``from_dict``)
so the pipeline can persist it in a changelog-backed table.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from scipy.special import bdtrc

from alerts.windows import WindowStats
from schemas.config import SeasonalityConfig, SpikeRuleConfig

#: The lowest baseline a window is compared with. Without it a series that has been clean for a
#: while (median 0) would call any blip an infinite spike; min_violations and min_rate guard too.
BASELINE_FLOOR = 0.001

STATE_VERSION = 2
_EPS = 1e-9
_DAY_S = 86_400

SeriesKey = tuple[str, str, str]


@dataclass(frozen=True)
class SpikeVerdict:
    """The spike rule's opinion of one window."""

    #: False during warm-up: the window was only learned from.
    ready: bool
    spiking: bool
    #: The baseline the window was compared with (floored), None during warm-up.
    baseline: float | None
    #: rate / baseline (0 during warm-up).
    ratio: float
    #: Binomial probability of at least this many violations at the baseline rate (1 during warm-up).
    p_value: float
    reason: str
    #: Which median set the baseline: "recent" or "seasonal".
    baseline_source: str = "recent"


@dataclass
class _Series:
    rates: deque[float]
    #: (events, violations) of the last ``span_windows - 1`` windows, oldest first (violations capped).
    last: deque[tuple[int, float]]
    #: Time-of-day slot -> [[day, events, violations], ...] oldest first; spiking windows' violations
    #: are capped at the threshold, as in ``rates``.
    slots: dict[int, list[list[float]]] = field(default_factory=dict)


def _epoch(stats: WindowStats) -> float:
    return stats.window_start.timestamp()


class SpikeRule:
    """Say a window spikes when its rate is ``factor`` times the series' baseline, and surprising.

    A window spikes only when all hold: violations >= ``min_violations``, rate >= ``min_rate``,
    rate >= ``factor`` x baseline, and that many violations would be unlikely at the baseline rate
    (binomial tail probability <= ``max_p_value``), after ``warmup_windows`` windows of history.
    The factor sets how big a spike must be; the probability keeps small-count noise (3 violations
    out of 40 events against a 2 % baseline) from passing for one.
    """

    def __init__(self, config: SpikeRuleConfig, seasonality: SeasonalityConfig | None = None, *,
                 baseline_floor: float = BASELINE_FLOOR) -> None:
        if not 0.0 < baseline_floor <= 1.0:
            raise ValueError("baseline_floor must be in (0, 1]")
        self.config = config
        self.seasonality = seasonality if seasonality is not None and seasonality.enabled else None
        self.baseline_floor = baseline_floor
        self._series: dict[SeriesKey, _Series] = {}

    def _get(self, key: SeriesKey) -> _Series:
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = self._empty()
        return series

    def _empty(self) -> _Series:
        return _Series(deque(maxlen=self.config.baseline_windows), deque(maxlen=self.config.span_windows - 1))

    # -- seasonal baseline ------------------------------------------------------------------------

    def _slot_of(self, epoch: float) -> tuple[int, int]:
        assert self.seasonality is not None
        day, second = divmod(int(epoch), _DAY_S)
        return day, second // self.seasonality.slot_s

    def _seasonal(self, series: _Series, epoch: float) -> float | None:
        """Median over past days of the rate at this time of day, or None with too few days.

        A day's rate is the highest of this slot's and its two neighbours', so a peak that starts a
        few minutes earlier than usual is still normal.
        """
        season = self.seasonality
        if season is None:
            return None
        day, slot = self._slot_of(epoch)
        n_slots = math.ceil(_DAY_S / season.slot_s)
        per_day: dict[int, float] = {}
        for neighbour in ((slot - 1) % n_slots, slot, (slot + 1) % n_slots):
            for past_day, events, violations in series.slots.get(neighbour, ()):
                if past_day < day and events > 0:
                    per_day[int(past_day)] = max(per_day.get(int(past_day), 0.0), violations / events)
        recent_days = sorted(per_day)[-season.days:]
        if len(recent_days) < season.min_days:
            return None
        return median(per_day[d] for d in recent_days)

    def _learn_seasonal(self, series: _Series, epoch: float, events: int, violations: float) -> None:
        season = self.seasonality
        if season is None:
            return
        day, slot = self._slot_of(epoch)
        days = series.slots.setdefault(slot, [])
        if days and days[-1][0] == day:
            days[-1][1] += events
            days[-1][2] += violations
        else:
            days.append([day, events, violations])
            del days[:-(season.days + 1)]  # the past days kept, plus today

    # -- judging ----------------------------------------------------------------------------------

    def baseline(self, app: str, model: str, category: str) -> float | None:
        """The current recent (floored) baseline of a series, or None while it has no history."""
        series = self._series.get((app, model, category))
        if series is None or not series.rates:
            return None
        return max(median(series.rates), self.baseline_floor)

    def observe(self, stats: WindowStats) -> SpikeVerdict:
        """Judge one closed window against the series' baseline, then learn from it."""
        cfg = self.config
        series = self._get((stats.app, stats.model, stats.category))
        epoch = _epoch(stats)
        # Warm-up: learn what normal looks like before judging (capped by the history length, or a
        # warm-up longer than the history would never end).
        if len(series.rates) < min(cfg.warmup_windows, cfg.baseline_windows):
            self._learn(series, stats, epoch, stats.violations)
            return SpikeVerdict(ready=False, spiking=False, baseline=None, ratio=0.0, p_value=1.0,
                                reason=f"warming up ({len(series.rates)}/{cfg.warmup_windows} windows)")
        recent = max(median(series.rates), self.baseline_floor) if series.rates else self.baseline_floor
        seasonal = self._seasonal(series, epoch)
        baseline, source = recent, "recent"
        if seasonal is not None and seasonal > recent:
            baseline, source = seasonal, "seasonal"
        threshold = cfg.factor * baseline
        ratio = stats.rate / baseline
        # The window on its own, then summed with the windows before it: evidence adds up, so a 3x
        # spike over a dozen expected violations is sure by its second window if not its first.
        tests = [self._test(stats.events, stats.violations, baseline, 1)]
        # The tolerance keeps "exactly factor x baseline" a spike despite float error (3 * 0.05 > 0.15).
        if stats.rate >= threshold - _EPS:
            events, violations = stats.events, stats.violations
            for k, (past_events, past_violations) in enumerate(reversed(series.last), start=2):
                events, violations = events + past_events, violations + past_violations
                tests.append(self._test(events, violations, baseline, k))
        hit = next((t for t in tests if t[0]), None)
        spiking = hit is not None
        # A spiking window enters the history capped at the threshold: a short incident cannot lift
        # the baseline it is judged against (the median ignores a minority), while a lasting shift
        # still becomes the new normal once it fills half the history.
        self._learn(series, stats, epoch, min(stats.violations, threshold * stats.events) if spiking
                    else stats.violations)
        where = "same time on past days" if source == "seasonal" else "recent"
        reason = (f"rate {stats.rate:.1%} ({stats.violations}/{stats.events}) is {ratio:.1f}x "
                  f"baseline {baseline:.1%} ({where})")
        p_value = (hit or tests[0])[1]
        if hit is not None:
            reason += f": over factor {cfg.factor:g}" + (hit[2] and f", {hit[2]}")
        else:
            reason += ": " + tests[0][2]
        return SpikeVerdict(ready=True, spiking=spiking, baseline=baseline, ratio=ratio, p_value=p_value,
                            reason=reason, baseline_source=source)

    def _test(self, events: int, violations: int, baseline: float, windows: int) -> tuple[bool, float, str]:
        """Whether ``violations`` of ``events`` (over ``windows`` windows) spike: (yes, p-value, detail)."""
        cfg = self.config
        rate = violations / events if events else 0.0
        p_value = float(bdtrc(violations - 1, events, baseline)) if violations > 0 else 1.0
        span = "" if windows == 1 else f"last {windows} windows {rate:.1%} ({violations}/{events}) "
        failed = [msg for ok, msg in (
            (violations >= cfg.min_violations, f"{violations} violations < {cfg.min_violations}"),
            (rate >= cfg.min_rate, f"rate < min_rate {cfg.min_rate:.1%}"),
            (rate >= cfg.factor * baseline - _EPS, f"under factor {cfg.factor:g}"),
            (p_value <= cfg.max_p_value, f"p={p_value:.2g} > {cfg.max_p_value:g}"),
        ) if not ok]
        if failed:
            return False, p_value, span + ", ".join(failed)
        return True, p_value, f"{span}p={p_value:.2g}"

    def _learn(self, series: _Series, stats: WindowStats, epoch: float, violations: float) -> None:
        events = stats.events
        series.rates.append(violations / events if events else 0.0)
        series.last.append((events, violations))
        self._learn_seasonal(series, epoch, events, violations)

    # -- state ------------------------------------------------------------------------------------

    def series_state(self, key: SeriesKey) -> dict[str, Any] | None:
        """One series' state as plain data, or None if the series is unknown."""
        series = self._series.get(key)
        if series is None:
            return None
        return {"rates": list(series.rates), "last": [list(w) for w in series.last],
                "slots": {str(slot): [list(day) for day in days] for slot, days in sorted(series.slots.items())}}

    def load_series(self, key: SeriesKey, data: dict[str, Any]) -> None:
        """Replace one series' state with ``series_state`` output; a shorter history keeps the newest."""
        series = self._series[key] = self._empty()
        series.rates.extend(float(rate) for rate in data["rates"])
        series.last.extend((int(e), float(v)) for e, v in data.get("last", ()))
        for slot, days in data.get("slots", {}).items():
            series.slots[int(slot)] = [[int(d), int(e), float(v)] for d, e, v in days]

    def forget(self, key: SeriesKey) -> None:
        """Drop a series' state."""
        self._series.pop(key, None)

    def to_dict(self) -> dict[str, Any]:
        """The rule's state as JSON-ready plain data."""
        return {
            "version": STATE_VERSION,
            "series": [{"app": app, "model": model, "category": category, **self.series_state(key)}
                       for key in sorted(self._series) for app, model, category in [key]],
        }

    @classmethod
    def from_dict(cls, config: SpikeRuleConfig, data: dict[str, Any],
                  seasonality: SeasonalityConfig | None = None, *,
                  baseline_floor: float = BASELINE_FLOOR) -> "SpikeRule":
        """Rebuild a rule from ``to_dict`` output."""
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported spike rule state version: {data.get('version')!r}")
        rule = cls(config, seasonality, baseline_floor=baseline_floor)
        for item in data.get("series", []):
            rule.load_series((item["app"], item["model"], item["category"]), item)
        return rule
