"""The spike rule: a window's violation rate far above the series' own recent baseline.

Each (app, model, category) series is judged against itself, because normal differs a lot between
a customer-support bot and a red-teaming sandbox. The rule's whole state is plain data
(``to_dict`` / ``from_dict``) so the pipeline can persist it in a changelog-backed table.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from statistics import median
from typing import Any

from alerts.model import Alert
from alerts.windows import WindowStats
from schemas.config import SpikeRuleConfig

#: The lowest baseline a window is compared with. Without it a series that has been clean for a
#: while (median 0) would call any blip an infinite spike; min_violations and min_rate guard too.
BASELINE_FLOOR = 0.01

STATE_VERSION = 1
_EPS = 1e-9

SeriesKey = tuple[str, str, str]


@dataclass
class _Series:
    rates: deque[float]
    firing: bool = False


class SpikeRule:
    """Fire when a window's rate is ``factor`` times the median of the series' recent rates.

    A window fires only when all hold: violations >= ``min_violations``, rate >= ``min_rate`` and
    rate >= ``factor`` x baseline, after ``warmup_windows`` windows of history. A firing series does
    not fire again until a window that does not spike has returned it to normal.
    """

    def __init__(self, config: SpikeRuleConfig, *, baseline_floor: float = BASELINE_FLOOR) -> None:
        if not 0.0 < baseline_floor <= 1.0:
            raise ValueError("baseline_floor must be in (0, 1]")
        self.config = config
        self.baseline_floor = baseline_floor
        self._series: dict[SeriesKey, _Series] = {}

    def _get(self, key: SeriesKey) -> _Series:
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series(deque(maxlen=self.config.baseline_windows))
        return series

    def baseline(self, app: str, model: str, category: str) -> float | None:
        """The current (floored) baseline of a series, or None while it has no history."""
        series = self._series.get((app, model, category))
        if series is None or not series.rates:
            return None
        return max(median(series.rates), self.baseline_floor)

    def is_firing(self, app: str, model: str, category: str) -> bool:
        """Whether the series' last judged window spiked."""
        series = self._series.get((app, model, category))
        return bool(series and series.firing)

    def observe(self, stats: WindowStats) -> Alert | None:
        """Judge one closed window; return an Alert when the series starts spiking, else None."""
        cfg = self.config
        series = self._get((stats.app, stats.model, stats.category))
        # Warm-up: learn what normal looks like before judging (capped by the history length, or a
        # warm-up longer than the history would never end).
        if len(series.rates) < min(cfg.warmup_windows, cfg.baseline_windows):
            series.rates.append(stats.rate)
            return None
        baseline = max(median(series.rates), self.baseline_floor) if series.rates else self.baseline_floor
        threshold = cfg.factor * baseline
        # The tolerance keeps "exactly factor x baseline" a spike despite float error (3 * 0.05 > 0.15).
        spiking = (stats.violations >= cfg.min_violations and stats.rate >= cfg.min_rate
                   and stats.rate >= threshold - _EPS)
        # A spiking window enters the history capped at the threshold: a short incident cannot lift
        # the baseline it is judged against (the median ignores a minority), while a lasting shift
        # still becomes the new normal once it fills half the history.
        series.rates.append(min(stats.rate, threshold) if spiking else stats.rate)
        if not spiking:
            series.firing = False
            return None
        if series.firing:
            return None  # dedup: already paged for this episode
        series.firing = True
        return Alert.from_window(stats, baseline=baseline, rule_factor=cfg.factor)

    def to_dict(self) -> dict[str, Any]:
        """The rule's state as JSON-ready plain data."""
        return {
            "version": STATE_VERSION,
            "series": [
                {"app": app, "model": model, "category": category,
                 "rates": list(series.rates), "firing": series.firing}
                for (app, model, category), series in sorted(self._series.items())
            ],
        }

    @classmethod
    def from_dict(cls, config: SpikeRuleConfig, data: dict[str, Any], *,
                  baseline_floor: float = BASELINE_FLOOR) -> "SpikeRule":
        """Rebuild a rule from ``to_dict`` output; a shorter ``baseline_windows`` keeps the newest rates."""
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported spike rule state version: {data.get('version')!r}")
        rule = cls(config, baseline_floor=baseline_floor)
        for item in data.get("series", []):
            series = rule._get((item["app"], item["model"], item["category"]))
            series.rates.extend(float(rate) for rate in item["rates"])
            series.firing = bool(item["firing"])
        return rule
