"""The ``hf-sequence`` classifier on tiny BERT models this test writes itself (random weights, offline)."""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest
import torch

from classifiers import classifier_class
from classifiers.hf import HfSequenceClassifier, score_name
from pipeline.verdicts import VerdictEngine
from schemas.config import ClassifiersConfig, ConfigError
from schemas.event import Event

WORDS = ("you are a good bad nice idiot day the weather is sunny friend stupid hello world thanks for "
         "help me with my code please").split()
TEXTS = ["you are a stupid idiot", "hello world", "thanks for the help with my code please",
         "", "the weather is sunny nice day friend"]


def _save_tiny_model(path, labels: list[str], multi_label: bool) -> None:
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    path.mkdir(parents=True)
    vocab = path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")
    tok = BertTokenizer(vocab=str(vocab), do_lower_case=True)
    assert tok.unk_token_id not in tok("you are a stupid idiot")["input_ids"]  # the vocab really was read
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=5 + len(WORDS), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=64, num_labels=len(labels), initializer_range=0.5,
                     id2label=dict(enumerate(labels)), label2id={lab: i for i, lab in enumerate(labels)},
                     problem_type="multi_label_classification" if multi_label else "single_label_classification")
    model = BertForSequenceClassification(cfg).eval()
    with torch.no_grad():  # make the outputs spread out, so a wrong column or activation shows
        model.classifier.weight.mul_(4.0)
    model.save_pretrained(path)
    tok.save_pretrained(path)


def _reference(path, texts: list[str], sigmoid: bool) -> np.ndarray:
    """The model's own probabilities, one text at a time, straight through transformers."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(str(path), local_files_only=True).eval()
    rows = []
    with torch.no_grad():
        for t in texts:
            logits = model(**tok(t, return_tensors="pt")).logits[0]
            rows.append((torch.sigmoid(logits) if sigmoid else torch.softmax(logits, -1)).numpy())
    return np.stack(rows)


@pytest.fixture(scope="module")
def multi_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("hf") / "multi"
    _save_tiny_model(d, ["toxic", "Insult", "other"], multi_label=True)
    return d


@pytest.fixture(scope="module")
def binary_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("hf") / "binary"
    _save_tiny_model(d, ["ok", "hateful"], multi_label=False)
    return d


def test_registered_and_scores_equal_the_models_own_sigmoid(multi_dir) -> None:
    assert classifier_class("hf-sequence") is HfSequenceClassifier
    clf = HfSequenceClassifier(model_dir=multi_dir, labels={"toxic": "toxicity", "Insult": "toxicity"},
                               device="cpu").load()
    out = clf.predict(TEXTS)
    ref = _reference(multi_dir, TEXTS, sigmoid=True)
    assert [set(r) for r in out] == [{"toxic", "insult"}] * len(TEXTS)
    np.testing.assert_allclose([r["toxic"] for r in out], ref[:, 0], atol=1e-5)
    np.testing.assert_allclose([r["insult"] for r in out], ref[:, 1], atol=1e-5)
    assert clf.categories == {"toxic": "toxicity", "insult": "toxicity"}
    assert clf.predict([]) == []


def test_softmax_model_and_batch_equals_one_by_one(binary_dir) -> None:
    clf = HfSequenceClassifier(model_dir=binary_dir, labels={"hateful": "bias"}, device="cpu",
                               batch_size=2).load()
    ref = _reference(binary_dir, TEXTS, sigmoid=False)
    batch = clf.predict_array(TEXTS)[:, 0]
    np.testing.assert_allclose(batch, ref[:, 1], atol=1e-5)
    np.testing.assert_allclose(batch, [clf.predict_array([t])[0, 0] for t in TEXTS], atol=1e-5)


def test_long_text_is_read_in_windows_and_keeps_the_highest(multi_dir) -> None:
    clf = HfSequenceClassifier(model_dir=multi_dir, labels={"toxic": "toxicity"}, device="cpu",
                               max_length=16).load()
    pieces = ["hello world thanks for the help with my code please", "you are a stupid idiot"]
    long_text = " ".join([pieces[0]] * 3 + [pieces[1]])
    windows, owner = clf._windows([long_text])
    assert len(windows) > 1 and set(owner) == {0} and all(len(w) <= 16 for w in windows)
    assert clf._tok.unk_token_id not in {i for w in windows for i in w}
    ref = _reference(multi_dir, [clf._tok.decode(w, skip_special_tokens=True) for w in windows], sigmoid=True)
    assert clf.predict([long_text])[0]["toxic"] == pytest.approx(float(ref[:, 0].max()), abs=1e-5)


def _event(i: int, text: str) -> Event:
    return Event.model_validate({"event_id": f"e{i}", "@timestamp": datetime(2026, 1, 1, tzinfo=timezone.utc),
                                 "kind": "prompt", "app": "a", "model": "m", "text": text})


def test_verdict_engine_reads_the_hf_model_from_config(multi_dir) -> None:
    cfg = ClassifiersConfig.model_validate({
        "name": "hf-sequence", "device": "cpu",
        "hf": {"model_dir": str(multi_dir), "labels": {"toxic": "toxicity", "Insult": "toxicity"}},
        "toxicity": {"threshold": 0.5, "labels": {"insult": 0.3}},
        "pii": {"enabled": False, "ner": "none"},
    })
    engine = VerdictEngine(cfg, max_text_chars=1000)
    engine.load()
    verdicts = engine.classify([_event(i, t) for i, t in enumerate(TEXTS)])
    ref = _reference(multi_dir, TEXTS, sigmoid=True)
    for v, (p_toxic, p_insult, _) in zip(verdicts, ref):
        assert v.scores["toxic"] == pytest.approx(p_toxic, abs=1e-5)
        assert v.scores["insult"] == pytest.approx(p_insult, abs=1e-5)
        # no label is called "toxicity": the category score is the highest of its labels
        assert v.scores["toxicity"] == pytest.approx(max(p_toxic, p_insult), abs=1e-5)
        assert v.scores["bias"] == 0.0
        assert ("toxicity" in v.violations) == (max(p_toxic, p_insult) >= 0.5 or p_insult >= 0.3)
    assert engine.label_thresholds() == {"insult": 0.3}


def test_config_errors_name_the_fix(multi_dir, tmp_path) -> None:
    with pytest.raises(ValueError, match="classifiers.hf"):
        ClassifiersConfig.model_validate({"name": "hf-sequence"})
    with pytest.raises(ValueError, match="toxicity or bias"):
        ClassifiersConfig.model_validate({"hf": {"model_dir": str(multi_dir), "labels": {"toxic": "nsfw"}}})
    with pytest.raises(ValueError, match="its labels are: toxic, Insult, other"):
        HfSequenceClassifier(model_dir=multi_dir, labels={"toxicity": "toxicity"}, device="cpu").load()
    with pytest.raises(FileNotFoundError, match="save_pretrained"):
        HfSequenceClassifier(model_dir=tmp_path / "none", labels={"x": "toxicity"}).load()
    cfg = ClassifiersConfig.model_validate({
        "name": "hf-sequence", "hf": {"model_dir": str(multi_dir), "labels": {"toxic": "toxicity"}},
        "toxicity": {"labels": {"threat": None}}, "pii": {"enabled": False, "ner": "none"}})
    with pytest.raises(ConfigError, match="its toxicity labels are: toxic"):
        VerdictEngine(cfg, max_text_chars=100).load()


def test_score_name_is_a_safe_field_name() -> None:
    assert score_name("Identity Hate") == "identity_hate"
    assert score_name("LABEL_1") == "label_1"
    assert score_name("a.b") == "a_b"
