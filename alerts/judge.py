"""RateJudge: the configured detectors' verdicts on each closed window, combined into one judgement.

The judge only says whether a window violates normal and why. Turning judgements into alerts
(firing → resolved, dedup, repeat, cooldown) is the alert lifecycle's job.

Combination (``alerts.detection.combine``):

* ``all`` (default): every *ready* detector must agree; one still learning its series abstains. With
  ``[spike, pyod]`` this is "spike AND (pyod OR pyod not fitted yet)": the spike rule proposes, the
  learned model confirms once it has enough history, which removes the spike rule's false alerts on
  patterns the model has seen before without making new series wait a day for their first alert.
* ``any``: one ready detector is enough.

The static threshold, when listed, is an operator's hard line and pages on its own in both modes.

In ``all`` mode, once a ready detector says "normal" the verdict cannot change, so the detectors after
it only learn from the window (a PyOD score costs milliseconds; most windows are normal); their
reasons say "not scored". ``RateJudge(..., score_all=True)`` scores every detector (``test-rule``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alerts.detectors import Detector, SeriesKey, Verdict, detector_class
from alerts.windows import WindowStats
from schemas.config import AlertsConfig, Config, DetectionConfig, SpikeRuleConfig

STATE_VERSION = 1


@dataclass(frozen=True)
class Judgement:
    """The combined verdict on one closed window."""

    #: The closed window judged.
    stats: WindowStats
    #: Should this window count as "violating normal"?
    anomalous: bool
    #: The series' baseline rate before this window (None during warm-up).
    baseline: float | None
    #: rate / baseline, or the strongest detector's score when there is no baseline.
    score: float
    #: Human readable, one per detector, e.g. "spike: rate 40.0% (80/200) is 40.0x baseline 1.0% ...".
    reasons: tuple[str, ...]
    #: Names of the detectors that said anomalous, e.g. ("spike", "ecod").
    detectors: tuple[str, ...]
    #: Every detector's verdict, in configured order.
    verdicts: tuple[Verdict, ...] = ()

    @property
    def ready(self) -> bool:
        """Whether any detector was past its warm-up (a judgement, not just learning)."""
        return any(v.ready for v in self.verdicts)


def _alerts_config(config: AlertsConfig | Config | DetectionConfig | SpikeRuleConfig) -> AlertsConfig:
    if isinstance(config, AlertsConfig):
        return config
    if isinstance(config, Config):
        return config.alerts
    if isinstance(config, DetectionConfig):
        return AlertsConfig(detection=config)
    if isinstance(config, SpikeRuleConfig):
        return AlertsConfig(rule=config)
    raise TypeError(f"RateJudge needs an AlertsConfig, not {type(config).__name__}")


class RateJudge:
    """Judge closed windows with the detectors of ``alerts.detection``, series by series."""

    def __init__(self, config: AlertsConfig | Config | DetectionConfig | SpikeRuleConfig, *,
                 score_all: bool = False) -> None:
        self.config = _alerts_config(config)
        self.detection = self.config.detection
        self.score_all = score_all
        self.detectors: dict[str, Detector] = {
            name: detector_class(name)(self.config) for name in self.detection.detectors}

    def observe(self, stats: WindowStats) -> Judgement:
        """Judge one closed window, then let every detector learn from it."""
        verdicts: dict[str, Verdict] = {}
        settled_normal = None  # the detector whose "normal" settled an ``all`` combination
        # Cheap detectors first: the costly ones learn whether the window was flagged (to keep
        # incidents out of their idea of normal) and, in ``all`` mode, may not need to score it.
        order = sorted(self.detectors, key=lambda name: not self.detectors[name].cheap)
        for name in order:
            judge = self.score_all or settled_normal is None or name == "static"
            flagged = any(v.anomalous for v in verdicts.values())
            verdict = self.detectors[name].observe(stats, judge=judge, flagged=flagged)
            if not judge:
                verdict = Verdict(verdict.detector, ready=verdict.ready, anomalous=False, score=0.0,
                                  reason=f"not scored ({settled_normal} said normal)")
            elif (self.detection.combine == "all" and name != "static" and verdict.ready
                  and not verdict.anomalous and settled_normal is None):
                settled_normal = verdict.detector
            verdicts[name] = verdict
        return self._combine(stats, [verdicts[name] for name in self.detectors])

    def _combine(self, stats: WindowStats, verdicts: list[Verdict]) -> Judgement:
        static_hit = any(v.anomalous for v in verdicts if v.detector == "static")
        ready = [v for v in verdicts if v.ready and v.detector != "static"]
        if self.detection.combine == "all":
            combined = bool(ready) and all(v.anomalous for v in ready)
        else:
            combined = any(v.anomalous for v in ready)
        anomalous = combined or static_hit
        baseline = next((v.baseline for v in verdicts if v.baseline is not None), None)
        if baseline:
            score = stats.rate / baseline
        else:
            score = max((v.score for v in verdicts if v.ready), default=0.0)
        return Judgement(
            stats=stats, anomalous=anomalous, baseline=baseline, score=score,
            reasons=tuple(f"{v.detector}: {v.reason}" for v in verdicts),
            detectors=tuple(v.detector for v in verdicts if v.anomalous),
            verdicts=tuple(verdicts),
        )

    def baseline(self, app: str, model: str, category: str) -> float | None:
        """The series' current baseline rate (the spike rule's), or None while unknown."""
        spike = self.detectors.get("spike")
        return spike.baseline((app, model, category)) if spike is not None else None  # type: ignore[attr-defined]

    # -- state ------------------------------------------------------------------------------------

    def series(self) -> list[SeriesKey]:
        """Every series some detector has state for, sorted."""
        return sorted({key for d in self.detectors.values() for key in d.series()})

    def series_state(self, key: SeriesKey) -> dict[str, Any]:
        """One series' state as plain data, e.g. for one row of a changelog-backed table."""
        return {"version": STATE_VERSION,
                "detectors": {name: state for name, d in self.detectors.items()
                              if (state := d.series_state(key)) is not None}}

    def load_series(self, key: SeriesKey, data: dict[str, Any]) -> None:
        """Restore one series from ``series_state`` output; detectors not in it start afresh."""
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported judge state version: {data.get('version')!r}")
        for name, detector in self.detectors.items():
            state = data["detectors"].get(name)
            if state is None:
                detector.forget(key)
            else:
                detector.load_series(key, state)

    def to_dict(self) -> dict[str, Any]:
        """The whole judge's state as JSON-ready plain data (no fitted models: they are refitted)."""
        return {"version": STATE_VERSION,
                "series": [{"app": key[0], "model": key[1], "category": key[2], **self.series_state(key)}
                           for key in self.series()]}

    @classmethod
    def from_dict(cls, config: AlertsConfig | Config | DetectionConfig | SpikeRuleConfig,
                  data: dict[str, Any], **kwargs: Any) -> "RateJudge":
        """Rebuild a judge from ``to_dict`` output (state of detectors no longer configured is dropped)."""
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported judge state version: {data.get('version')!r}")
        judge = cls(config, **kwargs)
        for item in data.get("series", []):
            judge.load_series((item["app"], item["model"], item["category"]), item)
        return judge
