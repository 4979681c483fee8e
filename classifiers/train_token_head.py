"""``guardstream train-ner``: train the token head that tags names, places and organisations from the
classifier encoder's own pass (:mod:`classifiers.token_head`).

The encoder is the one the toxicity / bias heads use (all-MiniLM-L6-v2 with the adapters named in
``heads.json``), frozen: the sequence heads keep exactly the encoder they were fitted on, and one
forward pass serves both. So the hidden states of every training sentence are computed once (a few
minutes), and the small head trains over them for several epochs (a minute or two each on 2 CPU
cores). Run it after ``guardstream train-encoder`` (a new encoder needs a new token head):

    guardstream train-ner --data-dir ../shared/datasets

Data (never an evaluation split of ``bench.pii_compare``): the NER training files of
:mod:`classifiers.pii.ner_data` (wnut17 train, broad-twitter-corpus sections A, B, E, G, H, sec-filings
FIN5, CrossNER train + dev, Re-DocRED dev) and gum-ner train, at most ``--limit-per-file`` sentences of each. Each word is tagged BIO at its first sub-token; the other
sub-tokens are not scored. The epoch with the best mean F1 over the development sets (wnut17 dev,
gum-ner dev, uner-en-ewt dev; exact spans after the product's own decoding) is kept. Fixed seed.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.pii.encoder_ner import decode_entities
from classifiers.pii.evaluation import score_spans
from classifiers.pii.ner_data import DEV_FILES, LABEL_MAP, TRAIN_FILES, read_rows, word_tags
from classifiers.pii.tags import TAGS
from classifiers.text import DEFAULT_WEIGHTS_DIR
from classifiers.token_head import TOKEN_HEAD_NAME, build_head, head_arrays, word_shapes

IGNORE = -100
#: Tokens of a sentence read in training (without [CLS]/[SEP]): the encoder's window body.
MAX_TOKENS = 254
#: Training files: those of the other NER trainer, and GUM's train split (well-cased news, biographies and travel
#: text, where word shapes teach the most).
HEAD_TRAIN_FILES = (*TRAIN_FILES, "gum-ner/gum_train.spans.jsonl")
#: Development sets (name -> file): the epoch with the best mean exact-span F1 over them is kept.
DEV_SETS = {"wnut17-dev": DEV_FILES[0], "gum-dev": "gum-ner/gum_dev.spans.jsonl",
            "uner-ewt-dev": "uner-en-ewt/en_ewt-ud-dev.spans.jsonl"}


def _log(msg: str) -> None:
    print(f"[train-ner {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Featurised:
    """Sentences with their frozen encoder states (float16, layers x tokens x hidden, [CLS]/[SEP] kept),
    word shapes and tags (IGNORE off first sub-tokens)."""

    def __init__(self, rows: list[dict[str, Any]], encodings: list[Any], states: list[np.ndarray],
                 shapes: list[list[int]], tags: list[list[int]]) -> None:
        self.rows, self.encodings, self.states, self.shapes, self.tags = rows, encodings, states, shapes, tags

    def __len__(self) -> int:
        return len(self.rows)

    def batch(self, idx: list[int]) -> tuple[Any, Any, Any, Any]:
        """Padded (states, mask, shapes, tags) tensors of sentences ``idx``."""
        import torch

        width = max(self.states[i].shape[1] for i in idx)
        layers, _, hidden = self.states[idx[0]].shape
        states = torch.zeros((len(idx), layers, width, hidden))
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        shapes = torch.zeros((len(idx), width), dtype=torch.long)
        tags = torch.full((len(idx), width), IGNORE, dtype=torch.long)
        for r, i in enumerate(idx):
            n = self.states[i].shape[1]
            states[r, :, :n] = torch.from_numpy(self.states[i].astype(np.float32))
            mask[r, :n] = 1
            shapes[r, 1:n - 1] = torch.tensor(self.shapes[i])
            tags[r, 1:n - 1] = torch.tensor(self.tags[i])
        return states, mask, shapes, tags


def featurise(encoder: Any, rows: list[dict[str, Any]], layers: tuple[int, ...]) -> Featurised:
    """Run the frozen encoder (torch backend) once over ``rows`` and keep the hidden states of ``layers``."""
    import torch

    encodings = encoder._tok([r["text"] for r in rows], add_special_tokens=False, truncation=False,
                             verbose=False).encodings
    cls, sep = encoder._tok.cls_token_id, encoder._tok.sep_token_id
    bert = encoder._runner.model
    ids_of = [enc.ids[:MAX_TOKENS] for enc in encodings]
    states: list[np.ndarray] = [np.empty(0)] * len(rows)
    order = sorted(range(len(rows)), key=lambda i: len(ids_of[i]))
    started = time.time()
    with torch.inference_mode():
        for b in range(0, len(order), 64):
            idx = order[b:b + 64]
            width = max(len(ids_of[i]) for i in idx) + 2
            ids = torch.zeros((len(idx), width), dtype=torch.long)
            mask = torch.zeros_like(ids)
            for r, i in enumerate(idx):
                n = len(ids_of[i]) + 2
                ids[r, :n] = torch.tensor([cls, *ids_of[i], sep])
                mask[r, :n] = 1
            hidden = bert(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states
            chosen = torch.stack([hidden[k] for k in layers], 1).half().numpy()
            for r, i in enumerate(idx):
                states[i] = chosen[r, :, :len(ids_of[i]) + 2].copy()
            if b % 6400 == 0:
                _log(f"  encoded {b}/{len(rows)} sentences, {time.time() - started:.0f}s")
    shapes, tags = [], []
    for row, enc, ids in zip(rows, encodings, ids_of):
        shapes.append(word_shapes(row["text"], enc)[:len(ids)])
        tag = [IGNORE] * len(ids)
        for t, tag_id in word_tags(enc, row["spans"]):
            if t < len(ids):
                tag[t] = tag_id
        tags.append(tag)
    return Featurised(rows, list(encodings), states, shapes, tags)


def predict(head: Any, data: Featurised) -> list[np.ndarray]:
    """Tag probabilities per sentence (tokens x tags, [CLS]/[SEP] removed)."""
    import torch

    head.eval()
    out: list[np.ndarray] = [np.empty(0)] * len(data)
    order = sorted(range(len(data)), key=lambda i: data.states[i].shape[1])
    with torch.inference_mode():
        for b in range(0, len(order), 128):
            idx = order[b:b + 128]
            states, mask, shapes, _ = data.batch(idx)
            probs = torch.softmax(head(states, mask, shapes), -1).numpy()
            for r, i in enumerate(idx):
                out[i] = probs[r, 1:data.states[i].shape[1] - 1]
    head.train()
    return out


def span_f1(data: Featurised, probs: list[np.ndarray]) -> dict[str, float]:
    """Exact-span precision / recall / F1 of the product's decoding (:mod:`classifiers.pii.encoder_ner`)."""
    predicted = [{(e.start, e.end, e.type) for e in decode_entities(row["text"], enc, [(0, len(p), p)])}
                 for row, enc, p in zip(data.rows, data.encodings, probs)]
    gold = [{(s, e, k) for s, e, k in row["spans"]} for row in data.rows]
    micro = score_spans(gold, predicted, labels=("PERSON", "LOCATION", "ORGANIZATION"))["micro"]
    return {k: micro[k] for k in ("precision", "recall", "f1")}


def read_dev(data_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """The development sets, labels mapped like the training files."""
    out = {}
    for name, file in DEV_SETS.items():
        rows = []
        with open(data_dir / file, encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                rows.append({"text": row["text"], "spans": [(s["start"], s["end"], LABEL_MAP[s["label"]])
                                                            for s in row["spans"] if s["label"] in LABEL_MAP]})
        out[name] = rows
    return out


def build_parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train the token head that tags PERSON / LOCATION / ORGANIZATION from the classifier "
                    "encoder's pass (classifiers.pii.ner: minilm, the default). The encoder (with the adapters "
                    "named in the weights directory's heads.json) stays frozen; its hidden states are computed "
                    "once, then the head trains over them. Prints progress and the development F1 of each epoch; "
                    "writes the head of the best epoch. Run it after `guardstream train-encoder` and "
                    "`guardstream train`.",
        epilog="example:\n  guardstream train-ner --data-dir ../shared/datasets")
    p.add_argument("--data-dir", type=Path, required=True, help="the datasets directory (../shared/datasets)")
    p.add_argument("--weights-dir", type=Path, default=DEFAULT_WEIGHTS_DIR,
                   help="the classifier weights directory whose encoder the head reads, and where "
                        f"{TOKEN_HEAD_NAME} is written (default: the packaged classifiers/weights)")
    p.add_argument("--out", type=Path, default=None, help=f"where to write the head (default: WEIGHTS_DIR/{TOKEN_HEAD_NAME})")
    p.add_argument("--limit-per-file", type=int, default=5000,
                   help="sentences taken from each training file at most (default 5000)")
    p.add_argument("--layers", default="1,2,3,4,5,6",
                   help="encoder layers the head reads, comma-separated (0 = embeddings, 6 = last; default all six)")
    p.add_argument("--dim", type=int, default=256, help="width of the head (default 256)")
    p.add_argument("--blocks", type=int, default=1, help="self-attention blocks in the head (default 1)")
    p.add_argument("--conv", type=int, default=3,
                   help="tokens the head's convolution reads around each token (default 3; 0 = none)")
    p.add_argument("--epochs", type=int, default=8, help="passes over the sentences (default 8, ~1 minute each on "
                                                          "2 CPU cores); the best development epoch is kept")
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate of AdamW (default 1e-3)")
    p.add_argument("--batch", type=int, default=32, help="sentences per step (default 32)")
    p.add_argument("--seed", type=int, default=7, help="seed of the head's initialisation and batch order (default 7)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    return p


def main(argv: list[str] | None = None, prog: str = "python -m classifiers.train_token_head") -> int:
    """Train and write the token head; ``guardstream train-ner`` and ``python -m`` land here."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    missing = [f for f in (*HEAD_TRAIN_FILES, *DEV_SETS.values()) if not (args.data_dir / f).is_file()]
    if missing:
        parser.error(f"{args.data_dir / missing[0]} not found: --data-dir must be the datasets directory "
                     "(../shared/datasets) holding wnut17, broad-twitter-corpus, sec-filings-ner, crossner, redocred, "
                     "gum-ner and uner-en-ewt")
    try:
        layers = tuple(int(x) for x in args.layers.split(","))
    except ValueError:
        parser.error(f"--layers: {args.layers!r} is not a comma-separated list of layer numbers")
    if not layers or any(not 0 <= k <= 6 for k in layers):
        parser.error("--layers: each layer is 0 (the embeddings) to 6 (the last)")

    import torch

    from classifiers.lora import optimizer
    from classifiers.text import TextClassifier

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    classifier = TextClassifier(weights_dir=args.weights_dir, backend="torch", device="cpu", threads=args.threads,
                                token_head=False)
    classifier.load()
    encoder = classifier.encoder
    _log(f"encoder {encoder.vectors_revision}; reading datasets")
    train = featurise(encoder, read_rows(args.data_dir, HEAD_TRAIN_FILES, args.limit_per_file), layers)
    devs = {name: featurise(encoder, rows, layers) for name, rows in read_dev(args.data_dir).items()}
    _log(f"{len(train)} training sentences ({sum(len(t) for t in train.tags)} tokens); dev "
         + ", ".join(f"{k} {len(v)}" for k, v in devs.items()))

    arch = {"layers": layers, "dim": args.dim, "blocks": args.blocks, "heads": 4, "ffn": 2,
            "hidden": train.states[0].shape[2], "conv": args.conv}
    head = build_head(**arch)
    params = list(head.parameters())
    _log(f"head parameters: {sum(p.numel() for p in params):,}")
    steps = args.epochs * math.ceil(len(train) / args.batch)
    opt, sched = optimizer(params, args.lr, steps)
    # O dominates the words; a lighter weight on it raises recall of the rare entity tags.
    weight = torch.ones(len(TAGS))
    weight[0] = 0.5
    from classifiers.lora import length_batches

    rng = random.Random(args.seed)
    best: tuple[float, int, dict[str, Any], dict[str, np.ndarray]] | None = None
    started = time.time()
    head.train()
    for epoch in range(args.epochs):
        for batch in length_batches([s.shape[1] for s in train.states], args.batch, rng):
            states, mask, shapes, tags = train.batch(batch)
            loss = torch.nn.functional.cross_entropy(head(states, mask, shapes).reshape(-1, len(TAGS)),
                                                     tags.reshape(-1), weight=weight, ignore_index=IGNORE)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        scores = {name: span_f1(data, predict(head, data)) for name, data in devs.items()}
        mean = float(np.mean([s["f1"] for s in scores.values()]))
        _log(f"epoch {epoch + 1} ({time.time() - started:.0f}s): dev F1 mean {mean:.4f} "
             + " ".join(f"{k} {v['f1']:.4f}" for k, v in scores.items()))
        if best is None or mean > best[0]:
            best = (mean, epoch + 1, scores, head_arrays(head, arch))
    assert best is not None
    mean, epoch, scores, arrays = best
    out = args.out or args.weights_dir / TOKEN_HEAD_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out, encoder_revision=np.array(encoder.vectors_revision), epoch=np.array(epoch), seed=np.array(args.seed),
        dev_sets=np.array(list(scores)), dev_f1=np.array([s["f1"] for s in scores.values()]),
        **{k: (v.astype(np.float16) if k.startswith("w.") and v.dtype == np.float32 else v) for k, v in arrays.items()})
    _log(f"kept epoch {epoch} (mean dev F1 {mean:.4f}); wrote {out} ({out.stat().st_size // 1024} KB) "
         f"in {time.time() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
