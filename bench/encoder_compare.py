"""Could one encoder pass serve toxicity, bias and PII? Heads on MiniLM vs Rampart features, and better features.

The PII tagger (Rampart, BERT 6 layers / 384, dequantized from its 4-bit ONNX by
classifiers/pii/rampart_model.py) has MiniLM's architecture. This bench trains the same kind of heads
on mean-pooled hidden states of either encoder and compares held-out quality:

* features: last layer (what the product uses for MiniLM), a middle layer, and the concatenation of the
  last four layers (each mean-pooled and L2-normalised);
* heads: logistic regression (balanced classes, C by dev AUC; the product's method) and a small MLP
  (one hidden layer of 256, early stopping);
* data: the product's training pools (classifiers/train.py) with train and dev sampled down to
  ``--train-cap`` / ``--dev-cap`` rows per pool (seeded), texts truncated to ``--max-length`` tokens
  (one window) for both encoders; evaluation on every row of ConvAbuse test and the conversationai wiki
  test set (toxicity) and the bias pool's held-out test split. Thresholds: best F1 on dev.

Pooled features of each encoder are cached under ``--cache`` so a rerun only fits heads.

    .venv/bin/python -m bench.encoder_compare --data-dir ../shared/datasets --json bench/results/encoder_compare.json

Figures depend on the subsample: compare rows of one run, not with metrics.json. Product encoder unchanged.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from bench.common import machine, write_json

LAYER_SETS = {"last": (6,), "mid": (4,), "concat3-6": (3, 4, 5, 6)}


def _log(msg: str) -> None:
    print(f"[encoder_compare {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _load_minilm() -> tuple[Any, Any]:
    from transformers import AutoModel, AutoTokenizer

    from classifiers.encoder import default_model_dir

    d = str(default_model_dir())
    return AutoTokenizer.from_pretrained(d, local_files_only=True), AutoModel.from_pretrained(d, local_files_only=True)


def _load_rampart() -> tuple[Any, Any]:
    from transformers import AutoTokenizer

    from classifiers.pii.rampart_model import load_torch_model, rampart_dir

    d = rampart_dir()
    return AutoTokenizer.from_pretrained(str(d), local_files_only=True), load_torch_model(d).bert


ENCODERS: dict[str, Callable[[], tuple[Any, Any]]] = {"minilm": _load_minilm, "rampart": _load_rampart}


def encode_layers(name: str, texts: Sequence[str], max_length: int, cache_dir: Path, batch: int = 32) -> dict:
    """text -> (7, 384) mean-pooled hidden states (embeddings + 6 layers), cached per encoder."""
    import torch

    path = cache_dir / f"{name}-L{max_length}.npz"
    store: dict[str, np.ndarray] = {}
    if path.is_file():
        with np.load(path) as z:
            store = dict(zip((str(k) for k in z["keys"]), z["vecs"]))
    key = {t: hashlib.sha1(t.encode()).hexdigest() for t in texts}
    todo = sorted({t for t in texts if key[t] not in store}, key=len)
    if todo:
        tok, model = ENCODERS[name]()
        model.eval()
        t0 = time.time()
        with torch.inference_mode():
            for b in range(0, len(todo), batch):
                part = todo[b : b + batch]
                enc = tok(part, truncation=True, max_length=max_length, padding=True, return_tensors="pt")
                hs = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                           output_hidden_states=True).hidden_states
                m = enc["attention_mask"].unsqueeze(-1).float()
                pooled = torch.stack([(h * m).sum(1) / m.sum(1).clamp(min=1e-9) for h in hs], 1)
                for t, v in zip(part, pooled.numpy().astype(np.float16)):
                    store[key[t]] = v
                if (b // batch) % 50 == 0:
                    _log(f"  {name}: {b + len(part)}/{len(todo)} ({(b + len(part)) / (time.time() - t0):.0f} texts/s)")
        cache_dir.mkdir(parents=True, exist_ok=True)
        keys = sorted(store)
        np.savez(path, keys=np.asarray(keys), vecs=np.stack([store[k] for k in keys]))
    return {t: store[key[t]] for t in texts}


def features(layers: dict, texts: Sequence[str], which: tuple[int, ...]) -> np.ndarray:
    """Concatenation of the chosen layers, each L2-normalised (as the product normalises the last one)."""
    parts = []
    for layer in which:
        x = np.stack([layers[t][layer] for t in texts]).astype(np.float32)
        parts.append(x / np.clip(np.linalg.norm(x, axis=1, keepdims=True), 1e-12, None))
    return np.concatenate(parts, axis=1)


def fit_predict(kind: str, X: np.ndarray, y: np.ndarray, Xd: np.ndarray, yd: np.ndarray, seed: int):
    """A fitted head's probability function, chosen on dev AUC."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.neural_network import MLPClassifier

    if kind == "logistic":
        best = None
        for c in (0.25, 1.0, 4.0):
            m = LogisticRegression(C=c, class_weight="balanced", max_iter=3000, random_state=seed).fit(X, y)
            auc = roc_auc_score(yd, m.predict_proba(Xd)[:, 1])
            if best is None or auc > best[0] + 1e-4:
                best = (auc, m)
        return best[1].predict_proba
    w = np.where(y == 1, len(y) / (2 * y.sum()), len(y) / (2 * (len(y) - y.sum())))
    m = MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-3, early_stopping=True, max_iter=200, random_state=seed)
    return m.fit(X, y, sample_weight=w).predict_proba


def evaluate(y: np.ndarray, p: np.ndarray, thr: float) -> dict[str, float]:
    from sklearn.metrics import f1_score, roc_auc_score

    return {"n": int(len(y)), "auc": round(float(roc_auc_score(y, p)), 4),
            "macro_f1": round(float(f1_score(y, (p >= thr).astype(int), average="macro")), 4)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.encoder_compare", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/datasets"))
    ap.add_argument("--cache", type=Path, default=Path(".cache/encoder_compare"))
    ap.add_argument("--train-cap", type=int, default=2500, help="train rows per pool (seeded sample)")
    ap.add_argument("--dev-cap", type=int, default=800, help="dev rows per pool (seeded sample)")
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--encoders", default="minilm,rampart")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    torch.manual_seed(args.seed)
    from classifiers import datasets as D
    from classifiers.train import best_f1_threshold, load_pools

    tox, bias = load_pools(args.data_dir, args.seed, None)
    rnd = random.Random(args.seed)

    def sample(rows: list, split: str, cap: int) -> list:
        rs = [r for r in rows if r.split == split]
        return rnd.sample(rs, min(cap, len(rs)))

    wiki = D.wiki_testsets(args.data_dir)["wiki_nonfuzzed"]
    tasks = {
        "toxicity": (sample(tox, "train", args.train_cap), sample(tox, "dev", args.dev_cap),
                     {"convabuse_test": [r for r in tox if r.split == "test" and r.source == "convabuse"],
                      "wiki_nonfuzzed": wiki}),
        "bias": (sample(bias, "train", args.train_cap), sample(bias, "dev", args.dev_cap),
                 {"all_heldout_test": [r for r in bias if r.split == "test"]}),
    }
    texts = sorted({r.text for tr, dv, ev in tasks.values() for rs in (tr, dv, *ev.values()) for r in rs})
    _log(f"{len(texts)} distinct texts, max {args.max_length} tokens")
    results: dict[str, Any] = {"rows": []}
    for enc in args.encoders.split(","):
        t0 = time.time()
        layers = encode_layers(enc, texts, args.max_length, args.cache)
        results.setdefault("encode_seconds", {})[enc] = round(time.time() - t0, 1)
        for fname, which in LAYER_SETS.items():
            for kind in ("logistic", "mlp"):
                row: dict[str, Any] = {"encoder": enc, "features": fname, "head": kind}
                for task, (tr, dv, evals) in tasks.items():
                    X, y = features(layers, [r.text for r in tr], which), np.array([r.label for r in tr])
                    Xd, yd = features(layers, [r.text for r in dv], which), np.array([r.label for r in dv])
                    proba = fit_predict(kind, X, y, Xd, yd, args.seed)
                    thr = best_f1_threshold(yd, proba(Xd)[:, 1])
                    for ename, rows in evals.items():
                        p = proba(features(layers, [r.text for r in rows], which))[:, 1]
                        row[f"{task}/{ename}"] = evaluate(np.array([r.label for r in rows]), p, thr)
                results["rows"].append(row)
                _log(" ".join(f"{k}={v}" for k, v in row.items()))
    results["run"] = {
        "command": "python -m bench.encoder_compare " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": machine(),
        "train_cap": args.train_cap, "dev_cap": args.dev_cap, "max_length": args.max_length, "seed": args.seed,
    }
    print(table(results))
    write_json(args.json, results)
    return 0


def table(results: dict) -> str:
    cols = ["toxicity/convabuse_test", "toxicity/wiki_nonfuzzed", "bias/all_heldout_test"]
    lines = [f"{'encoder':8s} {'features':10s} {'head':9s} " + " ".join(f"{c + ' AUC / mF1':>38s}" for c in cols)]
    for row in results["rows"]:
        cells = [f"{row[c]['auc']:.4f} / {row[c]['macro_f1']:.4f}" for c in cols]
        lines.append(f"{row['encoder']:8s} {row['features']:10s} {row['head']:9s} " + " ".join(f"{c:>38s}" for c in cells))
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
