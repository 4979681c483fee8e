"""``guardstream eval``: measure the configured classifier on your own labelled JSONL.

Binary tasks (toxicity, bias) read one JSON object per line, ``{"text": "...", "label": 0 or 1}``, score
every text exactly as the worker does (same classifier, category score and violation rule, see
classifiers/scoring.py) and report AUC of the category score, and accuracy / precision / recall /
macro-F1 of the violation decision at the configured threshold. The PII task hands the file to
``classifiers.pii.evaluation.evaluate_file`` (exact-span precision / recall / F1, overall and per label).

Metrics are computed here with numpy (scikit-learn is only a training extra).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

TASKS = ("toxicity", "bias", "pii")


class EvalDataError(ValueError):
    """A line of the evaluation file is not what the task expects; the message names file and line."""


def read_labelled_jsonl(path: Path) -> tuple[list[str], np.ndarray]:
    """Texts and 0/1 labels from ``{"text": str, "label": 0|1}`` lines; blank lines are skipped."""
    if not path.is_file():
        raise EvalDataError(f"{path}: no such file")
    texts, labels = [], []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise EvalDataError(f"{where}: not valid JSON ({exc.msg}); expected "
                                    '{"text": "...", "label": 0 or 1}') from None
            if not isinstance(record, dict):
                raise EvalDataError(f"{where}: expected a JSON object, got {type(record).__name__}")
            text, label = record.get("text"), record.get("label")
            if not isinstance(text, str):
                raise EvalDataError(f'{where}: "text" must be a string, got {json.dumps(text)}')
            if isinstance(label, bool):
                label = int(label)
            if label not in (0, 1) or isinstance(label, float):
                raise EvalDataError(f'{where}: "label" must be 0 or 1, got {json.dumps(record.get("label"))}')
            texts.append(text)
            labels.append(int(label))
    if not texts:
        raise EvalDataError(f"{path}: no examples (one JSON object per line expected)")
    return texts, np.asarray(labels, dtype=np.int64)


def roc_auc(y: np.ndarray, p: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties); None for one class only."""
    y = np.asarray(y).astype(bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p), dtype=np.float64)
    sorted_p = np.asarray(p)[order]
    i = 0
    while i < len(p):  # average rank over a run of tied scores
        j = i
        while j + 1 < len(p) and sorted_p[j + 1] == sorted_p[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def binary_report(y: np.ndarray, scores: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    """n, positives, AUC of ``scores``, and accuracy / precision / recall / F1 / macro-F1 of ``predicted``."""
    y, pred = np.asarray(y).astype(bool), np.asarray(predicted).astype(bool)
    tp, fp = int((pred & y).sum()), int((pred & ~y).sum())
    fn, tn = int((~pred & y).sum()), int((~pred & ~y).sum())
    auc = roc_auc(y, np.asarray(scores, dtype=np.float64))
    return {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "auc": None if auc is None else round(auc, 4),
        "accuracy": round((tp + tn) / len(y), 4),
        "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
        "f1": round(_f1(tp, fp, fn), 4),
        "macro_f1": round((_f1(tp, fp, fn) + _f1(tn, fn, fp)) / 2, 4),
        "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
    }


def evaluate_binary(config: Any, task: str, path: Path) -> dict[str, Any]:
    """Score the file with the configured classifier; ``config`` is the whole ``Config``."""
    from schemas.config import ConfigError

    from .scoring import build_scorer, category_rules, category_score, label_categories

    texts, y = read_labelled_jsonl(path)
    cfg = config.classifiers
    if not getattr(cfg, task).enabled:
        raise ConfigError(f"classifiers.{task}.enabled is false in this config; enable it to evaluate {task}")
    # The scorer runs its encoder as the worker does (classifiers.encoder: backend, threads).
    scorer = build_scorer(cfg)
    scorer.load()
    rule = category_rules(cfg, scorer)[task]
    cats = label_categories(scorer)
    rows = scorer.predict(texts)
    scores = np.array([category_score(r, task, cats) for r in rows], dtype=np.float64)
    predicted = np.array([rule.violated(r, s) for r, s in zip(rows, scores)])
    report = binary_report(y, scores, predicted)
    return {
        "task": task,
        "data": str(path),
        "classifier": {"name": scorer.name, "revision": scorer.revision},
        "threshold": round(rule.threshold, 4),
        "label_thresholds": {k: round(v, 4) for k, v in rule.label_thresholds.items()},
        **report,
    }


def evaluate(config: Any, task: str, path: Path) -> dict[str, Any]:
    """One report for ``task`` on ``path`` (see the module docstring)."""
    if task not in TASKS:
        raise EvalDataError(f"unknown task {task!r}; valid tasks: {', '.join(TASKS)}")
    if task == "pii":
        # Imported here: the PII evaluation lives with the PII recognizers and loads them itself.
        try:
            from .pii.evaluation import evaluate_file
        except ImportError as exc:
            raise EvalDataError(f"PII evaluation is not available in this installation ({exc})") from None

        if not path.is_file():
            raise EvalDataError(f"{path}: no such file")
        from .pii import PiiDetector

        # The configured detector (entities, thresholds, NER on/off), as the worker builds it.
        detector = PiiDetector.from_config(config.classifiers.pii, config.classifiers.encoder,
                                           weights_dir=config.classifiers.weights_dir).load()
        try:
            return {"task": "pii", "data": str(path), **evaluate_file(path, detector)}
        except (ValueError, KeyError, TypeError) as exc:  # its messages name the line
            raise EvalDataError(f"{exc}; expected lines like "
                                '{"text": "...", "spans": [{"start": 0, "end": 4, "label": "PERSON"}]}') from None
    return evaluate_binary(config, task, path)


def format_report(report: dict[str, Any]) -> str:
    """A few human-readable lines."""
    if report["task"] == "pii":
        return json.dumps(report, indent=2)
    auc = "n/a (one class only)" if report["auc"] is None else f"{report['auc']:.4f}"
    extra = "".join(f", {k} >= {v}" for k, v in report["label_thresholds"].items())
    c = report["confusion"]
    return "\n".join([
        f"{report['task']} on {report['data']} ({report['classifier']['name']} {report['classifier']['revision']})",
        f"  n          {report['n']} ({report['positives']} positive)",
        f"  AUC        {auc}",
        f"  threshold  {report['threshold']}{extra}",
        f"  accuracy   {report['accuracy']:.4f}",
        f"  precision  {report['precision']:.4f}   recall {report['recall']:.4f}   F1 {report['f1']:.4f}",
        f"  macro-F1   {report['macro_f1']:.4f}",
        f"  confusion  tp {c['tp']}  fp {c['fp']}  fn {c['fn']}  tn {c['tn']}",
    ])
