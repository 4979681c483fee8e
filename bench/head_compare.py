"""Logistic heads (the product) vs a small MLP, on the full training pools and cached MiniLM features.

Uses the embedding cache of ``guardstream train --cache`` (no encoding) and the product's pools and
splits. Features: each text's window vectors averaged and L2-normalised (as training does). Heads:
logistic regression at several C (balanced classes) and an MLP (one hidden layer of 256, early
stopping, balanced sample weights). Prints dev AUC and held-out AUC: the pool's test split, plus for
toxicity ConvAbuse test and the conversationai wiki test set (out of domain for every training source).

    .venv/bin/python -m bench.head_compare --data-dir ../shared/datasets --cache .cache/emb

The MLP is slow on this 2-core CPU (minutes per head); ``--labels`` picks the heads to compare.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.head_compare", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/datasets"))
    ap.add_argument("--cache", type=Path, default=Path(".cache/emb"), help="`guardstream train --cache` dir")
    ap.add_argument("--labels", default="toxicity,bias,threat,obscene,identity_attack")
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args(argv)
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.neural_network import MLPClassifier

    from classifiers import datasets as D
    from classifiers.encoder import Encoder
    from classifiers.train import ChunkCache, load_label_pools

    enc = Encoder()
    pools = load_label_pools(args.data_dir, args.seed, None)
    cache = ChunkCache(args.cache / f"emb-{enc.revision}-{enc.max_length}-{enc.stride}.npz")
    wiki = D.wiki_testsets(args.data_dir)
    for lab in args.labels.split(","):
        rows = pools[lab]
        tr = [r for r in rows if r.split == "train"]
        dv = [r for r in rows if r.split == "dev"]
        te = [r for r in rows if r.split == "test"]
        X, y = cache.pooled([r.text for r in tr]), np.array([r.label for r in tr])
        Xd, yd = cache.pooled([r.text for r in dv]), np.array([r.label for r in dv])
        ev = {"test": (cache.pooled([r.text for r in te]), np.array([r.label for r in te]))}
        if lab == "toxicity":
            ca = [r for r in te if r.source == "convabuse"]
            ev["conv"] = (cache.pooled([r.text for r in ca]), np.array([r.label for r in ca]))
            w = wiki["wiki_nonfuzzed"]
            ev["wiki"] = (cache.pooled([r.text for r in w]), np.array([r.label for r in w]))
        sw = np.where(y == 1, len(y) / (2 * y.sum()), len(y) / (2 * (len(y) - y.sum())))
        models = [
            ("lr.0625", LogisticRegression(C=0.0625, class_weight="balanced", max_iter=3000)),
            ("lr1", LogisticRegression(C=1, class_weight="balanced", max_iter=3000)),
            ("lr4", LogisticRegression(C=4, class_weight="balanced", max_iter=3000)),
            ("mlp256", MLPClassifier((256,), alpha=1e-3, early_stopping=True, random_state=args.seed, max_iter=200)),
        ]
        for name, m in models:
            t = time.time()
            m.fit(X, y, sample_weight=None if name.startswith("lr") else sw)
            res = {k: round(roc_auc_score(b, m.predict_proba(a)[:, 1]), 4) for k, (a, b) in ev.items()}
            print(lab, name, "dev", round(roc_auc_score(yd, m.predict_proba(Xd)[:, 1]), 4), res,
                  f"{time.time() - t:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
