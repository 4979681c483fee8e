"""Scoring a PII detector on labelled text: exact-span precision, recall and F1, overall and per type.

A prediction counts only if ``(start, end, label)`` equals a gold span exactly: a name found
without its surname is a miss and a false alarm, as a masked half-name would be a leak. Rows
are ``{"text": str, "spans": [{"start": int, "end": int, "label": str}]}``; the same shape is
read from JSONL by :func:`evaluate_file` (``guardstream eval --task pii`` uses it).
"""
from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    """Precision, recall and F1 from counts (0 where undefined), with the counts."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "tp": tp, "fp": fp, "fn": fn}


def score_spans(gold: Iterable[Iterable[tuple[int, int, str]]], predicted: Iterable[Iterable[tuple[int, int, str]]],
                *, labels: Collection[str] | None = None) -> dict[str, Any]:
    """Exact-span scores for parallel lists of span sets (one per text); ``labels`` limits the types."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for gold_spans, pred_spans in zip(gold, predicted, strict=True):
        g = {s for s in gold_spans if labels is None or s[2] in labels}
        p = {s for s in pred_spans if labels is None or s[2] in labels}
        for _, _, label in g & p:
            tp[label] += 1
        for _, _, label in p - g:
            fp[label] += 1
        for _, _, label in g - p:
            fn[label] += 1
    names = sorted(set(tp) | set(fp) | set(fn) | set(labels or ()))
    per_label = {name: {**prf(tp[name], fp[name], fn[name]), "n": tp[name] + fn[name]} for name in names}
    micro = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return {"micro": {**micro, "n": micro["tp"] + micro["fn"]}, "per_label": per_label}


def evaluate_spans(detector: Any, rows: Iterable[Mapping[str, Any]], *, labels: Collection[str] | None = None,
                   batch_size: int = 64) -> dict[str, Any]:
    """Run ``detector.detect`` over ``rows`` in batches and score its findings against their spans.

    Returns ``{"micro": {precision, recall, f1, tp, fp, fn, n}, "per_label": {label: {..., n}},
    "texts": int, "seconds": float, "texts_per_s": float}``; ``n`` is the number of gold spans.
    """
    rows = list(rows)
    for i, row in enumerate(rows):
        if not isinstance(row.get("text"), str) or not isinstance(row.get("spans"), list):
            raise ValueError(f"row {i}: needs 'text' (string) and 'spans' (list of {{start, end, label}})")
    gold = [{(int(s["start"]), int(s["end"]), str(s["label"])) for s in row["spans"]} for row in rows]
    predicted: list[set[tuple[int, int, str]]] = []
    started = time.perf_counter()
    for b in range(0, len(rows), batch_size):
        found = detector.detect([row["text"] for row in rows[b:b + batch_size]])
        predicted.extend({(e.start, e.end, e.type) for e in per_text} for per_text in found)
    seconds = time.perf_counter() - started
    result = score_spans(gold, predicted, labels=labels)
    result.update(texts=len(rows), seconds=round(seconds, 3),
                  texts_per_s=round(len(rows) / seconds, 1) if seconds > 0 else 0.0)
    return result


def read_jsonl_rows(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a JSONL file; errors name the line."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON: {exc.msg}") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{number}: expected an object with 'text' and 'spans'")
            rows.append(row)
    return rows


def evaluate_file(path: str | Path, detector: Any = None, *, labels: Collection[str] | None = None) -> dict[str, Any]:
    """Score a detector (default: patterns + Rampart NER, default thresholds) on a JSONL file.

    Lines: ``{"text": str, "spans": [{"start", "end", "label"}]}`` with labels in GuardStream's
    entity vocabulary (``PERSON``, ``EMAIL``, ...). Adds ``"file"`` to :func:`evaluate_spans`'s result.
    """
    if detector is None:
        from classifiers.pii.detector import PiiDetector

        detector = PiiDetector(ner="rampart").load()
    result = evaluate_spans(detector, read_jsonl_rows(path), labels=labels)
    result["file"] = str(path)
    return result
