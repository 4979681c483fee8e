"""PyTorch backend of the sentence encoder: the fp32 reference on CPU, mixed precision on CUDA."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np


class TorchRunner:
    """Runs padded (ids, mask) batches through the BERT model and pools them on the device.

    On CUDA: bf16 autocast (fp16 where bf16 is missing), inputs staged in pinned host memory and
    copied with ``non_blocking=True`` so the next bucket is prepared while the GPU still works on
    this one; the pooled vectors stay on the GPU until ``collect`` copies them all at once.
    """

    def __init__(self, model_dir: Path, device: str, *, threads: int | None,
                 adapters: Mapping[str, Any] | None = None) -> None:
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
        self.amp_dtype = (torch.bfloat16 if self.cuda and torch.cuda.is_bf16_supported() else torch.float16)

    def run(self, ids: np.ndarray, mask: np.ndarray) -> Any:
        """Pooled, normalised vectors of one bucket (a float32 tensor on the model's device)."""
        torch = self._torch
        ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
        if self.cuda:
            ids_t = ids_t.pin_memory().to(self.device, non_blocking=True)
            mask_t = mask_t.pin_memory().to(self.device, non_blocking=True)
        with torch.inference_mode(), torch.autocast(device_type="cuda", dtype=self.amp_dtype, enabled=self.cuda):
            hidden = self.model(input_ids=ids_t, attention_mask=mask_t).last_hidden_state
        with torch.inference_mode():
            hidden = hidden.float()  # pool and normalise in fp32 whatever the compute precision
            m = mask_t.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    def collect(self, outputs: list[Any]) -> np.ndarray:
        """All buckets' vectors as one host array (one device-to-host copy)."""
        torch = self._torch
        return torch.cat(outputs).cpu().numpy().astype(np.float32, copy=False)
