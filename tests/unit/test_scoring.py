"""Sub-label scores in verdicts, per-label thresholds from config, category scores (classifiers/scoring.py)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from classifiers.scoring import CategoryRule, category_rules, category_score, label_categories
from pipeline.verdicts import VerdictEngine
from schemas.config import ClassifiersConfig, ConfigError
from schemas.event import Event


class SubLabelScorer:
    """toxicity + insult + threat + bias with fixed scores per keyword."""

    name = "fake-sub"
    revision = "t"
    thresholds = {"toxicity": 0.6, "insult": 0.7, "threat": 0.4, "bias": 0.5}
    categories = {"toxicity": "toxicity", "insult": "toxicity", "threat": "toxicity", "bias": "bias"}

    def load(self) -> None:
        pass

    def predict(self, texts):
        out = []
        for t in texts:
            out.append({"toxicity": 0.5 if "threat" in t else 0.1, "insult": 0.8 if "insult" in t else 0.05,
                        "threat": 0.45 if "threat" in t else 0.0, "bias": 0.0})
        return out


def _event(i: int, text: str) -> Event:
    return Event.model_validate({"event_id": f"e{i}", "@timestamp": datetime(2026, 1, 1, tzinfo=timezone.utc),
                                 "kind": "response", "app": "a", "model": "m", "text": text})


def _engine(**cfg) -> VerdictEngine:
    engine = VerdictEngine(ClassifiersConfig.model_validate({"pii": {"enabled": False, "ner": "none"}, **cfg}),
                           max_text_chars=100, scorer=SubLabelScorer())
    engine.load()
    return engine


def test_sub_label_scores_reach_the_verdict_but_violations_stay_per_category() -> None:
    engine = _engine()
    v_insult, v_threat = engine.classify([_event(0, "an insult"), _event(1, "a threat")])
    assert v_insult.scores == {"toxicity": 0.1, "bias": 0.0, "pii": 0.0, "insult": 0.8, "threat": 0.0}
    # by default only the toxicity head decides: 0.1 and 0.5 are under its 0.6
    assert v_insult.violations == [] and v_threat.violations == []
    assert engine.label_thresholds() == {}


def test_listed_labels_make_the_category_a_violation_with_calibrated_or_own_threshold() -> None:
    engine = _engine(toxicity={"labels": {"insult": None, "threat": 0.5}})
    assert engine.label_thresholds() == {"insult": 0.7, "threat": 0.5}
    v_insult, v_threat, v_clean = engine.classify([_event(0, "an insult"), _event(1, "a threat"),
                                                   _event(2, "hello")])
    assert v_insult.violations == ["toxicity"]  # insult 0.8 >= calibrated 0.7
    assert v_threat.violations == []  # threat 0.45 < configured 0.5
    assert v_clean.violations == []


def test_unknown_label_is_a_config_error_listing_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="its toxicity labels are: insult, threat"):
        _engine(toxicity={"labels": {"obscene": 0.5}})
    with pytest.raises(ConfigError, match="its bias labels are: \\(none\\)"):
        _engine(bias={"labels": {"insult": 0.5}})
    with pytest.raises(ValueError, match="must be in 0..1"):
        ClassifiersConfig.model_validate({"toxicity": {"labels": {"insult": 1.5}}})


def test_category_score_and_rules() -> None:
    cats = {"insult": "toxicity", "threat": "toxicity", "hate": "bias"}
    assert category_score({"insult": 0.3, "threat": 0.9}, "toxicity", cats) == 0.9
    assert category_score({"toxicity": 0.2, "insult": 0.9}, "toxicity", {**cats, "toxicity": "toxicity"}) == 0.2
    assert category_score({"insult": 0.3}, "bias", cats) == 0.0
    rule = CategoryRule("toxicity", 0.5, {"threat": 0.3})
    assert rule.violated({"threat": 0.3}, 0.0) and rule.violated({}, 0.5) and not rule.violated({"threat": 0.2}, 0.4)

    class Plain:  # a scorer that declares no categories emits the category labels only
        thresholds = {"toxicity": 0.4, "bias": 0.6}

    assert label_categories(Plain()) == {"toxicity": "toxicity", "bias": "bias"}
    rules = category_rules(ClassifiersConfig.model_validate({"bias": {"enabled": False}}), Plain())
    assert rules == {"toxicity": CategoryRule("toxicity", 0.4, {})}
