"""Held-out evaluation blocks of ``guardstream train`` (written to ``metrics.json``).

Every figure is computed on rows the heads never saw: the ``test`` split of each pool (per source and
all together), the conversationai wiki test sets (original / identity-fuzzed), the conversationai
identity templates (false-positive rate per identity term), the neutral-register test rows, and the
282-row Jigsaw sample (a schema fixture; too small for more than a smoke check).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from . import datasets as D
from .heads import LogisticHeads

Scorer = Callable[[LogisticHeads, Sequence[str]], np.ndarray]


def binary_metrics(y: np.ndarray, p: np.ndarray, thr: float) -> dict[str, float]:
    """n, positives, accuracy, precision, recall, F1, macro-F1 at ``thr``; AUC when both classes occur."""
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

    pred = (p >= thr).astype(int)
    out = {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "accuracy": float(accuracy_score(y, pred)),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "macro_f1": float(f1_score(y, pred, average="macro", zero_division=0)),
    }
    if 0 < y.sum() < len(y):
        out["auc"] = float(roc_auc_score(y, p))
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}


def pool_tests(pools: dict[str, list[D.Row]], heads: LogisticHeads, score: Scorer) -> dict[str, dict]:
    """label -> {<source>_heldout_test | convabuse_test | all_heldout_test: metrics} on the test split."""
    thr, idx = heads.thresholds(), {lab: j for j, lab in enumerate(heads.labels)}
    out: dict[str, dict] = {}
    for name, rows in pools.items():
        j, block = idx[name], {}
        te = [r for r in rows if r.split == "test"]
        by_src: dict[str, list[D.Row]] = {}
        for r in te:
            by_src.setdefault(r.source, []).append(r)
        for src, rs in sorted(by_src.items()):
            key = "convabuse_test" if src == "convabuse" else f"{src}_heldout_test"
            p = score(heads, [r.text for r in rs])[:, j]
            block[key] = binary_metrics(np.array([r.label for r in rs]), p, thr[name])
        p = score(heads, [r.text for r in te])[:, j]
        block["all_heldout_test"] = binary_metrics(np.array([r.label for r in te]), p, thr[name])
        out[name] = block
    return out


def external_sets(sets: dict[str, dict[str, list[D.Row]]], heads: LogisticHeads, score: Scorer) -> dict:
    """{set name: {label: metrics}} for evaluation-only sets given per label (rows keyed by our label)."""
    thr, idx = heads.thresholds(), {lab: j for j, lab in enumerate(heads.labels)}
    out: dict[str, dict] = {}
    for set_name, per_label in sets.items():
        for lab, rows in per_label.items():
            if lab not in idx:
                continue
            p = score(heads, [r.text for r in rows])[:, idx[lab]]
            out.setdefault(set_name, {})[lab] = binary_metrics(np.array([r.label for r in rows]), p, thr[lab])
    return out


def identity_templates(
    templates: list[tuple[str, str, int]], heads: LogisticHeads, score: Scorer, note: str
) -> dict:
    """Per-label false-positive rate on the non-toxic identity templates, overall and per identity term."""
    thr = heads.thresholds()
    tp = score(heads, [ph for _, ph, _ in templates])
    ty = np.array([y for _, _, y in templates])
    block: dict = {"source": note}
    terms = sorted({t for t, _, _ in templates})
    for j, name in enumerate(heads.labels):
        per_term = {}
        for term in terms:
            sel = np.array([t == term and y == 0 for t, _, y in templates])
            if sel.any():
                per_term[term] = round(float((tp[sel, j] >= thr[name]).mean()), 4)
        vals = np.array(list(per_term.values()))
        block[name] = {
            "overall_fpr": round(float((tp[ty == 0, j] >= thr[name]).mean()), 4),
            "mean_term_fpr": round(float(vals.mean()), 4),
            "max_term_fpr": round(float(vals.max()), 4),
            "worst_terms": dict(sorted(per_term.items(), key=lambda kv: -kv[1])[:8]),
            "per_term_fpr": per_term,
        }
    tox = heads.labels.index("toxicity")
    block["toxicity"]["template_auc_toxic_vs_nontoxic"] = binary_metrics(ty, tp[:, tox], thr["toxicity"]).get("auc")
    return block


def neutral_heldout(pools: dict[str, list[D.Row]], heads: LogisticHeads, score: Scorer) -> dict:
    """False-positive rate per label on the test rows of the neutral formal / assistant-register sources."""
    thr = heads.thresholds()
    block: dict = {"sources": list(D.NEUTRAL_SOURCES), "split": "test (hash split; own pairs by prompt)"}
    te = [r for r in pools["toxicity"] if r.split == "test" and r.source in D.NEUTRAL_SOURCES]
    scores = score(heads, [r.text for r in te])
    for j, name in enumerate(heads.labels):
        fired = scores[:, j] >= thr[name]
        entry = {"all": {"n": len(te), "fpr": round(float(fired.mean()), 4)}}
        for src in D.NEUTRAL_SOURCES:
            sel = np.array([r.source == src for r in te])
            entry[src] = {"n": int(sel.sum()), "fpr": round(float(fired[sel].mean()), 4)}
        block[name] = entry
    return block
