"""Peers on the same texts, in one run: throughput only (quality is bench/pii_compare.py, bench/baselines.py).

    .venv/bin/pip install -e '.[bench]'       # presidio-analyzer + spaCy model, alt-profanity-check
    .venv/bin/python -m bench.peers_speed     # ~2 min on 2 cores

PII: GuardStream's detector with each NER tagger (``classifiers.pii.ner: minilm`` and ``rampart``), its
patterns alone (the default configuration), and Presidio's AnalyzerEngine with the small spaCy model (``bench.pii_compare.PresidioSystem``).
Toxicity: GuardStream's text classifier (every head from one encoder pass, default backend) and
alt-profanity-check (TF-IDF + linear SVM). Texts are those of samples/traffic.jsonl, in calls of
``--batch`` (the worker's max_batch). A peer that is not installed is reported as missing.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any, Callable

from bench.common import TRAFFIC, machine, machine_line, median, print_table, traffic_texts, write_json


def rate(fn: Callable[[list[str]], Any], texts: list[str], batch: int, rounds: int) -> float:
    """Median texts/s over ``rounds`` passes, after a warm-up call."""
    fn(texts[:8])
    rates = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for i in range(0, len(texts), batch):
            fn(texts[i : i + batch])
        rates.append(len(texts) / (time.perf_counter() - t0))
    return median(rates)


def systems() -> dict[str, tuple[str, Callable[[], Callable[[list[str]], Any]]]]:
    """name -> (category, factory of a batch function); factories import lazily."""

    def ours_pii(ner: str) -> Callable[[], Callable[[list[str]], Any]]:
        def load() -> Callable[[list[str]], Any]:
            from classifiers.pii import PiiDetector
            from schemas.config import PiiConfig

            return PiiDetector.from_config(PiiConfig(ner=ner)).load().detect
        return load

    def presidio() -> Callable[[list[str]], Any]:
        from bench.pii_compare import PresidioSystem

        return PresidioSystem().detect

    def ours_tox() -> Callable[[list[str]], Any]:
        from classifiers.text import TextClassifier
        from schemas.config import ClassifiersConfig

        return TextClassifier.from_config(ClassifiersConfig()).load().predict_array  # as the worker runs it

    def profanity() -> Callable[[list[str]], Any]:
        from profanity_check import predict_prob

        return predict_prob

    return {"guardstream PII (patterns + MiniLM NER)": ("PII", ours_pii("minilm")),
            "guardstream PII (patterns + Rampart NER)": ("PII", ours_pii("rampart")),
            "guardstream PII patterns only": ("PII", ours_pii("none")),
            "presidio-analyzer (spaCy sm)": ("PII", presidio),
            "guardstream toxicity + bias (all heads)": ("toxicity", ours_tox),
            "alt-profanity-check": ("toxicity", profanity)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.peers_speed", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--texts", type=Path, default=TRAFFIC, help="JSONL of events")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json", type=Path, default=Path("bench/results/peers_speed.json"))
    args = p.parse_args(argv)
    info = machine()
    print(f"peers on {machine_line(info)}")
    texts = traffic_texts(args.texts)
    rows = []
    for name, (category, factory) in systems().items():
        try:
            t0 = time.perf_counter()
            fn = factory()
            load_s = time.perf_counter() - t0
        except ImportError as exc:
            print(f"  {name}: not installed ({exc.name}); pip install -e '.[bench]'")
            rows.append({"system": name, "category": category, "texts_per_s": None, "note": "not installed"})
            continue
        r = rate(fn, texts, args.batch, args.rounds)
        print(f"  {name}: {r:.1f} texts/s (loaded in {load_s:.1f}s)")
        rows.append({"system": name, "category": category, "texts_per_s": r, "load_s": load_s})
    by = {r["system"]: r["texts_per_s"] for r in rows}
    for r in rows:
        peer = "presidio-analyzer (spaCy sm)" if r["category"] == "PII" else "alt-profanity-check"
        r["vs_peer"] = r["texts_per_s"] / by[peer] if r["texts_per_s"] and by.get(peer) else None
    print_table(rows, [("system", "system"), ("category", "category"), ("texts_per_s", "texts/s"),
                       ("vs_peer", "x peer")], f"{len(texts)} traffic texts, calls of {args.batch}, "
                f"median of {args.rounds} rounds")
    write_json(args.json, {"machine": info, "texts": len(texts), "batch": args.batch, "rows": rows,
                           "command": "python -m bench.peers_speed " + " ".join(argv or [])})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
