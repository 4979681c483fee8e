"""``guardstream train-encoder``: adapt all-MiniLM-L6-v2 to toxicity and bias before ``guardstream train``.

A sentence-similarity encoder knows what a text is about far better than how it is said: logistic
heads on its frozen embedding lose to a word-counting baseline on chatbot abuse. Here the encoder
learns the task, in a way that keeps what ships small and what runs unchanged: every attention and
feed-forward projection gets a trainable low-rank update (:mod:`classifiers.lora`), trained through
the same mean pooling and L2 normalisation the product uses, with one linear output per head label
(toxicity, its five sub-labels, bias; a text only counts for the labels its source says something
about). Only the adapters ship (``classifiers/weights/encoder_adapters.npz``, about 1 MB); at load
they are merged into the weights, so the adapted encoder costs exactly what the base one costs.
By default half of the trained update is merged (``--mix 0.5``, weight-space ensembling): fully
fine-tuned, the encoder also learnt the styles of its sources (every Civil Comments post in the data
is toxic, so forum prose looked toxic) and lost more on Wikipedia comments than it gained elsewhere.

Then ``guardstream train`` fits the shipped logistic heads, C and thresholds on the adapted
encoder's embeddings, evaluates and writes the model card's figures, as it does for the base
encoder. The two steps:

    guardstream train-encoder --data-dir ../shared/datasets     # ~20 min on 2 CPU cores
    guardstream train --data-dir ../shared/datasets --cache .cache/emb

Data: the train splits of the head pools (:func:`classifiers.train.load_label_pools`), never a dev
or test row; the dev split picks the epoch (mean dev AUC over the labels). Fixed seed.
"""
from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .lora import adapter_arrays, add_adapters, length_batches, load_base, optimizer
from .text import DEFAULT_WEIGHTS_DIR

ADAPTERS_NAME = "encoder_adapters.npz"


def _log(msg: str) -> None:
    print(f"[train-encoder {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def multi_label_rows(pools: dict[str, list[Any]], labels: Sequence[str], split: str,
                     weights: dict[str, float]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts of ``split`` with one target per label (NaN where the text's pool has no say) and a sample
    weight per text (``weights`` by source, else 1)."""
    targets: dict[str, np.ndarray] = {}
    weight: dict[str, float] = {}
    for j, label in enumerate(labels):
        for row in pools[label]:
            if row.split != split:
                continue
            targets.setdefault(row.text, np.full(len(labels), np.nan, np.float32))[j] = row.label
            weight[row.text] = max(weight.get(row.text, 1.0), weights.get(row.source, 1.0))
    texts = sorted(targets)
    if not texts:
        return [], np.zeros((0, len(labels)), np.float32), np.zeros(0, np.float32)
    return texts, np.stack([targets[t] for t in texts]), np.array([weight[t] for t in texts], np.float32)


def build_model(model_dir: Path, n_labels: int, rank: int, alpha: float, dropout: float) -> Any:
    """MiniLM with adapters, mean pooling + L2 normalisation (as the product embeds) and linear outputs."""
    import torch

    bert = load_base(model_dir)
    adapters = add_adapters(bert, rank, alpha, dropout)

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert
            self.head = torch.nn.Linear(bert.config.hidden_size, n_labels)
            # Normalised vectors give logits in [-|w|, |w|]; a learnt scale lets the outputs reach the targets.
            self.scale = torch.nn.Parameter(torch.tensor(10.0))

        def embed(self, ids: Any, mask: Any) -> Any:
            hidden = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).to(hidden.dtype)
            return torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=-1)

        def forward(self, ids: Any, mask: Any) -> Any:
            return self.head(self.embed(ids, mask)) * self.scale

    model = Pooled()
    model.adapters = adapters  # type: ignore[attr-defined]
    return model


def _collate(seqs: Sequence[Sequence[int]]) -> tuple[Any, Any]:
    import torch

    width = max(len(s) for s in seqs)
    ids = torch.zeros((len(seqs), width), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for r, s in enumerate(seqs):
        ids[r, :len(s)] = torch.tensor(s)
        mask[r, :len(s)] = 1
    return ids, mask


def dev_aucs(model: Any, ids: list[list[int]], targets: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    """Dev AUC per label of the training outputs (only texts whose pool has the label; labels whose dev
    texts are all of one class are left out)."""
    import torch
    from sklearn.metrics import roc_auc_score

    model.eval()
    out = np.zeros(targets.shape, np.float32)
    order = np.argsort([len(s) for s in ids])
    with torch.inference_mode():
        for b in range(0, len(order), 64):
            idx = order[b:b + 64]
            out[idx] = model(*_collate([ids[i] for i in idx])).numpy()
    model.train()
    aucs = {}
    for j, label in enumerate(labels):
        known = ~np.isnan(targets[:, j])
        if len(set(targets[known, j].tolist())) < 2:
            continue
        aucs[label] = round(float(roc_auc_score(targets[known, j], out[known, j])), 4)
    return aucs


def build_parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Adapt the MiniLM encoder of the toxicity / bias heads with low-rank adapters trained on the "
                    "train splits of the head pools (the datasets directory, never a dev or test row). Prints "
                    "progress and the dev AUC per label after each epoch; writes the adapters of the best epoch. "
                    "Run `guardstream train` afterwards: it fits the heads on the adapted encoder and writes "
                    "the figures of classifiers/MODEL_CARD.md.",
        epilog="example:\n  guardstream train-encoder --data-dir ../shared/datasets\n"
               "  guardstream train --data-dir ../shared/datasets --cache .cache/emb")
    p.add_argument("--data-dir", type=Path, required=True, help="the datasets directory (../shared/datasets)")
    p.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS_DIR / ADAPTERS_NAME,
                   help=f"where to write the adapters (default: the packaged classifiers/weights/{ADAPTERS_NAME}, "
                        "which `guardstream train` uses)")
    p.add_argument("--epochs", type=int, default=1, help="passes over the training texts (default 1, ~20 minutes "
                                                          "on 2 CPU cores); the epoch with the best mean dev AUC is kept")
    p.add_argument("--rank", type=int, default=16, help="rank of the adapters (default 16; alpha = 2 x rank)")
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate of AdamW (default 1e-3)")
    p.add_argument("--batch", type=int, default=32, help="texts per step (default 32)")
    p.add_argument("--max-tokens", type=int, default=128,
                   help="tokens of a text read in training, [CLS]/[SEP] included (default 128; inference reads "
                        "every token, in windows)")
    p.add_argument("--seed", type=int, default=7, help="seed of the adapter initialisation and batch order (default 7)")
    p.add_argument("--pool-seed", type=int, default=13,
                   help="seed of the row samples in the pools, as `guardstream train --seed` (default 13)")
    p.add_argument("--identity-neutral-weight", type=float, default=4.0,
                   help="sample weight of the hand-written neutral identity mentions (as in `guardstream train`)")
    p.add_argument("--mix", type=float, default=0.5,
                   help="share of the trained update merged into the weights, 0-1 (default 0.5: half-way between "
                        "the base and the fine-tuned encoder, which keeps more of what the base model knew about "
                        "text unlike the training data; 1 = all of it)")
    p.add_argument("--max-per-source", type=int, default=None,
                   help="cap rows per source and pool, as `guardstream train` (quick trial runs; default: all)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    return p


def main(argv: list[str] | None = None, prog: str = "python -m classifiers.train_encoder") -> int:
    """Train and write the encoder adapters; ``guardstream train-encoder`` and ``python -m`` land here."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if not 0.0 < args.mix <= 1.0:
        parser.error("--mix must be in (0, 1]")
    if not (args.data_dir / "davidson-hate-offensive").is_dir():
        parser.error(f"{args.data_dir} does not look like the datasets directory (no davidson-hate-offensive/); "
                     "pass --data-dir ../shared/datasets")

    import torch
    from tokenizers import Tokenizer

    from .encoder import default_model_dir, weights_revision
    from .train import LABELS, load_label_pools

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    _log("reading datasets")
    pools = load_label_pools(args.data_dir, args.pool_seed, args.max_per_source)
    weights = {"own_identity_neutral": args.identity_neutral_weight}
    train_texts, train_y, train_w = multi_label_rows(pools, LABELS, "train", weights)
    dev_texts, dev_y, _ = multi_label_rows(pools, LABELS, "dev", weights)
    model_dir = default_model_dir()
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")

    def encode(texts: list[str]) -> list[list[int]]:
        return [[cls, *e.ids[:args.max_tokens - 2], sep]
                for e in tokenizer.encode_batch(texts, add_special_tokens=False)]

    train_ids, dev_ids = encode(train_texts), encode(dev_texts)
    positives = np.nansum(train_y, 0)
    negatives = (~np.isnan(train_y)).sum(0) - positives
    # Half-way to balanced classes (sqrt of the ratio): rare labels (threat: 125 of 19.6k) still get
    # gradient without a weight of 150 making every step about them.
    pos_weight = torch.tensor(np.sqrt(negatives / np.maximum(positives, 1)), dtype=torch.float32)
    _log(f"{len(train_texts)} training texts ({sum(map(len, train_ids))} tokens), {len(dev_texts)} dev; positives "
         + ", ".join(f"{lab} {int(n)}" for lab, n in zip(LABELS, positives)))

    model = build_model(model_dir, len(LABELS), args.rank, alpha=2.0 * args.rank, dropout=0.05)
    params = [p for p in model.parameters() if p.requires_grad]
    _log(f"trainable parameters: {sum(p.numel() for p in params):,}")
    steps = args.epochs * math.ceil(len(train_ids) / args.batch)
    opt, sched = optimizer(params, args.lr, steps)
    known = torch.from_numpy(~np.isnan(train_y)).float()
    target = torch.from_numpy(np.nan_to_num(train_y))
    sample_w = torch.from_numpy(train_w).unsqueeze(1)
    rng = random.Random(args.seed)
    best: tuple[float, int, dict[str, float], dict[str, np.ndarray]] | None = None
    started, step = time.time(), 0
    model.train()
    for epoch in range(args.epochs):
        for batch in length_batches([len(s) for s in train_ids], args.batch, rng):
            logits = model(*_collate([train_ids[i] for i in batch]))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, target[batch], pos_weight=pos_weight, reduction="none")
            w = known[batch] * sample_w[batch]
            loss = (loss * w).sum() / known[batch].sum().clamp(min=1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % 50 == 0:
                _log(f"epoch {epoch + 1} step {step}/{steps} loss {loss.item():.3f} {time.time() - started:.0f}s")
        aucs = dev_aucs(model, dev_ids, dev_y, LABELS)
        mean = float(np.mean(list(aucs.values())))
        _log(f"epoch {epoch + 1}: dev AUC mean {mean:.4f} " + " ".join(f"{k} {v}" for k, v in aucs.items()))
        if best is None or mean > best[0]:
            best = (mean, epoch + 1, aucs, adapter_arrays(model.adapters))
    assert best is not None
    mean, epoch, aucs, arrays = best
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out, rank=np.array(args.rank), alpha=np.array(2.0 * args.rank),
        base_revision=np.array(weights_revision(model_dir)), labels=np.array(LABELS),
        dev_auc=np.array([aucs.get(lab, np.nan) for lab in LABELS]), epoch=np.array(epoch), seed=np.array(args.seed),
        mix=np.array(args.mix),
        **{k: v.astype(np.float16) for k, v in arrays.items()})
    _log(f"kept epoch {epoch} (mean dev AUC {mean:.4f}); wrote {args.out} ({args.out.stat().st_size // 1024} KB) "
         f"in {time.time() - started:.0f}s. Next: guardstream train --data-dir {args.data_dir} --cache .cache/emb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
