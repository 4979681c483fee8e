"""What every detector returns and the plumbing they share: per-series state kept as plain data."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from alerts.windows import WindowStats

#: A series is one (app, model, category).
SeriesKey = tuple[str, str, str]


def series_key(stats: WindowStats) -> SeriesKey:
    """The series a window belongs to."""
    return (stats.app, stats.model, stats.category)


@dataclass(frozen=True)
class Verdict:
    """One detector's opinion of one closed window."""

    detector: str
    #: False while the detector is still learning the series; it then abstains from the combination.
    ready: bool
    anomalous: bool
    #: Detector specific: rate / baseline for the spike rule, outlier probability for PyOD models.
    score: float
    #: Human readable, e.g. "rate 40.0% is 40.0x baseline 1.0% (factor 3)".
    reason: str
    #: The baseline the detector compared the window with, when it has one.
    baseline: float | None = None


S = TypeVar("S")


class Detector(ABC, Generic[S]):
    """Judges closed windows series by series, then learns from them.

    Subclasses keep one state object per series and say how to judge with it and how to turn it
    into plain data and back; the base class keeps the series apart and handles (de)serialising.
    """

    #: Registered name, used in config and in ``Judgement.detectors``.
    name: ClassVar[str]
    #: Cheap detectors judge first, so costly ones can be skipped or told what the cheap ones found.
    cheap: ClassVar[bool] = True

    def __init__(self) -> None:
        self._series: dict[SeriesKey, S] = {}

    @abstractmethod
    def _new_series(self) -> S:
        """Empty state for a series seen for the first time."""

    @abstractmethod
    def _observe(self, state: S, stats: WindowStats, judge: bool, flagged: bool) -> Verdict:
        """Judge ``stats`` against ``state`` (unless ``judge`` is False), then learn from it."""

    @abstractmethod
    def _dump(self, state: S) -> dict[str, Any]:
        """A series' state as JSON-ready plain data."""

    @abstractmethod
    def _load(self, data: dict[str, Any]) -> S:
        """Rebuild a series' state from ``_dump`` output."""

    def observe(self, stats: WindowStats, *, judge: bool = True, flagged: bool = False) -> Verdict:
        """Judge one closed window of its series, then learn from it.

        With ``judge=False`` the detector may skip the (costly) judging and only learn; the verdict
        it returns then says nothing about the window. ``flagged`` says another detector found the
        window anomalous, so a learned model can keep it out of what it considers normal.
        """
        key = series_key(stats)
        state = self._series.get(key)
        if state is None:
            state = self._series[key] = self._new_series()
        return self._observe(state, stats, judge, flagged)

    def series(self) -> list[SeriesKey]:
        """The series this detector has state for, sorted."""
        return sorted(self._series)

    def series_state(self, key: SeriesKey) -> dict[str, Any] | None:
        """One series' state as plain data (None if unknown), e.g. for a per-series table row."""
        return self._dump(self._series[key]) if key in self._series else None

    def load_series(self, key: SeriesKey, data: dict[str, Any]) -> None:
        """Replace one series' state with ``series_state`` output."""
        self._series[key] = self._load(data)

    def forget(self, key: SeriesKey) -> None:
        """Drop a series' state (e.g. a series that moved to another worker)."""
        self._series.pop(key, None)
