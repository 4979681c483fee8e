"""Any Hugging Face sequence-classification model from a local directory (classifier ``hf-sequence``).

For teams that have their own fine-tuned toxicity / bias model (downloaded once, where the hub is
reachable, with ``save_pretrained``): point ``classifiers.hf.model_dir`` at it and map its labels to
categories. Loading is offline (``HF_HUB_OFFLINE`` and ``local_files_only``); nothing is fetched.

    classifiers:
      name: hf-sequence
      hf:
        model_dir: /models/my-toxicity-model
        labels: {toxic: toxicity, insult: toxicity, identity_hate: toxicity}

Every mapped label is scored as ``scores.<label>`` (lower-cased, non-alphanumerics -> ``_``); probabilities
are the model's softmax (single-label) or sigmoid (multi-label or one logit). Texts longer than
``max_length`` tokens are read in overlapping windows and each label keeps its highest window score,
as the MiniLM heads do. No calibrated thresholds come with such a model: 0.5 unless configured.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .encoder import weights_revision

DEFAULT_THRESHOLD = 0.5


def score_name(label: str) -> str:
    """The key a model label gets in ``Verdict.scores`` (safe as an Elasticsearch field name)."""
    return re.sub(r"[^0-9a-z]+", "_", label.strip().lower()).strip("_") or "label"


class HfSequenceClassifier:
    """``predict(texts) -> [{score name: p}]`` for the mapped labels of a local HF classification model."""

    name = "hf-sequence"

    def __init__(
        self,
        *,
        model_dir: str | Path,
        labels: Mapping[str, str],
        max_length: int = 512,
        batch_size: int = 32,
        device: str = "auto",
        activation: str = "auto",
        stride: int = 32,
    ) -> None:
        if activation not in ("auto", "softmax", "sigmoid"):
            raise ValueError(f"activation must be auto, softmax or sigmoid, got {activation!r}")
        self.model_dir = Path(model_dir)
        self.label_map = dict(labels)
        self.max_length = max_length
        self.batch_size = batch_size
        self.device_name = device
        self.activation = activation
        self.stride = min(stride, max_length // 4)
        self._model: Any = None
        self._tok: Any = None
        self._torch: Any = None
        self._device: Any = None
        self._columns: list[tuple[str, int]] = []  # (score name, logit index)
        self._sigmoid = False
        self._revision: str | None = None

    @classmethod
    def from_config(cls, config: Any) -> "HfSequenceClassifier":
        """From ``ClassifiersConfig`` (its ``hf`` section and ``device``)."""
        hf = config.hf
        return cls(model_dir=hf.model_dir, labels=hf.labels, max_length=hf.max_length,
                   batch_size=hf.batch_size, device=config.device, activation=hf.activation)

    # ------------------------------------------------------------------ loading
    def load(self) -> "HfSequenceClassifier":
        """Read tokenizer and model from ``model_dir`` offline and check the label mapping."""
        if self._model is not None:
            return self
        if not (self.model_dir / "config.json").is_file():
            raise FileNotFoundError(
                f"no Hugging Face model in {self.model_dir} (config.json missing); save one there with "
                "`AutoModelForSequenceClassification.from_pretrained(NAME).save_pretrained(DIR)` (and the "
                "tokenizer) on a machine that can reach the hub, then set classifiers.hf.model_dir"
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        tok = AutoTokenizer.from_pretrained(str(self.model_dir), local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(str(self.model_dir), local_files_only=True)
        id2label = {int(i): str(lab) for i, lab in model.config.id2label.items()}
        index = {lab: i for i, lab in id2label.items()}
        unknown = sorted(set(self.label_map) - set(index))
        if unknown:
            raise ValueError(f"classifiers.hf.labels names {unknown}, which {self.model_dir} does not have; "
                             f"its labels are: {', '.join(id2label[i] for i in sorted(id2label))}")
        self._columns = [(score_name(lab), index[lab]) for lab in self.label_map]
        names = [n for n, _ in self._columns]
        if len(set(names)) != len(names):
            raise ValueError(f"model labels {list(self.label_map)} collide once made field names: {names}")
        for name, _ in self._columns:
            category = self.label_map[next(lab for lab in self.label_map if score_name(lab) == name)]
            if name in ("toxicity", "bias", "pii") and name != category:
                raise ValueError(f"model label {name!r} must map to category {name!r}, not {category!r}")
        if self.activation == "auto":
            self._sigmoid = model.config.problem_type == "multi_label_classification" or len(id2label) == 1
        else:
            self._sigmoid = self.activation == "sigmoid"
        if self.device_name == "auto":
            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        else:
            device = torch.device(self.device_name)
        model.eval().to(device)
        self._torch, self._tok, self._model, self._device = torch, tok, model, device
        self._revision = weights_revision(self.model_dir)
        return self

    def _require(self) -> None:
        if self._model is None:
            raise RuntimeError("HfSequenceClassifier.load() must be called first")

    @property
    def labels(self) -> list[str]:
        self._require()
        return [n for n, _ in self._columns]

    @property
    def categories(self) -> dict[str, str]:
        """score name -> category, from the configured mapping."""
        return {score_name(lab): cat for lab, cat in self.label_map.items()}

    @property
    def thresholds(self) -> dict[str, float]:
        """No calibration ships with an arbitrary model: 0.5 for every label and category."""
        out = {n: DEFAULT_THRESHOLD for n in self.categories}
        out.update({c: DEFAULT_THRESHOLD for c in set(self.categories.values())})
        return out

    @property
    def revision(self) -> str:
        self._require()
        return str(self._revision)

    # ------------------------------------------------------------------ scoring
    def _windows(self, texts: Sequence[str]) -> tuple[list[list[int]], np.ndarray]:
        """Token ids of overlapping windows (special tokens included) and the text each belongs to."""
        enc = self._tok(list(texts), truncation=True, max_length=self.max_length, stride=self.stride,
                        return_overflowing_tokens=True, verbose=False)
        owner = enc.get("overflow_to_sample_mapping")
        if owner is None:  # slow tokenizers do not split; one (truncated) window per text
            owner = list(range(len(texts)))
        return [list(ids) for ids in enc["input_ids"]], np.asarray(owner, dtype=np.int64)

    def predict_array(self, texts: Sequence[str]) -> np.ndarray:
        """n x mapped labels probabilities (max over each text's windows), in the order of the mapping."""
        self._require()
        torch = self._torch
        texts = [t if isinstance(t, str) else str(t) for t in texts]
        out = np.zeros((len(texts), len(self._columns)), dtype=np.float32)
        if not texts:
            return out
        windows, owner = self._windows(texts)
        cols = [i for _, i in self._columns]
        pad = self._tok.pad_token_id or 0
        order = sorted(range(len(windows)), key=lambda k: len(windows[k]))
        probs = np.zeros((len(windows), len(cols)), dtype=np.float32)
        with torch.inference_mode():
            for b in range(0, len(order), self.batch_size):
                idx = order[b : b + self.batch_size]
                width = max(len(windows[k]) for k in idx)
                ids = torch.full((len(idx), width), pad, dtype=torch.long)
                mask = torch.zeros((len(idx), width), dtype=torch.long)
                for r, k in enumerate(idx):
                    ids[r, : len(windows[k])] = torch.tensor(windows[k])
                    mask[r, : len(windows[k])] = 1
                logits = self._model(input_ids=ids.to(self._device),
                                     attention_mask=mask.to(self._device)).logits.float()
                p = torch.sigmoid(logits) if self._sigmoid else torch.softmax(logits, dim=-1)
                probs[idx] = p[:, cols].cpu().numpy()
        np.maximum.at(out, owner, probs)
        return out

    def predict(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """One ``{score name: probability}`` per text, in input order."""
        arr = self.predict_array(texts)
        names = [n for n, _ in self._columns]
        return [{n: float(row[j]) for j, n in enumerate(names)} for row in arr]
