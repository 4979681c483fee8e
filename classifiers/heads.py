"""Logistic heads over frozen sentence embeddings.

One ``LogisticHeads`` object holds several independent binary heads (one row of ``weights`` per
label), so every label is read from the same embedding in one matrix product. Stored as
``heads.npz`` (weights, bias, labels) plus ``heads.json`` (thresholds, dev metrics, provenance).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

NPZ_NAME = "heads.npz"
META_NAME = "heads.json"


class LogisticHeads:
    def __init__(
        self,
        weights: np.ndarray,
        bias: np.ndarray,
        labels: Sequence[str],
        *,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        weights = np.asarray(weights, dtype=np.float32)
        bias = np.asarray(bias, dtype=np.float32).reshape(-1)
        labels = [str(x) for x in labels]
        if weights.ndim != 2 or weights.shape[0] != len(labels) or bias.shape[0] != len(labels):
            raise ValueError(
                f"shape mismatch: weights {weights.shape}, bias {bias.shape}, {len(labels)} labels"
            )
        if len(set(labels)) != len(labels):
            raise ValueError(f"duplicate label names: {labels}")
        self.weights = weights
        self.bias = bias
        self.labels = labels
        self.metadata: dict[str, Any] = dict(metadata or {})

    @property
    def dim(self) -> int:
        return int(self.weights.shape[1])

    def logits(self, emb: np.ndarray) -> np.ndarray:
        emb = np.asarray(emb, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[1] != self.dim:
            raise ValueError(f"expected embeddings of shape (n, {self.dim}), got {emb.shape}")
        return emb @ self.weights.T + self.bias

    def predict_proba(self, emb: np.ndarray) -> np.ndarray:
        """n x labels probabilities (independent sigmoids), in 0..1."""
        z = np.clip(self.logits(emb), -60.0, 60.0)
        return 1.0 / (1.0 + np.exp(-z))

    def thresholds(self) -> dict[str, float]:
        per = self.metadata.get("heads", {})
        return {lab: float(per.get(lab, {}).get("threshold", 0.5)) for lab in self.labels}

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> Path:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        np.savez(
            d / NPZ_NAME,
            weights=self.weights,
            bias=self.bias,
            labels=np.asarray(self.labels, dtype=np.str_),
        )
        meta = dict(self.metadata)
        meta["labels"] = self.labels
        meta["dim"] = self.dim
        (d / META_NAME).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        return d

    @classmethod
    def load(cls, directory: str | Path) -> "LogisticHeads":
        d = Path(directory)
        npz, meta_path = d / NPZ_NAME, d / META_NAME
        for p in (npz, meta_path):
            if not p.is_file():
                raise FileNotFoundError(f"missing {p}")
        with np.load(npz, allow_pickle=False) as z:
            weights, bias, labels = z["weights"], z["bias"], [str(x) for x in z["labels"]]
        meta = json.loads(meta_path.read_text())
        if meta.get("labels", labels) != labels:
            raise ValueError(f"{meta_path} labels {meta.get('labels')} differ from {npz} {labels}")
        return cls(weights, bias, labels, metadata=meta)

    def content_hash(self) -> str:
        """Hash of the numbers and labels (not of file bytes, which carry zip timestamps)."""
        h = hashlib.sha1()
        h.update(np.ascontiguousarray(self.weights).tobytes())
        h.update(np.ascontiguousarray(self.bias).tobytes())
        h.update("\x00".join(self.labels).encode())
        h.update(json.dumps(self.thresholds(), sort_keys=True).encode())
        return h.hexdigest()[:10]
