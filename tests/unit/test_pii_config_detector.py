"""Detector settings from config: per-type enable/threshold, allow/deny lists, custom regexes, context."""
from __future__ import annotations

import pytest

from classifiers.pii import PiiDetector
from classifiers.pii.context import ContextScorer
from schemas.config import ConfigError, PiiConfig, load_config
from schemas.event import PiiEntity


def found(det: PiiDetector, text: str) -> list[tuple[str, str]]:
    return [(e.type, text[e.start:e.end]) for e in det.detect([text])[0]]


def test_context_words_raise_and_lower_scores():
    det = PiiDetector().load()
    assert found(det, "ref 123456789 today") == []
    assert found(det, "my passport number: 123456789") == [("US_PASSPORT", "123456789")]
    scorer = ContextScorer()
    ent = PiiEntity(type="PHONE", start=6, end=16, score=0.6, recognizer="t")
    up, = scorer.apply("phone 4155552671", [ent])
    down, = scorer.apply("order 4155552671", [ent])
    assert up.score > 0.6 > down.score


def test_per_entity_enable_threshold_and_types_list():
    text = "mail a@example.com, ip 10.0.0.1"
    cfg = PiiConfig(per_entity={"EMAIL": {"enabled": False}}, ner="none")
    assert found(PiiDetector.from_config(cfg).load(), text) == [("IP_ADDRESS", "10.0.0.1")]
    cfg = PiiConfig(per_entity={"IP_ADDRESS": {"threshold": 0.99}}, ner="none")
    assert found(PiiDetector.from_config(cfg).load(), text) == [("EMAIL", "a@example.com")]
    cfg = PiiConfig(entities=["IP_ADDRESS"], ner="none")
    assert found(PiiDetector.from_config(cfg).load(), text) == [("IP_ADDRESS", "10.0.0.1")]


def test_allow_and_deny_lists():
    cfg = PiiConfig(ner="none", allow_list=["support@example.com"],
                    deny_list={"PROJECT": ["Blue Falcon"], "PERSON": ["Zed Quorin"]})
    det = PiiDetector.from_config(cfg).load()
    text = "Ask support@example.com or bob@example.com about blue falcon and Zed Quorin."
    assert found(det, text) == [("EMAIL", "bob@example.com"), ("PROJECT", "blue falcon"), ("PERSON", "Zed Quorin")]


def test_custom_regex_recognizer_with_context():
    cfg = PiiConfig(ner="none", custom=[{"name": "employee_id", "entity": "EMPLOYEE_ID", "regex": r"\bEMP-[0-9]{6}\b",
                                         "score": 0.4, "context": ["employee"]}])
    det = PiiDetector.from_config(cfg).load()
    assert found(det, "ticket EMP-123456") == []                       # 0.4 < 0.5
    assert found(det, "employee EMP-123456") == [("EMPLOYEE_ID", "EMP-123456")]  # context lifts it


def test_config_errors_name_the_key(tmp_path):
    with pytest.raises(ValueError, match="unknown PII entity type 'PASSPORTS'"):
        PiiConfig(per_entity={"PASSPORTS": {"enabled": False}})
    with pytest.raises(ValueError, match="not a valid regular expression"):
        PiiConfig(custom=[{"name": "x", "entity": "X_ID", "regex": "(unclosed"}])
    path = tmp_path / "c.yaml"
    path.write_text("classifiers:\n  pii:\n    operator: scramble\n")
    with pytest.raises(ConfigError, match="classifiers.pii.operator"):
        load_config(path, environ={})
    path.write_text("classifiers:\n  pii:\n    ner: spacy\n")
    with pytest.raises(ConfigError, match="classifiers.pii.ner"):
        load_config(path, environ={})


def test_detector_rejects_unknown_ner_and_types():
    with pytest.raises(ValueError, match="valid: rampart, minilm, none"):
        PiiDetector(ner="bert")
    with pytest.raises(ValueError, match="unknown PII entity types"):
        PiiDetector(entities=["NOPE"])
