"""A static threshold: a rate at or above a fixed line, with enough violations, is anomalous.

Stateless and always ready; for the "never more than 20 % toxic, whatever the history" kind of policy.
"""
from __future__ import annotations

from typing import Any

from alerts.detectors.base import Detector, Verdict
from alerts.windows import WindowStats
from schemas.config import AlertsConfig


class StaticThresholdDetector(Detector[None]):
    name = "static"

    def __init__(self, config: AlertsConfig) -> None:
        super().__init__()
        if config.detection.static is None:
            raise ValueError("the static detector needs alerts.detection.static (min_rate, min_violations)")
        self.settings = config.detection.static

    def _new_series(self) -> None:
        return None

    def _observe(self, state: None, stats: WindowStats, judge: bool, flagged: bool) -> Verdict:
        s = self.settings
        hit = stats.rate >= s.min_rate and stats.violations >= s.min_violations
        line = f"static line {s.min_rate:.1%} and {s.min_violations} violations"
        verb = "reaches" if hit else "is under"
        return Verdict(self.name, ready=True, anomalous=hit, score=stats.rate / s.min_rate if s.min_rate else 1.0,
                       reason=f"rate {stats.rate:.1%} ({stats.violations}/{stats.events}) {verb} the {line}")

    def _dump(self, state: None) -> dict[str, Any]:
        return {}

    def _load(self, data: dict[str, Any]) -> None:
        return None
