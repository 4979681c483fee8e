"""ONNX Runtime backends of the sentence encoder: export once, cache on disk, run without torch.

The ONNX graph is exported from the local encoder directory at load time (never downloaded) and
holds the whole embedding: BERT, attention-masked mean pooling and L2 normalisation, so one
``session.run`` gives the final vectors. ``onnx-int8`` additionally quantizes the weights of every
MatMul to int8, per output channel (dynamic quantization: activations are quantized on the fly).
Per-channel scales matter here: per-tensor int8 moved head scores by up to 0.58 on ConvAbuse and
cost 0.015 bias AUC, per-channel by 0.22 and nothing measurable (see BENCHMARKS.md).

Exports are cached under ``cache_dir`` by encoder revision and variant, written to a temporary file
and renamed, so workers starting together on one host never read a half-written model.
"""
from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: Bump when the exported graph changes (inputs, pooling, opset, quantization settings).
EXPORT_VERSION = 1
OPSET = 17
VARIANTS = ("onnx", "onnx-int8")


def default_cache_dir() -> Path:
    """``$GUARDSTREAM_CACHE_DIR``, else ``$XDG_CACHE_HOME/guardstream``, else ``~/.cache/guardstream``."""
    if os.environ.get("GUARDSTREAM_CACHE_DIR"):
        return Path(os.environ["GUARDSTREAM_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "guardstream"


def onnx_available() -> bool:
    """Whether onnxruntime (to run) and onnx (to quantize) can be imported."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def cached_model(model_dir: Path, revision: str, variant: str, cache_dir: Path | None,
                 exporter: Callable[[Path, Path], None] | None = None) -> Path:
    """Path of the ONNX file for ``variant`` of the encoder in ``model_dir``; exported if missing.

    ``exporter(model_dir, out)`` writes the fp32 graph (default: :func:`export`, the pooled sentence
    encoder); other models built on the encoder (the MiniLM NER tagger) pass their own and a
    ``revision`` that names them.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown ONNX variant {variant!r}; valid: {', '.join(VARIANTS)}")
    directory = (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / "encoders"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        if cache_dir is not None:
            raise  # a configured cache must be usable
        # A read-only home (a locked-down container): the export is redone per start, in /tmp.
        directory = Path(tempfile.gettempdir()) / "guardstream" / "encoders"
        log.warning("encoder cache %s is not writable; using %s", default_cache_dir(), directory)
        directory.mkdir(parents=True, exist_ok=True)
    fp32 = directory / f"{revision}-fp32-v{EXPORT_VERSION}.onnx"
    if not fp32.is_file():
        log.info("exporting %s to ONNX (once per revision) into %s", revision, directory)
        _atomic(fp32, lambda tmp: (exporter or export)(model_dir, tmp))
    if variant == "onnx":
        return fp32
    int8 = directory / f"{revision}-int8pc-v{EXPORT_VERSION}.onnx"
    if not int8.is_file():
        _atomic(int8, lambda tmp: quantize_int8(fp32, tmp))
    return int8


def _atomic(target: Path, write: Any) -> None:
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def export(model_dir: Path, out: Path, adapters: Mapping[str, Any] | None = None, token_head: Any = None) -> None:
    """Export BERT (with ``adapters`` merged, if any) + mean pooling + L2 normalisation to ``out``
    (dynamic batch and sequence axes). With a ``token_head`` module the graph takes a third input,
    ``word_shapes``, and gives a second output, ``tag_probs`` (batch x tokens x tags), from the same pass."""
    import warnings

    import torch

    from .lora import load_base, merge_adapters

    # Eager attention: the exported graph then applies the padding mask with plain ops that every
    # runtime knows (SDPA's export carries trace-time branches on the mask).
    model = load_base(model_dir, eager=True)
    if adapters is not None:
        merge_adapters(model, adapters)
    layers = token_head.layer_index.tolist() if token_head is not None else []

    class Graph(torch.nn.Module):
        def __init__(self, bert: Any, head: Any) -> None:
            super().__init__()
            self.bert, self.head = bert, head

        def forward(self, input_ids: Any, attention_mask: Any, word_shapes: Any = None) -> Any:
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=self.head is not None)
            hidden = out.last_hidden_state
            m = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1).clamp(min=1e-9), p=2, dim=1)
            if self.head is None:
                return pooled
            states = torch.stack([out.hidden_states[i] for i in layers], 1)
            return pooled, torch.softmax(self.head(states, attention_mask, word_shapes), dim=-1)

    graph = Graph(model, token_head.eval() if token_head is not None else None).eval()
    # Trace with a padded row, so the masked path is what gets recorded.
    ids = torch.randint(1000, 2000, (2, 12))
    mask = torch.ones_like(ids)
    mask[1, 7:] = 0
    inputs: tuple[Any, ...] = (ids, mask)
    names = ["input_ids", "attention_mask"]
    outputs = ["embedding"]
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "embedding": {0: "batch"}}
    if token_head is not None:
        inputs += (torch.randint(0, 5, (2, 12)),)
        names.append("word_shapes")
        outputs.append("tag_probs")
        axes.update(word_shapes={0: "batch", 1: "tokens"}, tag_probs={0: "batch", 1: "tokens"})
    with torch.inference_mode():
        expected = graph(*inputs)
    expected = [e.numpy() for e in (expected if isinstance(expected, tuple) else (expected,))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python booleans; the graph is checked below
        torch.onnx.export(graph, inputs, str(out), dynamo=False, opset_version=OPSET,
                          input_names=names, output_names=outputs, dynamic_axes=axes)
    # A wrong export must fail here, not score traffic: compare with torch on a padded batch.
    got = session(out, threads=1).run(None, {n: x.numpy() for n, x in zip(names, inputs)})
    for name, want, have in zip(outputs, expected, got):
        if name == "tag_probs":  # padded positions are not compared
            want, have = np.concatenate([want[0], want[1, :7]]), np.concatenate([have[0], have[1, :7]])
        if not np.allclose(want, have, atol=1e-3):  # a broken export is off by ~1e-1
            raise RuntimeError(f"ONNX export of {model_dir} ({name}) differs from torch by "
                               f"{np.abs(want - have).max():.2e}")


def quantize_int8(src: Path, out: Path) -> None:
    """Dynamic int8 quantization of every MatMul weight, per output channel. Convolutions (the token
    head's) stay fp32: ONNX Runtime's CPU provider has no kernel for the ConvInteger they would become."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    convs = [node.name for node in onnx.load(str(src), load_external_data=False).graph.node if node.op_type == "Conv"]
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # it logs a "consider pre-processing" hint on the root logger
    try:
        quantize_dynamic(str(src), str(out), weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=convs)
    finally:
        root.setLevel(level)


def session(path: Path, *, threads: int | None) -> Any:
    """An onnxruntime CPU session; ``threads`` intra-op threads (None: one per core)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.intra_op_num_threads = threads or 0
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    # Idle pool threads sleep instead of spinning: a worker shares its cores with the Kafka event loop,
    # the index writer and, on a small host, the brokers; spinning threads would take their CPU.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


class OnnxRunner:
    """Runs padded (ids, mask) batches through an ONNX session; outputs are numpy arrays.

    A graph exported with a token head also takes the word shapes and gives tag probabilities."""

    def __init__(self, path: Path, *, threads: int | None) -> None:
        self.path = path
        self._session = session(path, threads=threads)
        self.token_head = any(i.name == "word_shapes" for i in self._session.get_inputs())

    def run(self, ids: np.ndarray, mask: np.ndarray, shapes: np.ndarray | None = None) -> tuple[np.ndarray, Any]:
        """(pooled vectors, tag probabilities or None) of one bucket."""
        feed = {"input_ids": ids, "attention_mask": mask}
        if self.token_head:
            # The graph needs the input either way; without shapes the tags are not wanted.
            feed["word_shapes"] = shapes if shapes is not None else np.zeros_like(ids)
            pooled, probs = self._session.run(None, feed)
            return pooled, (probs if shapes is not None else None)
        return self._session.run(None, feed)[0], None

    @staticmethod
    def collect(outputs: list[tuple[np.ndarray, Any]]) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """All buckets' vectors as one array, and each bucket's tag probabilities (None when absent)."""
        pooled = np.concatenate([p for p, _ in outputs]).astype(np.float32, copy=False)
        if any(t is None for _, t in outputs):
            return pooled, None
        return pooled, [t for _, t in outputs]
