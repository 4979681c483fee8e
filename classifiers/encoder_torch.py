"""PyTorch backend of the sentence encoder: the fp32 reference on CPU, mixed precision on CUDA."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np


class TorchRunner:
    """Runs padded (ids, mask) batches through the BERT model and pools them on the device.

    With a token head (:mod:`classifiers.token_head`) the same forward pass also gives each token's tag
    probabilities, from the hidden states of the layers the head reads.

    On CUDA: bf16 autocast (fp16 where bf16 is missing), inputs staged in pinned host memory and
    copied with ``non_blocking=True`` so the next bucket is prepared while the GPU still works on
    this one; the outputs stay on the GPU until ``collect`` copies them all at once.
    """

    def __init__(self, model_dir: Path, device: str, *, threads: int | None,
                 adapters: Mapping[str, Any] | None = None, token_head: Any = None) -> None:
        import torch

        from .lora import load_base, merge_adapters

        if threads:
            # Process-wide; without it torch uses one thread per core.
            torch.set_num_threads(threads)
        self._torch = torch
        self.device = torch.device(device)
        self.cuda = self.device.type == "cuda"
        # fp32 weights whatever the checkpoint holds (a GPU run may carry an fp16 copy); CUDA autocasts.
        model = load_base(model_dir)
        if adapters is not None:
            merge_adapters(model, adapters)
        self.model = model.to(self.device)
        self.head = token_head.to(self.device).eval() if token_head is not None else None
        self.amp_dtype = (torch.bfloat16 if self.cuda and torch.cuda.is_bf16_supported() else torch.float16)

    def _stage(self, array: np.ndarray) -> Any:
        tensor = self._torch.from_numpy(array)
        return tensor.pin_memory().to(self.device, non_blocking=True) if self.cuda else tensor

    def run(self, ids: np.ndarray, mask: np.ndarray, shapes: np.ndarray | None = None) -> tuple[Any, Any]:
        """Pooled, normalised vectors of one bucket and, with ``shapes`` and a token head, its tag
        probabilities (float32 tensors on the model's device; None without)."""
        torch = self._torch
        ids_t, mask_t = self._stage(ids), self._stage(mask)
        tokens = self.head is not None and shapes is not None
        with torch.inference_mode(), torch.autocast(device_type="cuda", dtype=self.amp_dtype, enabled=self.cuda):
            out = self.model(input_ids=ids_t, attention_mask=mask_t, output_hidden_states=tokens)
            probs = None
            if tokens:
                states = torch.stack([out.hidden_states[i] for i in self.head.layer_index.tolist()], 1)
                probs = torch.softmax(self.head(states, mask_t, self._stage(shapes)).float(), dim=-1)
        with torch.inference_mode():
            hidden = out.last_hidden_state.float()  # pool and normalise in fp32 whatever the compute precision
            m = mask_t.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1), probs

    def collect(self, outputs: list[tuple[Any, Any]]) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """All buckets' vectors as one host array (one device-to-host copy), and each bucket's tag
        probabilities as a host array (None when the buckets have none)."""
        torch = self._torch
        pooled = torch.cat([p for p, _ in outputs]).cpu().numpy().astype(np.float32, copy=False)
        if any(t is None for _, t in outputs):
            return pooled, None
        return pooled, [t.cpu().numpy() for _, t in outputs]
