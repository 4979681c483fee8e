"""The shipped classifier on GuardStream's own functional test suite (classifiers/training/functional_suite.py).

    .venv/bin/python -m bench.functional_suite --data-dir ../shared/datasets            # held-out templates
    .venv/bin/python -m bench.functional_suite --data-dir ../shared/datasets --split train --json /tmp/fs.json

Decisions use the classifier's own calibrated thresholds (``clf.thresholds``, from heads.json):
``toxicity >= thresholds["toxicity"]`` against the case's toxicity label, the same for ``bias`` and
``identity_attack``. Printed per functionality group and per functionality: accuracy of each decision, and
the threat head's AUC where a group has cases of both threat classes. Overall: accuracy and macro-F1 (mean of
the F1 of both classes) of each decision, and threat AUC. Without ``--data-dir`` (or when it does not exist)
the suite uses its built-in identity groups. Target (issue 19): accuracy >= 0.85 on every group.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import machine, machine_line, print_table, write_json

DECISIONS = ("toxicity", "bias", "identity_attack")
TARGET = 0.85


def auc(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    """ROC AUC (Mann-Whitney, ties count half); None unless both classes are present."""
    pos = [s for y, s in zip(labels, scores) if y]
    neg = [s for y, s in zip(labels, scores) if not y]
    if not pos or not neg:
        return None
    ranked = sorted((s, i) for i, s in enumerate(list(pos) + list(neg)))
    ranks = [0.0] * len(ranked)
    i = 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and ranked[j + 1][0] == ranked[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[ranked[k][1]] = (i + j) / 2 + 1
        i = j + 1
    r_pos = sum(ranks[: len(pos)])
    return (r_pos - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def macro_f1(labels: Sequence[int], preds: Sequence[int]) -> float:
    """Mean over the classes present in labels or predictions of the per-class F1."""
    f1s = []
    for c in sorted(set(labels) | set(preds)):
        tp = sum(1 for y, p in zip(labels, preds) if y == c and p == c)
        fp = sum(1 for y, p in zip(labels, preds) if y != c and p == c)
        fn = sum(1 for y, p in zip(labels, preds) if y == c and p != c)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(f1s) / len(f1s) if f1s else float("nan")


def score_rows(cases: list[dict[str, Any]], preds: list[dict[str, float]], thresholds: dict[str, float],
               key: str) -> list[dict[str, Any]]:
    """One row per value of ``key`` (functionality_group or functionality)."""
    by: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(cases):
        by[c[key]].append(i)
    out = []
    for name, idx in by.items():
        row: dict[str, Any] = {key: name, "cases": len(idx),
                               "templates": len({cases[i]["template_id"] for i in idx}),
                               "hateful": sum(cases[i]["labels"]["bias"] for i in idx),
                               "toxic": sum(cases[i]["labels"]["toxicity"] for i in idx)}
        for lab in DECISIONS:
            ok = [int(preds[i][lab] >= thresholds[lab]) == cases[i]["labels"][lab] for i in idx]
            row[f"{lab}_acc"] = sum(ok) / len(ok)
        row["threat_auc"] = auc([cases[i]["labels"]["threat"] for i in idx], [preds[i]["threat"] for i in idx])
        row["threat_acc"] = sum(int(preds[i]["threat"] >= thresholds["threat"]) == cases[i]["labels"]["threat"]
                                for i in idx) / len(idx)
        out.append(row)
    return out


def overall(cases: list[dict[str, Any]], preds: list[dict[str, float]], thresholds: dict[str, float]) -> dict:
    out: dict[str, Any] = {"cases": len(cases)}
    for lab in DECISIONS + ("threat",):
        y = [c["labels"][lab] for c in cases]
        p = [int(s[lab] >= thresholds[lab]) for s in preds]
        out[f"{lab}_acc"] = sum(a == b for a, b in zip(y, p)) / len(y)
        out[f"{lab}_macro_f1"] = macro_f1(y, p)
        out[f"{lab}_auc"] = auc(y, [s[lab] for s in preds])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.functional_suite", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="the shared datasets (identity groups); default: the suite's built-in groups")
    ap.add_argument("--split", choices=("test", "train", "all"), default="test")
    ap.add_argument("--weights-dir", type=Path, default=None, help="heads directory (default: the shipped one)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--show-misses", type=int, default=0, metavar="N",
                    help="print up to N wrong toxicity or bias decisions per functionality")
    args = ap.parse_args(argv)

    from classifiers.text import TextClassifier
    from classifiers.training import functional_suite as FS

    info = machine()
    data_dir = args.data_dir
    if data_dir is not None and not data_dir.is_dir():
        print(f"note: {data_dir} does not exist; using the built-in identity groups", file=sys.stderr)
        data_dir = None
    cases = FS.cases(args.split, data_dir)
    sources = sorted(FS.identity_groups(data_dir))
    t0 = time.perf_counter()
    clf = TextClassifier(weights_dir=args.weights_dir).load()
    thresholds = clf.thresholds
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    preds = clf.predict([c["text"] for c in cases])
    t_pred = time.perf_counter() - t0

    print(f"machine: {machine_line(info)}")
    print(f"classifier {clf.revision}; thresholds: "
          + ", ".join(f"{k} {thresholds[k]:.4g}" for k in DECISIONS + ("threat",)))
    print(f"suite: split {args.split}, {len(cases)} cases from "
          f"{len({c['template_id'] for c in cases})} templates; identity groups from {', '.join(sources)}; "
          f"load {t_load:.1f} s, predict {t_pred:.1f} s")

    cols_common = [("cases", "cases"), ("templates", "templates"), ("toxic", "toxic"), ("hateful", "hateful"),
                   ("toxicity_acc", "toxicity acc"), ("bias_acc", "bias acc"),
                   ("identity_attack_acc", "identity_attack acc"), ("threat_acc", "threat acc"),
                   ("threat_auc", "threat AUC")]
    groups = score_rows(cases, preds, thresholds, "functionality_group")
    order = {g: i for i, g in enumerate(FS.GROUPS)}
    groups.sort(key=lambda r: order.get(r["functionality_group"], 99))
    print_table(groups, [("functionality_group", "group")] + cols_common,
                title=f"Per functionality group (accuracy of the decision at the calibrated threshold; target >= {TARGET})")
    funcs = score_rows(cases, preds, thresholds, "functionality")
    forder = {f: i for i, f in enumerate(FS.FUNCTIONALITIES)}
    funcs.sort(key=lambda r: forder.get(r["functionality"], 999))
    print_table(funcs, [("functionality", "functionality")] + cols_common, title="Per functionality")
    tot = overall(cases, preds, thresholds)
    print_table([{"decision": lab, **{k: tot.get(f"{lab}_{k}") for k in ("acc", "macro_f1", "auc")}}
                 for lab in DECISIONS + ("threat",)],
                [("decision", "decision"), ("acc", "accuracy"), ("macro_f1", "macro-F1"), ("auc", "AUC")],
                title=f"Overall ({len(cases)} cases)")
    for lab in ("toxicity", "bias"):
        below = [r["functionality_group"] for r in groups if r[f"{lab}_acc"] < TARGET]
        print(f"{lab}: groups below {TARGET}: {', '.join(below) if below else 'none'}")

    if args.show_misses:
        for f in FS.FUNCTIONALITIES:
            miss = [(c, p) for c, p in zip(cases, preds) if c["functionality"] == f and any(
                int(p[lab] >= thresholds[lab]) != c["labels"][lab] for lab in ("toxicity", "bias"))]
            if miss:
                print(f"\n{f}: {len(miss)} wrong")
                for c, p in miss[: args.show_misses]:
                    print(f"  tox {p['toxicity']:.2f} bias {p['bias']:.2f} threat {p['threat']:.2f} "
                          f"(labels {c['labels']['toxicity']}/{c['labels']['bias']}/{c['labels']['threat']}): "
                          f"{c['text']}")

    write_json(args.json, {
        "bench": "functional_suite", "machine": info,
        "command": "python -m bench.functional_suite " + " ".join(argv if argv is not None else sys.argv[1:]),
        "classifier": clf.revision, "thresholds": thresholds, "split": args.split,
        "identity_sources": sources, "seconds": {"load": t_load, "predict": t_pred},
        "groups": groups, "functionalities": funcs, "overall": tot,
        "cases": [{**c, "scores": p} for c, p in zip(cases, preds)],
    })
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
