"""Exact-span scoring of a detector (classifiers/pii/evaluation.py) on rows and on a JSONL file."""
from __future__ import annotations

import json

import pytest

from classifiers.pii import PiiDetector
from classifiers.pii.evaluation import evaluate_file, evaluate_spans, score_spans
from schemas.event import PiiEntity


class FakeDetector:
    """Returns fixed findings per text, whatever the text."""

    def __init__(self, answers: dict[str, list[tuple[int, int, str]]]) -> None:
        self.answers = answers

    def detect(self, texts):
        return [[PiiEntity(type=t, start=s, end=e, score=1.0, recognizer="fake") for s, e, t in self.answers[x]]
                for x in texts]


def test_exact_match_counts():
    rows = [{"text": "a", "spans": [{"start": 0, "end": 4, "label": "PERSON"}, {"start": 9, "end": 20, "label": "EMAIL"}]},
            {"text": "b", "spans": []}]
    det = FakeDetector({"a": [(0, 4, "PERSON"), (9, 19, "EMAIL")], "b": [(1, 3, "PERSON")]})
    result = evaluate_spans(det, rows)
    assert result["micro"] == {"precision": 0.3333, "recall": 0.5, "f1": 0.4, "tp": 1, "fp": 2, "fn": 1, "n": 2}
    assert result["per_label"]["PERSON"]["precision"] == 0.5 and result["per_label"]["PERSON"]["n"] == 1
    assert result["per_label"]["EMAIL"]["recall"] == 0.0  # one character short is a miss
    assert result["texts"] == 2 and result["texts_per_s"] > 0


def test_labels_restrict_both_sides_and_empty_is_zero():
    gold = [{(0, 3, "PERSON"), (5, 8, "ORGANIZATION")}]
    pred = [{(0, 3, "PERSON"), (10, 12, "EMAIL")}]
    assert score_spans(gold, pred, labels={"PERSON"})["micro"]["f1"] == 1.0
    assert score_spans([set()], [set()])["micro"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0,
                                                      "tp": 0, "fp": 0, "fn": 0, "n": 0}


def test_evaluate_file_with_real_detector(tmp_path):
    path = tmp_path / "pii.jsonl"
    text = "Mail ann@example.com or call +44 20 7946 0958."
    lines = [{"text": text, "spans": [{"start": 5, "end": 20, "label": "EMAIL"},
                                      {"start": 29, "end": 45, "label": "PHONE"}]},
             {"text": "nothing here", "spans": []}]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    result = evaluate_file(path, PiiDetector().load())
    assert result["micro"]["f1"] == 1.0 and result["file"] == str(path)
    path.write_text('{"text": "x"}\n')
    with pytest.raises(ValueError, match="row 0"):
        evaluate_file(path, PiiDetector().load())
    path.write_text("not json\n")
    with pytest.raises(ValueError, match=":1: not JSON"):
        evaluate_file(path, PiiDetector().load())
