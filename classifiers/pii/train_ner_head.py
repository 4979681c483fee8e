"""Train the PERSON / LOCATION / ORGANIZATION head that reads the Rampart tagger's hidden states.

Rampart was trained for form-filling PII (given name, surname, street, city); it has no
organisation label and finds few place names in running text. This adds a small head (an MLP
over the concatenated hidden states of encoder layers 4 and 6 at each word's first sub-token,
BIO over PER/LOC/ORG) while the Rampart weights stay frozen and unchanged.

    .venv/bin/python -m classifiers.pii.train_ner_head --data-dir ../shared/datasets

Training data: only sets whose stated licence is not ShareAlike, and never an evaluation split:
wnut17 train (CC BY 4.0), broad-twitter-corpus sections A, B, E, G, H (CC BY 4.0), sec-filings FIN5
(CC BY 3.0), CrossNER train + dev of all five domains (MIT) and Re-DocRED dev (MIT). Development
checks use wnut17 dev. Writes classifiers/pii/weights/rampart_ner_head.npz (float16, ~400 KB).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.pii.ner_data import DEV_FILES, TRAIN_FILES, read_rows, word_tags
from classifiers.pii.ner_head import HEAD_PATH, head_probs
from classifiers.pii.tags import TAGS

#: Encoder layers whose hidden states the head reads (1-based; 6 is the last).
LAYERS = (4, 6)


def features(tagger: Any, rows: list[dict[str, Any]], log: Any) -> tuple[np.ndarray, np.ndarray]:
    """Hidden-state features and tag ids of every word's first sub-token (texts cut to 510 tokens)."""
    import torch

    encs = tagger._tokenizer.encode_batch([r["text"] for r in rows], add_special_tokens=False)
    order = sorted(range(len(rows)), key=lambda i: len(encs[i].ids))
    feats, tags = [], []
    started = time.time()
    for b in range(0, len(order), 32):
        batch = order[b:b + 32]
        width = min(510, max(len(encs[i].ids) for i in batch)) + 2
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for r, i in enumerate(batch):
            toks = encs[i].ids[:510]
            ids[r, :len(toks) + 2] = [tagger._cls, *toks, tagger._sep]
            mask[r, :len(toks) + 2] = 1
        with torch.inference_mode():
            hidden = tagger._hidden(torch.from_numpy(ids), torch.from_numpy(mask))
        for r, i in enumerate(batch):
            for t, tag in word_tags(encs[i], rows[i]["spans"]):
                if t < 510:
                    feats.append(hidden[r, t + 1])
                    tags.append(tag)
        if b % 1600 == 0:
            log(f"  {b}/{len(rows)} texts, {time.time() - started:.0f}s")
    return np.stack(feats).astype(np.float32), np.array(tags, dtype=np.int64)


def train_head(x: np.ndarray, y: np.ndarray, *, hidden: int = 256, epochs: int = 8, seed: int = 7) -> dict[str, np.ndarray]:
    """A two-layer MLP (GELU) trained with AdamW and cross-entropy; returns its weights."""
    import torch

    torch.manual_seed(seed)
    head = torch.nn.Sequential(torch.nn.Linear(x.shape[1], hidden), torch.nn.GELU(), torch.nn.Dropout(0.1),
                               torch.nn.Linear(hidden, len(TAGS)))
    opt = torch.optim.AdamW(head.parameters(), lr=2e-3, weight_decay=1e-4)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(epochs):
        perm = torch.randperm(len(xt))
        head.train()
        for b in range(0, len(perm), 512):
            idx = perm[b:b + 512]
            loss = torch.nn.functional.cross_entropy(head(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    head.eval()
    return {"w1": head[0].weight.detach().numpy().T, "b1": head[0].bias.detach().numpy(),
            "w2": head[3].weight.detach().numpy().T, "b2": head[3].bias.detach().numpy()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the PER/LOC/ORG head over Rampart's hidden states.")
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "datasets")
    parser.add_argument("--limit-per-file", type=int, default=2500, help="sentences taken from each file at most")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--out", type=Path, default=HEAD_PATH)
    args = parser.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    from classifiers.pii.ner import RampartTagger

    tagger = RampartTagger(engine="torch", head=None).load()  # float32 features
    train = read_rows(args.data_dir, TRAIN_FILES, args.limit_per_file)
    dev = read_rows(args.data_dir, DEV_FILES, None)
    log(f"features: {len(train)} training sentences, {len(dev)} dev")
    x, y = features(tagger, train, log)
    xd, yd = features(tagger, dev, log)
    weights = train_head(x, y, epochs=args.epochs)
    pred = head_probs({k: v.astype(np.float32) for k, v in weights.items()}, xd).argmax(1)
    ent = yd != 0
    log(f"dev token accuracy on entity words {np.mean(pred[ent] == yd[ent]):.3f}, "
        f"false entity rate on O words {np.mean(pred[~ent] != 0):.4f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, layers=np.array(LAYERS), tags=np.array(TAGS),
                        **{k: v.astype(np.float16) for k, v in weights.items()})
    log(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB; {len(y)} training words)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
