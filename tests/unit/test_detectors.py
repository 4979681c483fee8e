"""The detectors one by one: registry, PyOD models (fit, outlier, seasonal quiet, state), static rule."""
import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from pydantic import ValidationError

from alerts.detectors import DETECTORS, PYOD_MODELS, PyodDetector, SpikeDetector, StaticThresholdDetector, \
    detector_class
from alerts.windows import WindowStats
from schemas.config import AlertsConfig, DetectionConfig

T0 = datetime(2025, 3, 3, tzinfo=timezone.utc)
STEP = timedelta(minutes=10)        # 144 windows a day keeps the PyOD fits small and the tests fast
PER_DAY = 144


def seasonal_series(n, seed=1, start=0):
    """10-minute windows: traffic and rate follow the time of day, with a normal 14:00-15:00 peak
    where the rate is 2.5x; binomial noise."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(start, start + n):
        hour = (i % PER_DAY) / 6
        events = int(rng.poisson(300 * (1 + 0.4 * np.sin(2 * np.pi * (hour - 9) / 24))))
        rate = 0.03 * (1 + 0.3 * np.sin(2 * np.pi * (hour + 3) / 24)) * (2.5 if 14 <= hour < 15 else 1.0)
        violations = int(rng.binomial(events, rate))
        out.append(window(i, events, violations))
    return out


def window(i, events, violations, app="bot"):
    start = T0 + i * STEP
    return WindowStats(app, "m1", "toxicity", start, start + STEP, events, violations, violations / events)


def pyod_config(model, **changes):
    settings = {"model": model, "min_history": 2 * PER_DAY, "history_windows": 3 * PER_DAY,
                "refit_every": 36, "threshold": 0.995, **changes}
    return AlertsConfig.model_validate({"detection": {"detectors": ["pyod"], "combine": "any", "pyod": settings}})


def test_registry_and_unknown_names():
    assert set(DETECTORS) == {"spike", "pyod", "static"}
    assert DETECTORS["spike"] is SpikeDetector and DETECTORS["static"] is StaticThresholdDetector
    assert set(PYOD_MODELS) == {"ecod", "iforest", "hbos", "copod"}
    with pytest.raises(ValueError, match="unknown detector 'lof'; valid names: pyod, spike, static"):
        detector_class("lof")
    with pytest.raises(ValidationError, match="valid names: pyod, spike, static"):
        DetectionConfig(detectors=["spike", "lof"])
    with pytest.raises(ValidationError, match="unknown PyOD model 'knn'; valid names: copod, ecod, hbos, iforest"):
        DetectionConfig.model_validate({"pyod": {"model": "knn"}})
    with pytest.raises(ValidationError, match="needs a 'static' section"):
        DetectionConfig(detectors=["spike", "static"])
    with pytest.raises(ValidationError, match="combine"):
        DetectionConfig(combine="majority")


@pytest.mark.parametrize("model", sorted(PYOD_MODELS))
def test_pyod_detector_learns_flags_an_outlier_and_stays_quiet_on_seasonal_data(model):
    detector = PyodDetector(pyod_config(model))
    history = seasonal_series(3 * PER_DAY)
    first = detector.observe(history[0])
    assert not first.ready and first.reason == "learning (0/288 windows)"
    # Only learn (no scores: they cost milliseconds each) until the last window of day 2.
    verdicts = [detector.observe(w, judge=False) for w in history[1:2 * PER_DAY - 1]]
    assert not any(v.ready for v in verdicts)
    assert not detector.observe(history[2 * PER_DAY - 1]).ready
    assert detector.observe(history[2 * PER_DAY]).ready                # two days learned: fitted
    for w in history[2 * PER_DAY + 1:]:
        detector.observe(w, judge=False)
    # Half a day around the daily peak (10:00-22:00), new noise: the peak is normal at its hour.
    day4 = seasonal_series(PER_DAY, seed=2, start=3 * PER_DAY)[60:132]
    quiet = [detector.observe(w) for w in day4]
    peak = quiet[84 - 60:90 - 60]                                    # 14:00-15:00, 2.5x the rate
    assert not any(v.anomalous for v in peak), [v.reason for v in peak]
    # Calibrated at p >= 0.995, about 0.5 % of the windows above the median (0.2 here) are outliers.
    assert sum(v.anomalous for v in quiet) <= 2, [v.reason for v in quiet if v.anomalous]
    assert any(v.score > 0 for v in quiet)                           # windows above the median were scored
    # 10x the normal rate at 22:00.
    outlier = detector.observe(window(4 * PER_DAY - 12, 300, 300 // 3))
    assert outlier.anomalous and outlier.ready and outlier.score >= 0.995
    assert outlier.detector == model and f"{model.upper()} outlier (p=" in outlier.reason


@pytest.mark.parametrize("model", sorted(PYOD_MODELS))
def test_pyod_state_round_trips_and_judges_identically(model):
    cfg = pyod_config(model, threshold=0.95)
    live = PyodDetector(cfg)
    history = seasonal_series(2 * PER_DAY + 20)
    for w in history[:-1]:
        live.observe(w, judge=False)
    live.observe(history[-1])  # fitted here, at 2 days + 19 windows
    key = ("bot", "m1", "toxicity")
    state = json.loads(json.dumps(live.series_state(key)))
    assert set(state) == {"model", "since_fit", "starts", "events", "violations", "flagged"}
    restored = PyodDetector(cfg)
    restored.load_series(key, state)
    assert restored.series_state(key) == live.series_state(key)
    # The next windows include a refit (every 36) and two outliers; both judge alike.
    nxt = seasonal_series(40, seed=3, start=2 * PER_DAY + 20)
    nxt[5] = window(2 * PER_DAY + 25, 300, 90)
    nxt[30] = window(2 * PER_DAY + 50, 300, 120)
    a = [live.observe(w) for w in nxt]
    b = [restored.observe(w) for w in nxt]
    assert a == b
    assert a[5].anomalous and a[30].anomalous


def test_pyod_keeps_flagged_windows_out_of_training_unless_told():
    cfg = pyod_config("hbos")
    d = PyodDetector(cfg)
    for i, w in enumerate(seasonal_series(2 * PER_DAY)):
        d.observe(w, flagged=i % 50 == 0)
    state = d.series_state(("bot", "m1", "toxicity"))
    assert state["flagged"] == [i for i in range(2 * PER_DAY) if i % 50 == 0]
    keep = PyodDetector(pyod_config("hbos", train_on_flagged=True))
    for i, w in enumerate(seasonal_series(2 * PER_DAY)):
        keep.observe(w, flagged=True)
    assert keep.series_state(("bot", "m1", "toxicity"))["flagged"] == []


def test_pyod_not_scored_when_not_asked_but_still_learns():
    d = PyodDetector(pyod_config("ecod"))
    for w in seasonal_series(2 * PER_DAY):
        d.observe(w)
    v = d.observe(window(2 * PER_DAY, 300, 150), judge=False)
    assert (v.anomalous, v.reason, v.ready) == (False, "not scored", True)
    assert len(d.series_state(("bot", "m1", "toxicity"))["starts"]) == 2 * PER_DAY + 1


def test_pyod_settings_below_the_context_are_refused():
    # The rate-over-the-30-windows-before feature needs more than 30 windows to fit on.
    with pytest.raises(ValidationError, match="history_windows\n.*greater than or equal to 31"):
        pyod_config("ecod", min_history=31, history_windows=30)


def test_static_threshold():
    cfg = AlertsConfig.model_validate(
        {"detection": {"detectors": ["static"], "static": {"min_rate": 0.2, "min_violations": 10}}})
    d = StaticThresholdDetector(cfg)
    hit = d.observe(window(0, 40, 10))                       # 25 %, 10 violations
    assert hit.ready and hit.anomalous and hit.score == pytest.approx(1.25)
    assert hit.reason == "rate 25.0% (10/40) reaches the static line 20.0% and 10 violations"
    assert not d.observe(window(1, 20, 9)).anomalous          # 45 % but 9 violations
    assert not d.observe(window(2, 100, 19)).anomalous        # 19 %
    assert d.series_state(("bot", "m1", "toxicity")) == {}
    with pytest.raises(ValueError, match="alerts.detection.static"):
        StaticThresholdDetector(AlertsConfig())


def test_spike_detector_wraps_the_rule():
    d = SpikeDetector(AlertsConfig())
    for i in range(5):
        assert not d.observe(window(i, 400, 8)).anomalous
    v = d.observe(window(5, 400, 80))
    assert v.detector == "spike" and v.anomalous and v.baseline == pytest.approx(0.02)
    assert v.score == pytest.approx(10.0) and "10.0x baseline 2.0%" in v.reason
    key = ("bot", "m1", "toxicity")
    restored = SpikeDetector(AlertsConfig())
    restored.load_series(key, json.loads(json.dumps(d.series_state(key))))
    assert restored.observe(window(6, 400, 9)) == d.observe(window(6, 400, 9))
    assert d.series() == [key]
