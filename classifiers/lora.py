"""Low-rank adapters (LoRA) on all-MiniLM-L6-v2: add them for training, merge them for inference.

The sentence encoder of the toxicity / bias heads is adapted this way (:mod:`classifiers.train_encoder`);
the token head that finds names reads the same adapted encoder (:mod:`classifiers.token_head`).
Every attention and feed-forward projection of each layer gets a trainable update ``scale * B @ A``
(rank ``r``, ``scale = alpha / r``) while the base weights stay frozen; only ``A`` and ``B`` are
saved (as ``<module>.lora_a`` / ``<module>.lora_b`` arrays), so what ships is about 1 MB. At load
time the updates are added to a copy of the base weights: inference costs exactly what the base
model costs.
"""
from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: Projections of each encoder layer that get a low-rank update (names under encoder.layer.N).
LORA_TARGETS = ("attention.self.query", "attention.self.key", "attention.self.value",
                "attention.output.dense", "intermediate.dense", "output.dense")


def target_modules(bert: Any) -> list[str]:
    """Names of the projections in ``bert`` that take adapters (``encoder.layer.N.<target>``)."""
    names = []
    for name, _ in bert.named_modules():
        parts = name.split(".", 3)
        if name.startswith("encoder.layer.") and len(parts) == 4 and parts[3] in LORA_TARGETS:
            names.append(name)
    return names


def add_adapters(bert: Any, rank: int, alpha: float, dropout: float) -> dict[str, Any]:
    """Freeze ``bert`` and wrap each target projection with a trainable adapter; returns name -> wrapper.

    ``B`` starts at zero, so the wrapped model computes exactly what the base model does until trained.
    """
    import torch

    class LoRALinear(torch.nn.Module):
        def __init__(self, base: Any) -> None:
            super().__init__()
            self.base = base
            self.a = torch.nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
            self.b = torch.nn.Parameter(torch.zeros(base.out_features, rank))
            self.scale = alpha / rank
            self.drop = torch.nn.Dropout(dropout)

        def forward(self, x: Any) -> Any:
            return self.base(x) + (self.drop(x) @ self.a.T @ self.b.T) * self.scale

    for p in bert.parameters():
        p.requires_grad_(False)
    adapters = {}
    for name in target_modules(bert):
        parent_name, attr = name.rsplit(".", 1)
        wrapped = LoRALinear(bert.get_submodule(name))
        setattr(bert.get_submodule(parent_name), attr, wrapped)
        adapters[name] = wrapped
    return adapters


def adapter_arrays(adapters: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The trained ``A`` / ``B`` matrices as ``<name>.lora_a`` / ``<name>.lora_b`` float32 arrays."""
    out = {}
    for name, module in adapters.items():
        out[f"{name}.lora_a"] = module.a.detach().cpu().numpy().copy()
        out[f"{name}.lora_b"] = module.b.detach().cpu().numpy().copy()
    return out


def merge_adapters(bert: Any, arrays: Mapping[str, Any]) -> Any:
    """Add every ``mix * scale * B @ A`` of ``arrays`` (with ``rank`` and ``alpha`` scalars, and an optional
    ``mix``, default 1) to ``bert``'s weights.

    ``mix`` < 1 lands between the base and the fine-tuned weights (weight-space ensembling, "WiSE-FT",
    Wortsman et al., CVPR 2022): it keeps more of what the base model knew about text unlike the training
    data. Refuses arrays that name a module ``bert`` does not have (adapters of another architecture).
    """
    import torch

    scale = float(arrays.get("mix", 1.0)) * float(arrays["alpha"]) / float(arrays["rank"])
    known = set(target_modules(bert))
    with torch.no_grad():
        for key in arrays:
            if not key.endswith(".lora_a"):
                continue
            name = key[:-len(".lora_a")]
            if name not in known:
                raise ValueError(f"adapter for {name}, which this encoder does not have")
            delta = np.asarray(arrays[f"{name}.lora_b"], np.float32) @ np.asarray(arrays[key], np.float32) * scale
            bert.get_submodule(name).weight += torch.from_numpy(delta)
    return bert


def length_batches(lengths: Sequence[int], size: int, rng: random.Random) -> list[list[int]]:
    """Index batches of similar length (little padding), in random order: one training epoch."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    groups = [order[b:b + size] for b in range(0, len(order), size)]
    rng.shuffle(groups)
    return groups


def optimizer(params: Sequence[Any], lr: float, steps: int) -> tuple[Any, Any]:
    """AdamW (weight decay 0.01) and its schedule: linear warm-up over the first 5 % of ``steps``, then linear
    decay to zero. Call ``scheduler.step()`` after every ``optimizer.step()``."""
    import torch

    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    warmup = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))))
    return opt, sched


def read_npz(file: str | Path) -> dict[str, Any]:
    """Every array of an npz file, float16 ones as float32 (weights ship as float16 to stay small).
    Raises FileNotFoundError when the file is missing."""
    with np.load(file) as data:
        return {k: data[k].astype(np.float32) if data[k].dtype == np.float16 else data[k] for k in data.files}


def load_base(model_dir: Path, *, eager: bool = False) -> Any:
    """all-MiniLM-L6-v2 (or another BERT directory) in fp32, in eval mode; ``eager`` attention for ONNX export."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    kwargs = {"attn_implementation": "eager"} if eager else {}
    return AutoModel.from_pretrained(str(model_dir), local_files_only=True, dtype=torch.float32, **kwargs).eval()


def arrays_digest(arrays: Mapping[str, Any]) -> str:
    """Short hash of the adapter numbers (not of the file's bytes, which carry zip timestamps)."""
    h = hashlib.sha1()
    for key in sorted(arrays):
        value = np.asarray(arrays[key])
        h.update(key.encode())
        h.update(str(value.dtype).encode())
        h.update(np.ascontiguousarray(value).tobytes())
    return h.hexdigest()[:10]


def read_adapters(file: str | Path, *, base_revision: str, retrain: str) -> dict[str, Any]:
    """The arrays of an adapters file (float16 read as float32), refused unless trained on ``base_revision``.

    ``retrain`` is the command that makes a new file; error messages name it.
    """
    try:
        out = read_npz(file)
    except FileNotFoundError:
        raise FileNotFoundError(f"encoder adapters {file} are missing; train them with `{retrain}`") from None
    for key in ("rank", "alpha", "base_revision"):
        if key not in out:
            raise ValueError(f"{file} is not an adapters file (no {key!r}); train one with `{retrain}`")
    check_base_revision(out, file, base_revision=base_revision, retrain=retrain)
    return out


def check_base_revision(arrays: Mapping[str, Any], file: str | Path, *, base_revision: str, retrain: str) -> None:
    """Refuse adapters (read from ``file``) that were trained on another encoder than ``base_revision``:
    merged into other weights they compute nonsense."""
    if str(arrays["base_revision"]) != base_revision:
        raise ValueError(f"{file} was trained on encoder {arrays['base_revision']}, but the encoder here is "
                         f"{base_revision}; retrain the adapters with `{retrain}`")
