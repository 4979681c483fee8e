"""Toxicity (with its sub-labels) and bias scores from one MiniLM pass plus trained heads.

The heads' directory may also hold the encoder adapters they were trained with (``heads.json``
names the file as ``encoder_adapters``); the encoder then runs with those merged in. A token head
trained on that encoder (``token_head.npz``, ``guardstream train-ner``) makes the same pass also tag
names, places and organisations (:meth:`TextClassifier.predict_with_tokens`).

Every text is cut into overlapping windows of at most ``max_length`` tokens (one window for
ordinary texts); all windows of a batch go through the encoder together, every head reads every
window, and a text's score for a label is its highest window score, so an insult at the end of a
long message is not averaged away.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import numpy as np

from .encoder import EncodedBatch, Encoder
from .heads import META_NAME, NPZ_NAME, LogisticHeads
from .token_head import TOKEN_HEAD_NAME

log = logging.getLogger(__name__)

DEFAULT_WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
REQUIRED_LABELS = ("toxicity", "bias")
#: Category of each label when heads.json does not say (heads trained before the sub-labels existed).
DEFAULT_CATEGORIES = {"toxicity": "toxicity", "bias": "bias", "severe_toxicity": "toxicity", "obscene": "toxicity",
                      "threat": "toxicity", "insult": "toxicity", "identity_attack": "toxicity"}
TRAIN_HINT = "guardstream train --data-dir ../shared/datasets"


class WeightsNotFoundError(FileNotFoundError):
    """The trained heads are missing; the message says how to train them."""

    def __init__(self, weights_dir: Path) -> None:
        self.weights_dir = weights_dir
        super().__init__(
            f"no trained classifier heads in {weights_dir} (expected {NPZ_NAME} and {META_NAME}); "
            f"train them with `{TRAIN_HINT} --out {weights_dir}`"
        )


class TextClassifier:
    """``predict(texts) -> [{"toxicity": p, "insult": p, ..., "bias": p}, ...]`` with p in 0..1."""

    name = "minilm-l6-heads"

    @classmethod
    def from_config(cls, config) -> "TextClassifier":
        """From ``ClassifiersConfig``: encoder_dir, weights_dir, device and how the encoder runs (``encoder``);
        the token head only when the PII detector takes its names from this pass (``pii.ner: minilm``)."""
        enc = config.encoder
        return cls(encoder_dir=config.encoder_dir, weights_dir=config.weights_dir, device=config.device,
                   backend=enc.backend, threads=enc.threads, cache_dir=enc.cache_dir,
                   token_head=config.pii.enabled and config.pii.ner == "minilm")

    def __init__(
        self,
        *,
        encoder_dir: str | Path | None = None,
        weights_dir: str | Path | None = None,
        device: str = "auto",
        max_length: int = 256,
        batch_size: int = 32,
        backend: str = "torch",
        threads: int | None = None,
        cache_dir: str | Path | None = None,
        token_head: bool = True,
    ) -> None:
        self.weights_dir = Path(weights_dir) if weights_dir is not None else DEFAULT_WEIGHTS_DIR
        #: Load the weights directory's token head, when it has one, so the pass also tags names.
        self.token_head = token_head
        # The heads were trained and calibrated on the fp32 "torch" backend, the default here; the worker
        # and the CLI pass the configured one (classifiers.encoder.backend, "auto" by default).
        self.encoder = Encoder(
            model_dir=encoder_dir, device=device, max_length=max_length, batch_size=batch_size, backend=backend,
            threads=threads, cache_dir=cache_dir,
        )
        self.heads: LogisticHeads | None = None

    def load(self) -> "TextClassifier":
        d = self.weights_dir
        if not ((d / NPZ_NAME).is_file() and (d / META_NAME).is_file()):
            raise WeightsNotFoundError(d)
        heads = LogisticHeads.load(d)
        missing = [lab for lab in REQUIRED_LABELS if lab not in heads.labels]
        if missing:
            raise ValueError(f"heads in {d} lack labels {missing}; retrain with `{TRAIN_HINT}`")
        # Heads trained on an adapted encoder name its adapters file, kept beside them.
        adapters = heads.metadata.get("encoder_adapters")
        self.encoder.adapters = d / adapters if adapters else None
        if self.token_head and (d / TOKEN_HEAD_NAME).is_file():
            self.encoder.token_head = d / TOKEN_HEAD_NAME
            self._check_token_head(d / TOKEN_HEAD_NAME)
        self.encoder.load()
        trained_on = heads.metadata.get("encoder_revision")
        if trained_on and trained_on != self.encoder.vectors_revision:
            log.warning(
                "heads in %s were trained on encoder %s, loaded encoder is %s",
                d, trained_on, self.encoder.vectors_revision,
            )
        self.heads = heads
        return self

    @property
    def labels(self) -> list[str]:
        self._require()
        return list(self.heads.labels)  # type: ignore[union-attr]

    @property
    def thresholds(self) -> dict[str, float]:
        """Calibrated threshold per label (best F1 on the dev split, see heads.json)."""
        self._require()
        return self.heads.thresholds()  # type: ignore[union-attr]

    @property
    def categories(self) -> dict[str, str]:
        """label -> category (toxicity or bias) for every label of the heads."""
        self._require()
        stored = self.heads.metadata.get("categories", {})  # type: ignore[union-attr]
        return {lab: stored.get(lab) or DEFAULT_CATEGORIES.get(lab, lab) for lab in self.labels}

    @property
    def has_token_head(self) -> bool:
        """Whether the encoder pass also gives token tags (see :meth:`predict_with_tokens`); known after load."""
        return self.encoder.has_token_head

    @property
    def revision(self) -> str:
        """Encoder weights + heads, plus the encoder backend when it is not the fp32 reference: the
        int8 backend moves scores slightly, so verdicts say which one produced them."""
        self._require()
        revision = f"{self.encoder.revision}+{self.heads.content_hash()}"  # type: ignore[union-attr]
        return revision if self.encoder.backend == "torch" else f"{revision}+{self.encoder.backend}"

    def _require(self) -> None:
        if self.heads is None:
            raise RuntimeError("TextClassifier.load() must be called first")

    def _check_token_head(self, file: Path) -> None:
        """Refuse a token head trained over another encoder: its tags would be nonsense."""
        import numpy as np

        with np.load(file) as arrays:
            trained_on = str(arrays["encoder_revision"]) if "encoder_revision" in arrays.files else "?"
        expected = self.encoder.vectors_revision
        if trained_on != expected:
            raise ValueError(f"{file} was trained on encoder {trained_on}, but the encoder here is {expected}; "
                             "retrain it with `guardstream train-ner --data-dir ../shared/datasets`")

    def _scores(self, vecs: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
        """n x labels: every head on every window, a text's highest window score per label."""
        probs = self.heads.predict_proba(vecs)  # type: ignore[union-attr]
        out = np.zeros((n, len(self.heads.labels)), dtype=np.float32)  # type: ignore[union-attr]
        np.maximum.at(out, owner, probs.astype(np.float32))
        return out

    def predict_array(self, texts: Sequence[str]) -> np.ndarray:
        """n x labels scores (max over each text's windows)."""
        self._require()
        texts = [t if isinstance(t, str) else str(t) for t in texts]
        if not texts:
            return np.zeros((0, len(self.heads.labels)), dtype=np.float32)  # type: ignore[union-attr]
        vecs, owner = self.encoder.embed_chunks(texts)
        return self._scores(vecs, owner, len(texts))

    def _rows(self, scores: np.ndarray) -> list[dict[str, float]]:
        labels = self.heads.labels  # type: ignore[union-attr]
        return [{lab: float(row[j]) for j, lab in enumerate(labels)} for row in scores]

    def predict(self, texts: Sequence[str]) -> list[dict[str, float]]:
        return self._rows(self.predict_array(texts))

    def predict_with_tokens(self, texts: Sequence[str]) -> tuple[list[dict[str, float]], EncodedBatch]:
        """:meth:`predict` and, from the same encoder pass, the token head's tags with each text's
        tokenization (see :func:`classifiers.pii.encoder_ner.entities_from_batch`)."""
        self._require()
        texts = [t if isinstance(t, str) else str(t) for t in texts]
        batch = self.encoder.encode(texts)
        return self._rows(self._scores(batch.vectors, batch.owner, len(texts))), batch
