"""RateJudge: combining detector verdicts (all / any, abstaining, static, lazy scoring), the default
judge on real detectors, seasonality, and state."""
import json
import random
from datetime import datetime, timedelta, timezone

import pytest

from alerts.detectors import DETECTORS, Detector, Verdict
from alerts.judge import Judgement, RateJudge
from alerts.windows import WindowStats
from schemas.config import AlertsConfig, Config, DetectionConfig, SpikeRuleConfig

T0 = datetime(2025, 3, 3, tzinfo=timezone.utc)


def window(i, events, violations, app="bot", minutes=1):
    start = T0 + timedelta(minutes=minutes * i)
    return WindowStats(app, "m1", "toxicity", start, start + timedelta(minutes=minutes), events, violations,
                       violations / events)


class Cheap(Detector[list]):
    """Anomalous from 10 violations; always ready."""

    name = "cheap"

    def __init__(self, config):
        super().__init__()

    def _new_series(self):
        return []

    def _observe(self, state, stats, judge, flagged):
        state.append(stats.violations)
        hit = stats.violations >= 10
        return Verdict(self.name, ready=True, anomalous=hit, score=stats.violations / 10,
                       reason=f"{stats.violations} {'>=' if hit else '<'} 10")

    def _dump(self, state):
        return {"seen": list(state)}

    def _load(self, data):
        return list(data["seen"])


class Costly(Detector[dict]):
    """Anomalous from 20 violations; learning for its first 3 windows; records what it was told."""

    name = "costly"
    cheap = False

    def __init__(self, config):
        super().__init__()

    def _new_series(self):
        return {"seen": 0, "scored": 0, "flagged": []}

    def _observe(self, state, stats, judge, flagged):
        ready = state["seen"] >= 3
        state["seen"] += 1
        state["flagged"].append(flagged)
        if not judge or not ready:
            return Verdict(self.name, ready=ready, anomalous=False, score=0.0, reason="learning")
        state["scored"] += 1
        hit = stats.violations >= 20
        return Verdict(self.name, ready=True, anomalous=hit, score=0.9 if hit else 0.1, reason="scored")

    def _dump(self, state):
        return dict(state)

    def _load(self, data):
        return dict(data)


@pytest.fixture
def fakes(monkeypatch):
    monkeypatch.setitem(DETECTORS, "cheap", Cheap)
    monkeypatch.setitem(DETECTORS, "costly", Costly)

    def config(detectors, combine="all", static=None):
        return AlertsConfig.model_validate({"detection": {"detectors": detectors, "combine": combine,
                                                          **({"static": static} if static else {})}})
    return config


def state_of(judge, name):
    return judge.detectors[name]._series[("bot", "m1", "toxicity")]


def test_all_mode_abstains_while_learning_then_needs_agreement(fakes):
    judge = RateJudge(fakes(["cheap", "costly"]))
    first = judge.observe(window(0, 100, 15))
    # The costly detector is still learning: the cheap one alone decides.
    assert first.anomalous and first.detectors == ("cheap",)
    assert first.reasons == ("cheap: 15 >= 10", "costly: learning")
    for i in (1, 2):
        judge.observe(window(i, 100, 1))
    vetoed = judge.observe(window(3, 100, 15))
    assert not vetoed.anomalous and vetoed.detectors == ("cheap",)      # cheap says yes, costly no
    both = judge.observe(window(4, 100, 25))
    assert both.anomalous and both.detectors == ("cheap", "costly")
    assert both.baseline is None and both.score == pytest.approx(2.5)  # no baseline: the strongest score


def test_all_mode_skips_scoring_after_a_normal_verdict_but_still_learns(fakes):
    judge = RateJudge(fakes(["costly", "cheap"]))                        # costly listed first
    for i in range(3):
        judge.observe(window(i, 100, 1))
    quiet = judge.observe(window(3, 100, 5))
    assert not quiet.anomalous
    # Reasons follow the configured order, though the cheap one ran first.
    assert quiet.reasons == ("costly: not scored (cheap said normal)", "cheap: 5 < 10")
    assert state_of(judge, "costly")["scored"] == 0 and state_of(judge, "costly")["seen"] == 4
    judge.observe(window(4, 100, 30))
    assert state_of(judge, "costly")["scored"] == 1
    # Told whether another detector flagged the window (to keep incidents out of its normal).
    assert state_of(judge, "costly")["flagged"] == [False, False, False, False, True]

    everything = RateJudge(fakes(["costly", "cheap"]), score_all=True)
    for i in range(4):
        everything.observe(window(i, 100, 5))
    assert state_of(everything, "costly")["scored"] == 1


def test_any_mode_one_ready_detector_is_enough(fakes):
    judge = RateJudge(fakes(["cheap", "costly"], combine="any"))
    for i in range(3):
        judge.observe(window(i, 100, 1))
    j = judge.observe(window(3, 100, 15))
    assert j.anomalous and j.detectors == ("cheap",)
    assert j.reasons[1] == "costly: scored"                               # any mode scores everyone


def test_static_line_pages_on_its_own(fakes):
    judge = RateJudge(fakes(["cheap", "static"], static={"min_rate": 0.5, "min_violations": 5}))
    j = judge.observe(window(0, 10, 6))                                  # 60 %, but only 6 violations
    assert j.anomalous and j.detectors == ("static",)
    assert j.reasons == ("cheap: 6 < 10", "static: rate 60.0% (6/10) reaches the static line 50.0% and 5 violations")
    assert not judge.observe(window(1, 100, 6)).anomalous


def test_nothing_ready_is_not_anomalous(fakes):
    j = RateJudge(fakes(["costly"])).observe(window(0, 100, 50))
    assert not j.anomalous and not j.ready and j.detectors == ()


def test_fake_state_round_trips(fakes):
    cfg = fakes(["cheap", "costly"])
    judge = RateJudge(cfg)
    for i in range(5):
        judge.observe(window(i, 100, 3 * i))
    data = json.loads(json.dumps(judge.to_dict()))
    again = RateJudge.from_dict(cfg, data)
    assert again.to_dict() == judge.to_dict()


def test_default_judge_on_a_spike():
    judge = RateJudge(AlertsConfig())
    assert list(judge.detectors) == ["spike", "pyod"]
    for i in range(10):
        j = judge.observe(window(i, 400, 8))
        assert not j.anomalous
    assert judge.baseline("bot", "m1", "toxicity") == pytest.approx(0.02)
    j = judge.observe(window(10, 400, 80))
    assert isinstance(j, Judgement) and j.anomalous and j.ready
    assert j.detectors == ("spike",) and j.baseline == pytest.approx(0.02) and j.score == pytest.approx(10.0)
    assert j.reasons[0].startswith("spike: rate 20.0% (80/400) is 10.0x baseline 2.0% (recent): over factor 2")
    assert j.reasons[1] == "ecod: learning (10/1440 windows)"
    assert j.stats.violations == 80


def test_default_judge_learns_a_daily_peak_and_still_pages_a_spike():
    """1-minute windows over three days; 14:00-14:45 the rate is 3x every day (a scheduled job)."""
    rng = random.Random(11)
    judge = RateJudge(AlertsConfig())
    paged = {0: [], 1: [], 2: []}
    for i in range(3 * 1440):
        minute = i % 1440
        rate = 0.02 * (3 if 14 * 60 <= minute < 14 * 60 + 45 else 1)
        events = 400
        violations = sum(rng.random() < rate for _ in range(events)) if 13 * 60 <= minute < 16 * 60 else \
            round(events * rate)  # exact outside the afternoon keeps the test fast and quiet
        if judge.observe(window(i, events, violations)).anomalous:
            paged[i // 1440].append(minute)
    assert paged[0] and 14 * 60 <= min(paged[0]) <= 14 * 60 + 1   # new series: the first peak is a surprise
    assert paged[1] == [] and paged[2] == []           # then the same time on past days is its baseline
    spike = judge.observe(window(3 * 1440 + 14 * 60 + 10, 400, 100))   # 25 % = 4x the peak, at the peak
    assert spike.anomalous and "same time on past days" in spike.reasons[0]
    assert spike.reasons[1].startswith("ecod: ")


def test_default_judge_state_round_trips_and_judges_identically():
    cfg = AlertsConfig()
    judge = RateJudge(cfg)
    rng = random.Random(2)
    for i in range(60):
        judge.observe(window(i, 400, rng.randint(4, 12)))
        judge.observe(window(i, 300, rng.randint(10, 20), app="other"))
    data = json.loads(json.dumps(judge.to_dict()))
    assert data["version"] == 1 and [s["app"] for s in data["series"]] == ["bot", "other"]
    restored = RateJudge.from_dict(cfg, data)
    assert restored.to_dict() == judge.to_dict()
    per_series = RateJudge(cfg)
    for key in judge.series():
        per_series.load_series(key, json.loads(json.dumps(judge.series_state(key))))
    for i, v in enumerate((8, 60, 70, 9, 8)):
        w = window(60 + i, 400, v)
        assert judge.observe(w) == restored.observe(w) == per_series.observe(w)
    with pytest.raises(ValueError, match="unsupported judge state version"):
        RateJudge.from_dict(cfg, {"version": 0})


def test_accepts_each_config_level():
    assert RateJudge(Config()).detection == DetectionConfig()
    assert list(RateJudge(DetectionConfig(detectors=["spike"])).detectors) == ["spike"]
    assert RateJudge(SpikeRuleConfig(factor=4.0)).config.rule.factor == 4.0
    with pytest.raises(TypeError):
        RateJudge({"detectors": ["spike"]})
