"""What the policy pools hold (classifiers/training/policy_data.py): rows, positives, sources and length.

Per label and split: rows, positives, the sources with their row counts (positives / all), the mean length in
characters of positives and of negatives, and the ROC-AUC that the length alone reaches (1.0 = length
separates the classes perfectly, 0.5 = no signal; below 0.5 = negatives are the longer ones). Then the benign
false-alarm sets and the hand-written row counts. No model is involved; it runs in seconds.

    .venv/bin/python -m bench.policy_data --data-dir ../shared/datasets
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path


def length_auc(rows) -> float | None:
    """Mann-Whitney AUC of character length as a score for label 1 (ties count half)."""
    pos = sorted(len(r.text) for r in rows if r.label == 1)
    neg = sorted(len(r.text) for r in rows if r.label == 0)
    if not pos or not neg:
        return None
    import bisect

    wins = 0.0
    for x in pos:
        lo, hi = bisect.bisect_left(neg, x), bisect.bisect_right(neg, x)
        wins += lo + 0.5 * (hi - lo)
    return wins / (len(pos) * len(neg))


def _mean(xs: list[int]) -> str:
    return f"{statistics.mean(xs):,.0f}" if xs else "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.policy_data", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/datasets"))
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args(argv)
    from classifiers.training import policy_data as P

    t0 = time.time()
    pools = P.policy_pools(args.data_dir, args.seed)
    benign = P.benign_sets(args.data_dir)
    print(f"policy pools from {args.data_dir} (seed {args.seed}), built in {time.time() - t0:.1f} s\n")
    for lab, rows in pools.items():
        print(f"== {lab}")
        print(f"{'split':<6} {'rows':>6} {'pos':>5} {'mean len +':>10} {'mean len -':>10} {'len AUC':>7}  sources (pos/all)")
        for sp in ("train", "dev", "test"):
            rs = [r for r in rows if r.split == sp]
            by: dict[str, list[int]] = {}
            for r in rs:
                c = by.setdefault(r.source, [0, 0])
                c[0] += r.label
                c[1] += 1
            auc = length_auc(rs)
            srcs = ", ".join(f"{s} {p}/{n}" for s, (p, n) in sorted(by.items(), key=lambda kv: -kv[1][1]))
            print(f"{sp:<6} {len(rs):>6} {sum(r.label for r in rs):>5} "
                  f"{_mean([len(r.text) for r in rs if r.label == 1]):>10} "
                  f"{_mean([len(r.text) for r in rs if r.label == 0]):>10} "
                  f"{'-' if auc is None else f'{auc:.3f}':>7}  {srcs}")
        print()
    print("== benign sets (false alarms per 1,000; none of these texts is in a train / dev split)")
    for name, texts in benign.items():
        print(f"{name:<24} {len(texts):>6} texts, mean length {_mean([len(t) for t in texts])}")
    counts = P.own_counts()
    print(f"\n== hand-written texts: {sum(counts.values())} in all")
    for name, n in counts.items():
        print(f"{name:<26} {n:>4}")
    own = P.own_rows()
    print("own rows per label (with the injected tool-result copies): "
          + ", ".join(f"{lab} {len(rows)} ({sum(r.label for r in rows)} pos)" for lab, rows in own.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
