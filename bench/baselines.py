"""Our heads vs a public baseline, on the same held-out data in one run.

Baseline: ``alt-profanity-check`` (PyPI, TF-IDF + linear SVM trained on public toxicity data; install
with ``pip install -e .[bench]``). Compared on:

* toxicity: ConvAbuse test, conversationai wiki test (original and identity-fuzzed);
* bias: the bias pool's held-out test split (classifiers/train.py; never trained on);
* identity terms: false-positive rate per identity term on the non-toxic conversationai templates
  (the same seeded sample ``guardstream train`` uses).

AUC is threshold-free. Accuracy and macro-F1 are at: our calibrated thresholds (heads.json);
profanity-check's own 0.5 (``predict``); and profanity-check at its best-F1 threshold on the same dev
split our heads were calibrated on (the fair comparison).

Our scores come from the packaged heads exactly as ``TextClassifier.predict`` computes them (max over
windows); with ``--cache`` (the directory ``guardstream train --cache`` filled) no text is re-encoded.

    .venv/bin/python -m bench.baselines --data-dir ../shared/datasets --cache .cache/emb --json bench/results/baselines.json
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from bench.common import machine, write_json


def _log(msg: str) -> None:
    print(f"[baselines {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def metrics(y: np.ndarray, p: np.ndarray, thr: float) -> dict[str, Any]:
    """n, positives, AUC, and accuracy / macro-F1 at ``thr``."""
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    pred = (p >= thr).astype(int)
    return {"n": int(len(y)), "positives": int(y.sum()), "auc": round(float(roc_auc_score(y, p)), 4),
            "accuracy": round(float(accuracy_score(y, pred)), 4),
            "macro_f1": round(float(f1_score(y, pred, average="macro", zero_division=0)), 4),
            "threshold": round(float(thr), 4)}


def our_scorer(cache_dir: Path | None) -> tuple[Callable[[Sequence[str]], np.ndarray], dict[str, float], list[str]]:
    """(texts -> n x labels scores, thresholds, labels) of the packaged heads."""
    from classifiers.text import TextClassifier
    from classifiers.train import ChunkCache

    clf = TextClassifier(device="cpu", backend="torch").load()  # the backend the heads were calibrated on
    if cache_dir is None:
        return clf.predict_array, clf.thresholds, clf.labels
    enc = clf.encoder
    cache = ChunkCache(cache_dir / f"emb-{enc.revision}-{enc.max_length}-{enc.stride}.npz")

    def score(texts: Sequence[str]) -> np.ndarray:
        cache.fill(enc, list(texts))
        return cache.max_score(clf.heads, texts)

    return score, clf.thresholds, clf.labels


def template_fpr(templates: list[tuple[str, str, int]], p: np.ndarray, thr: float) -> dict[str, Any]:
    """Overall and per-term false-positive rate on the non-toxic templates."""
    y = np.array([lab for _, _, lab in templates])
    terms = sorted({t for t, _, _ in templates})
    per = {}
    for term in terms:
        sel = np.array([t == term and lab == 0 for t, _, lab in templates])
        if sel.any():
            per[term] = round(float((p[sel] >= thr).mean()), 4)
    return {"overall_fpr": round(float((p[y == 0] >= thr).mean()), 4),
            "max_term_fpr": max(per.values()), "worst_terms": dict(sorted(per.items(), key=lambda kv: -kv[1])[:6]),
            "per_term_fpr": per}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.baselines", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/datasets"))
    ap.add_argument("--cache", type=Path, default=None, help="embedding cache dir of `guardstream train --cache`")
    ap.add_argument("--seed", type=int, default=13, help="must match the training seed (template sample)")
    ap.add_argument("--templates-per-term", type=int, default=26)
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from profanity_check import predict_prob
    except ImportError:
        print("alt-profanity-check is missing: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    from classifiers import datasets as D
    from classifiers.train import best_f1_threshold, load_pools

    tox, bias = load_pools(args.data_dir, args.seed, None)
    wiki = D.wiki_testsets(args.data_dir)
    templates, _ = D.identity_templates(args.data_dir, args.seed, args.templates_per_term)
    sets = {
        "toxicity": {"convabuse_test": [r for r in tox if r.split == "test" and r.source == "convabuse"],
                     "wiki_nonfuzzed": wiki["wiki_nonfuzzed"], "wiki_fuzzed": wiki["wiki_fuzzed"]},
        "bias": {"bias_heldout_test": [r for r in bias if r.split == "test"]},
    }
    dev = {"toxicity": [r for r in tox if r.split == "dev"], "bias": [r for r in bias if r.split == "dev"]}
    ours, thresholds, labels = our_scorer(args.cache)

    def baseline(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(predict_prob(list(texts)), dtype=np.float64)

    out: dict[str, Any] = {"models": {}, "identity_templates": {}}
    for task, evals in sets.items():
        j = labels.index(task)
        dev_y = np.array([r.label for r in dev[task]])
        base_dev_thr = best_f1_threshold(dev_y, baseline([r.text for r in dev[task]]))
        for name, rows in evals.items():
            texts, y = [r.text for r in rows], np.array([r.label for r in rows])
            t0 = time.time()
            p_ours = ours(texts)[:, j]
            _log(f"{task}/{name}: ours scored {len(texts)} texts in {time.time() - t0:.1f}s")
            p_base = baseline(texts)
            res = out["models"]
            res.setdefault("guardstream heads", {})[f"{task}/{name}"] = metrics(y, p_ours, thresholds[task])
            res.setdefault("profanity-check @0.5", {})[f"{task}/{name}"] = metrics(y, p_base, 0.5)
            res.setdefault("profanity-check @dev", {})[f"{task}/{name}"] = metrics(y, p_base, base_dev_thr)
    phrases = [ph for _, ph, _ in templates]
    p_all = ours(phrases)
    p_base = baseline(phrases)
    base_tox_thr = out["models"]["profanity-check @dev"]["toxicity/convabuse_test"]["threshold"]
    out["identity_templates"] = {
        "source": f"conversationai-bias en_sentence_templates.csv, {args.templates_per_term} per identity term "
                  f"and class (seed {args.seed})",
        "guardstream toxicity": template_fpr(templates, p_all[:, labels.index("toxicity")], thresholds["toxicity"]),
        "guardstream bias": template_fpr(templates, p_all[:, labels.index("bias")], thresholds["bias"]),
        "profanity-check @0.5": template_fpr(templates, p_base, 0.5),
        "profanity-check @dev": template_fpr(templates, p_base, base_tox_thr),
    }
    from importlib.metadata import version

    out["run"] = {
        "command": "python -m bench.baselines " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": machine(),
        "alt-profanity-check": version("alt-profanity-check"),
    }
    print(table(out))
    write_json(args.json, out)
    return 0


def table(out: dict) -> str:
    """The comparison as a plain-text table."""
    lines = [f"{'model':22s} {'set':32s} {'n':>5s} {'AUC':>7s} {'acc':>7s} {'macroF1':>8s} {'thr':>7s}"]
    for model, rows in out["models"].items():
        for key, m in rows.items():
            lines.append(f"{model:22s} {key:32s} {m['n']:5d} {m['auc']:7.4f} {m['accuracy']:7.4f} "
                         f"{m['macro_f1']:8.4f} {m['threshold']:7.4f}")
    lines.append("")
    lines.append(f"{'identity templates (non-toxic)':40s} {'FPR':>7s} {'max term':>9s}  worst terms")
    for model, m in out["identity_templates"].items():
        if model == "source":
            continue
        worst = ", ".join(f"{t} {v:.2f}" for t, v in list(m["worst_terms"].items())[:4])
        lines.append(f"{model:40s} {m['overall_fpr']:7.4f} {m['max_term_fpr']:9.4f}  {worst}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
