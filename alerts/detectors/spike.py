"""The spike rule (``alerts.spike``) as a detector: rate over the series' (seasonal) baseline."""
from __future__ import annotations

from typing import Any

from alerts.detectors.base import Detector, SeriesKey, Verdict, series_key
from alerts.spike import SpikeRule
from alerts.windows import WindowStats
from schemas.config import AlertsConfig


class SpikeDetector(Detector[None]):
    """Delegates to one ``SpikeRule``, which already keeps its series apart."""

    name = "spike"

    def __init__(self, config: AlertsConfig) -> None:
        super().__init__()
        self.rule = SpikeRule(config.rule, config.detection.seasonality)

    def observe(self, stats: WindowStats, *, judge: bool = True, flagged: bool = False) -> Verdict:
        # Judging is as cheap as learning here, so it always judges.
        self._series.setdefault(series_key(stats), None)
        v = self.rule.observe(stats)
        return Verdict(self.name, ready=v.ready, anomalous=v.spiking, score=v.ratio, reason=v.reason,
                       baseline=v.baseline)

    def baseline(self, key: SeriesKey) -> float | None:
        """The series' current recent baseline (see ``SpikeRule.baseline``)."""
        return self.rule.baseline(*key)

    def series_state(self, key: SeriesKey) -> dict[str, Any] | None:
        return self.rule.series_state(key)

    def load_series(self, key: SeriesKey, data: dict[str, Any]) -> None:
        self._series[key] = None
        self.rule.load_series(key, data)

    def forget(self, key: SeriesKey) -> None:
        super().forget(key)
        self.rule.forget(key)

    # The rule does the per-series work itself; these are never called.
    def _new_series(self) -> None:  # pragma: no cover
        return None

    def _observe(self, state: None, stats: WindowStats, judge: bool, flagged: bool) -> Verdict:  # pragma: no cover
        raise NotImplementedError

    def _dump(self, state: None) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def _load(self, data: dict[str, Any]) -> None:  # pragma: no cover
        raise NotImplementedError
