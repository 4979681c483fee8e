"""``guardstream eval`` on a tiny hand-written JSONL file, against the real packaged model.

The expected metrics are recomputed here with scikit-learn from the model's own scores, so a wrong
AUC, threshold or F1 in classifiers/evaluation.py makes these tests fail.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from classifiers.evaluation import EvalDataError, binary_report, read_labelled_jsonl, roc_auc
from classifiers.text import TextClassifier
from pipeline.cli import main

# Written for this test (not from any data set).
ROWS = [
    ("You are a worthless idiot and nobody wants you here.", 1, 0),
    ("Shut up, you pathetic moron, go away.", 1, 0),
    ("I will find where you live and hurt you.", 1, 0),
    ("What a stupid useless piece of garbage you are.", 1, 0),
    ("People of that religion are all liars and should be thrown out of the country.", 1, 1),
    ("Women are too dumb to ever run a company.", 1, 1),
    ("Immigrants like them are vermin who ruin every town they move to.", 1, 1),
    ("Could you help me write a cover letter for a nursing job?", 0, 0),
    ("The train to Leeds leaves at half past nine from platform two.", 0, 0),
    ("Thanks, the recipe worked and the bread came out great.", 0, 0),
    ("My grandmother is Jewish and she taught me to bake challah.", 0, 0),
    ("Please summarise the attached quarterly report in three bullet points.", 0, 0),
    ("The new library opens on Monday with a reading hour for children.", 0, 0),
    ("How do I reset the password on my router?", 0, 0),
]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("eval")
    for task, col in (("toxicity", 1), ("bias", 2)):
        with (d / f"{task}.jsonl").open("w") as f:
            for row in ROWS:
                f.write(json.dumps({"text": row[0], "label": row[col]}) + "\n")
            f.write("\n")  # blank lines are skipped
    return d


@pytest.fixture(scope="module")
def model_scores():
    clf = TextClassifier(device="cpu", backend="torch").load()
    assert clf.encoder.backend == "torch"
    return clf.predict([r[0] for r in ROWS]), clf.thresholds


@pytest.fixture(scope="module")
def torch_config(tmp_path_factory):
    """The fp32 torch encoder, as the reference above (the default CPU backend is int8 ONNX)."""
    path = tmp_path_factory.mktemp("cfg") / "gs.yaml"
    path.write_text("classifiers:\n  device: cpu\n  encoder: {backend: torch}\n")
    return path


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["eval", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("task,col", [("toxicity", 1), ("bias", 2)])
def test_json_report_matches_sklearn_on_the_models_own_scores(capsys, data, model_scores, torch_config, task,
                                                             col) -> None:
    code, out, _ = _run(capsys, "-c", str(torch_config), "--task", task, "--data", str(data / f"{task}.jsonl"),
                        "--json")
    assert code == 0
    report = json.loads(out)  # exactly one JSON object
    scores, thresholds = model_scores
    y = np.array([r[col] for r in ROWS])
    p = np.array([s[task] for s in scores])
    pred = (p >= thresholds[task]).astype(int)
    assert report["task"] == task and report["n"] == len(ROWS) and report["positives"] == int(y.sum())
    assert report["threshold"] == pytest.approx(thresholds[task], abs=1e-4)
    assert report["auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-4)
    assert report["accuracy"] == pytest.approx(accuracy_score(y, pred), abs=1e-4)
    assert report["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro"), abs=1e-4)
    assert report["classifier"]["name"] == "minilm-l6-heads"


def test_configured_label_thresholds_change_the_decision(capsys, tmp_path, data, model_scores) -> None:
    scores, thresholds = model_scores
    cfg = tmp_path / "gs.yaml"
    # threshold 1.0 on the toxicity score itself; insult >= 0.0 makes every text a violation
    cfg.write_text("classifiers:\n  encoder: {backend: torch}\n  toxicity:\n    threshold: 1.0\n"
                   "    labels: {insult: 0.0}\n")
    code, out, _ = _run(capsys, "-c", str(cfg), "--task", "toxicity", "--data", str(data / "toxicity.jsonl"),
                        "--json")
    report = json.loads(out)
    assert code == 0 and report["label_thresholds"] == {"insult": 0.0} and report["threshold"] == 1.0
    assert report["recall"] == 1.0 and report["accuracy"] == pytest.approx(7 / 14, abs=1e-4)
    # and the text table prints the same figures
    cfg.write_text("classifiers:\n  encoder: {backend: torch}\n")
    code, out, _ = _run(capsys, "-c", str(cfg), "--task", "toxicity", "--data", str(data / "toxicity.jsonl"))
    y = np.array([r[1] for r in ROWS])
    auc = roc_auc_score(y, [s["toxicity"] for s in scores])
    assert code == 0 and f"AUC        {auc:.4f}" in out and "macro-F1" in out


@pytest.mark.parametrize("line,message", [
    ('{"text": "fine", "label": 0}\n{"text": "oops", "label": 2}\n', "bad.jsonl:2: \"label\" must be 0 or 1"),
    ('{"text": "fine", "label": 0}\n\nnot json\n', "bad.jsonl:3: not valid JSON"),
    ('{"label": 1}\n', 'bad.jsonl:1: "text" must be a string'),
    ('["text", 1]\n', "bad.jsonl:1: expected a JSON object"),
    ("\n\n", "no examples"),
])
def test_bad_lines_fail_with_the_line_number(capsys, tmp_path, line, message) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(line)
    code, out, err = _run(capsys, "--task", "bias", "--data", str(bad))
    assert code == 2 and out == "" and message in err


def test_missing_file_and_help(capsys, tmp_path) -> None:
    code, _, err = _run(capsys, "--task", "toxicity", "--data", str(tmp_path / "none.jsonl"))
    assert code == 2 and "no such file" in err
    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    assert '{"text": "...", "label": 0 or 1}' in capsys.readouterr().out


def test_metric_helpers_agree_with_sklearn_on_ties_and_edge_cases() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 200)
    p = np.round(rng.random(200), 1)  # many ties
    assert roc_auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert roc_auc(np.ones(5), np.arange(5.0)) is None
    pred = p >= 0.5
    r = binary_report(y, p, pred)
    assert r["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro"), abs=1e-4)
    assert r["confusion"]["tp"] + r["confusion"]["fn"] == int(y.sum())


def test_reader_accepts_booleans(tmp_path) -> None:
    f = tmp_path / "b.jsonl"
    f.write_text('{"text": "a", "label": true}\n{"text": "b", "label": false}\n')
    texts, y = read_labelled_jsonl(f)
    assert texts == ["a", "b"] and y.tolist() == [1, 0]
    f.write_text('{"text": "a", "label": 1.0}\n')
    with pytest.raises(EvalDataError, match="b.jsonl:1"):
        read_labelled_jsonl(f)
