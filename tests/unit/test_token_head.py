"""The token head on the classifier encoder: word shapes, its weights file, and one pass giving both
sentence vectors and token tags on every backend."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from classifiers.text import DEFAULT_WEIGHTS_DIR
from classifiers.token_head import SHAPES, architecture, build_head, head_arrays, word_shape, word_shapes


def shape_of(text: str, word: str) -> str:
    start = text.index(word)
    return SHAPES[word_shape(text, start, start + len(word))]


def test_word_shapes_say_what_the_uncased_tokenizer_throws_away():
    text = 'He met Ada at NASA. Then "Maybe" the iPhone of McDonald 42'
    assert shape_of(text, "He") == "capitalised_at_sentence_start"
    assert shape_of(text, "met") == "lower"
    assert shape_of(text, "Ada") == "capitalised"
    assert shape_of(text, "NASA") == "all_caps"
    assert shape_of(text, "Then") == "capitalised_at_sentence_start"   # after a full stop
    assert shape_of(text, "Maybe") == "capitalised_at_sentence_start"  # after an opening quote
    assert shape_of(text, "iPhone") == "mixed" and shape_of(text, "McDonald") == "mixed"
    assert shape_of(text, "42") == "lower"


@dataclass
class FakeEncoding:
    word_ids: list[int | None]
    offsets: list[tuple[int, int]]


def test_every_sub_token_gets_its_words_shape():
    text = "call McDonald now"
    # call | Mc + Don + ald | now
    enc = FakeEncoding([0, 1, 1, 1, 2], [(0, 4), (5, 7), (7, 10), (10, 13), (14, 17)])
    assert [SHAPES[s] for s in word_shapes(text, enc)] == ["lower", "mixed", "mixed", "mixed", "lower"]


def test_a_long_run_of_spaces_before_a_word_is_read_in_bounded_time():
    text = " " * 200_000 + "Zed"
    assert shape_of(text, "Zed") == "capitalised_at_sentence_start"


def test_head_weights_round_trip_through_the_file_format(tmp_path):
    torch = pytest.importorskip("torch")
    from classifiers.token_head import load_head

    arch = {"layers": (2, 6), "dim": 32, "blocks": 1, "heads": 4, "ffn": 2, "hidden": 384, "conv": 3}
    torch.manual_seed(0)
    head = build_head(**arch).eval()
    np.savez(tmp_path / "head.npz", encoder_revision=np.array("x"), **head_arrays(head, arch))
    loaded, arrays = load_head(tmp_path / "head.npz")
    assert architecture(arrays) == arch
    states = torch.randn(2, 2, 5, 384)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    shapes = torch.tensor([[0, 1, 2, 3, 0], [0, 4, 0, 0, 0]])
    with torch.inference_mode():
        want, got = head(states, mask, shapes), loaded(states, mask, shapes)
    assert torch.allclose(want, got, atol=1e-6)
    # Padding is masked: what follows a row's last real token does not change its tags.
    states2 = states.clone()
    states2[1, :, 3:] = 100.0
    with torch.inference_mode():
        assert torch.allclose(loaded(states2, mask, shapes)[1, :3], got[1, :3], atol=1e-5)
    # ...and the shapes matter.
    with torch.inference_mode():
        assert not torch.allclose(loaded(states, mask, torch.zeros_like(shapes)), got, atol=1e-3)


TEXTS = ["Yesterday Angela Merkel met the chief executive of Siemens in Paris.",
         "the weather is nice", "Ask Maria Garcia at the Red Cross in Madrid. " * 40]


@pytest.fixture(scope="module")
def classifier_weights():
    if not (DEFAULT_WEIGHTS_DIR / "token_head.npz").is_file():
        pytest.fail("classifiers/weights/token_head.npz is missing: run `guardstream train-ner`")
    return DEFAULT_WEIGHTS_DIR


@pytest.fixture(scope="module")
def torch_batch(classifier_weights):
    from classifiers.text import TextClassifier

    clf = TextClassifier(backend="torch", device="cpu").load()
    return clf, clf.encoder.encode(TEXTS)


@pytest.mark.parametrize("backend, tol", [("onnx", 1e-4), ("onnx-int8", 0.5)])
def test_onnx_backends_give_the_token_tags_of_fp32_torch(backend, tol, tmp_path_factory, torch_batch):
    from classifiers.text import TextClassifier

    _, want = torch_batch
    clf = TextClassifier(backend=backend, device="cpu", cache_dir=tmp_path_factory.mktemp("cache")).load()
    got = clf.encoder.encode(TEXTS)
    assert got.spans == want.spans and np.array_equal(got.owner, want.owner)
    assert len(got.tags) == len(want.tags) >= 4  # the long text has several windows
    for g, w in zip(got.tags, want.tags):
        assert g.shape == w.shape and np.abs(g - w).max() <= tol
    if backend == "onnx-int8":  # int8 moves some probabilities; the chosen tags barely move
        same = np.concatenate([g.argmax(-1) == w.argmax(-1) for g, w in zip(got.tags, want.tags)])
        assert same.mean() >= 0.95 and max(np.abs(g - w).mean() for g, w in zip(got.tags, want.tags)) <= 0.02
    np.testing.assert_allclose(got.vectors, want.vectors, atol=1e-4 if backend == "onnx" else 0.2)


def test_one_pass_gives_the_vectors_embed_chunks_gives(torch_batch):
    clf, batch = torch_batch
    vecs, owner = clf.encoder.embed_chunks(TEXTS)
    np.testing.assert_allclose(batch.vectors, vecs, atol=1e-6)
    assert np.array_equal(batch.owner, owner)
    # Every token of every text is covered by a window, windows overlap, and the tags sum to one.
    for i, enc in enumerate(batch.encodings):
        covered = set()
        for start, end, probs in batch.token_windows(i):
            assert probs.shape == (end - start, 7)
            np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-4)
            covered.update(range(start, end))
        assert covered == set(range(len(enc.ids)))


def test_the_revision_names_the_token_head(torch_batch):
    clf, _ = torch_batch
    assert clf.encoder.revision.startswith(clf.encoder.vectors_revision + "+t")
    assert clf.encoder.vectors_revision in clf.revision


def test_a_token_head_trained_on_another_encoder_is_refused(tmp_path, classifier_weights):
    import shutil

    from classifiers.text import TextClassifier

    for name in ("heads.npz", "heads.json", "encoder_adapters.npz"):
        shutil.copy(classifier_weights / name, tmp_path / name)
    data = dict(np.load(classifier_weights / "token_head.npz"))
    data["encoder_revision"] = np.array("000000000000+0000000000")
    np.savez(tmp_path / "token_head.npz", **data)
    with pytest.raises(ValueError, match="trained on encoder 000000000000.*guardstream train-ner"):
        TextClassifier(weights_dir=tmp_path, backend="torch", device="cpu").load()
    # Without the token head the sequence heads still load (names then need another tagger).
    (tmp_path / "token_head.npz").unlink()
    clf = TextClassifier(weights_dir=tmp_path, backend="torch", device="cpu").load()
    assert not clf.encoder.has_token_head
