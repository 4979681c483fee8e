"""Anomaly detectors for closed rate windows, one per module, registered by name.

Each judges a window of a series against what it learned of that series, then learns from it, and
keeps its state as plain data. ``alerts.judge.RateJudge`` combines them.
"""
from __future__ import annotations

from alerts.detectors.base import Detector, SeriesKey, Verdict, series_key
from alerts.detectors.outlier import PYOD_MODELS, PyodDetector
from alerts.detectors.spike import SpikeDetector
from alerts.detectors.static import StaticThresholdDetector

#: Registered detectors: config name -> class (built with the ``AlertsConfig``).
DETECTORS: dict[str, type[Detector]] = {
    SpikeDetector.name: SpikeDetector,
    PyodDetector.name: PyodDetector,
    StaticThresholdDetector.name: StaticThresholdDetector,
}


def detector_class(name: str) -> type[Detector]:
    """The detector registered as ``name``; an unknown name fails with the valid ones."""
    try:
        return DETECTORS[name]
    except KeyError:
        raise ValueError(f"unknown detector {name!r}; valid names: {', '.join(sorted(DETECTORS))}") from None


__all__ = ["DETECTORS", "PYOD_MODELS", "Detector", "PyodDetector", "SeriesKey", "SpikeDetector",
           "StaticThresholdDetector", "Verdict", "detector_class", "series_key"]
