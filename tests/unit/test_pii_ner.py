"""The Rampart NER recognizer: exact offsets from the offset mapping, label mapping, long texts, engines."""
from __future__ import annotations

import numpy as np
import pytest

from classifiers.pii import PiiDetector
from classifiers.pii.ner import RampartTagger, _best_window_predictions, _plan_windows
from classifiers.pii.rampart_model import RampartNotInstalled, labels, rampart_dir


@pytest.fixture(scope="module")
def tagger() -> RampartTagger:
    return RampartTagger().load()


def kinds(tagger: RampartTagger, text: str) -> list[tuple[str, str]]:
    return [(e.type, text[e.start:e.end]) for e in tagger.tag([text])[0]]


def test_model_files_and_labels():
    path = rampart_dir()
    assert len(labels(path)) == 35 and labels(path)[0] == "O"
    with pytest.raises(RampartNotInstalled, match="not a Rampart model directory"):
        rampart_dir("/nonexistent")


def test_names_and_addresses_with_exact_offsets(tagger):
    text = "Hi, I am Alex Rivera and I live at 42 Oak Street, Apt 5, Springfield, IL 62704."
    found = kinds(tagger, text)
    assert ("PERSON", "Alex Rivera") in found
    assert ("ADDRESS", "42 Oak Street, Apt 5, Springfield, IL 62704") in found


def test_offsets_index_the_original_text_after_non_ascii(tagger):
    text = "Grüße 🙂 — Margaret Thornbury schreibt aus Berlin."
    for ent in tagger.tag([text])[0]:
        assert text[ent.start:ent.end] == text[ent.start:ent.end].strip() and ent.end <= len(text)
    assert ("PERSON", "Margaret Thornbury") in kinds(tagger, text)


def test_long_text_is_windowed_and_nothing_past_512_tokens_is_lost(tagger):
    sentence = "I talked to Alex Rivera about the invoice yesterday. "
    text = sentence * 60                                      # ~720 tokens: two windows
    found = tagger.tag([text, "short text"])
    starts = {e.start for e in found[0] if e.type == "PERSON" and text[e.start:e.end] == "Alex Rivera"}
    expected = {i * len(sentence) + sentence.index("Alex") for i in range(60)}
    assert starts <= expected                                 # offsets exact everywhere
    assert len(starts) >= 55                                  # and found in both windows
    assert max(starts) > len(text) * 0.9
    assert found[1] == []


def test_empty_and_batch_order(tagger):
    texts = ["", "   ", "Margaret Thornbury", "nothing"]
    out = tagger.tag(texts)
    assert out[0] == out[1] == out[3] == []
    # Rampart's span and the head's may both be there; the detector keeps one of them.
    assert {e.type for e in out[2]} == {"PERSON"}


def test_window_planning_and_best_window():
    assert _plan_windows(0, 510, 64) == []
    assert _plan_windows(10, 510, 64) == [(0, 10)]
    windows = _plan_windows(1200, 510, 64)
    assert windows[0] == (0, 510) and windows[-1][1] == 1200
    assert all(b[0] < a[1] for a, b in zip(windows, windows[1:]))  # they overlap
    probs_a = np.tile([0.9, 0.1], (6, 1))
    probs_b = np.tile([0.2, 0.8], (6, 1))
    (labels_, _), head = _best_window_predictions(8, [(0, 6, (probs_a, None)), (2, 8, (probs_b, None))])
    # Tokens 0-2 sit deeper in window A, 5-7 in B; each keeps the prediction of its deeper window.
    assert labels_[:3] == [0, 0, 0] and labels_[5:] == [1, 1, 1] and head is None


def test_engines_agree_on_rampart_labels():
    # The dequantized float32 models (torch, onnx) reproduce the shipped 4-bit ONNX model.
    text = "Email John Smith at john.smith@example.com or 415-555-2671, passport X12345678."
    shipped = kinds(RampartTagger(engine="onnx-q4", head=None).load(), text)
    assert shipped == kinds(RampartTagger(engine="torch", head=None).load(), text)
    assert shipped == kinds(RampartTagger(engine="onnx", head=None).load(), text)
    assert ("PERSON", "John Smith") in shipped and ("US_PASSPORT", "X12345678") in shipped
    with pytest.raises(ValueError, match="valid: auto, onnx, onnx-q4, torch"):
        RampartTagger(engine="tflite")


def test_findings_do_not_depend_on_the_rest_of_the_batch(tagger):
    # int8 dynamic quantization failed this: the name was cut short next to a tiny text.
    text = "Please forward the file to Margaret Thornbury before noon."
    alone = tagger.tag([text])[0]
    assert tagger.tag([text, "19"])[0] == alone == tagger.tag(["x " * 300, text, "3"])[1]


def test_detector_combines_ner_with_patterns():
    det = PiiDetector(ner="rampart").load()
    text = "Margaret Thornbury (margaret@example.org) paid with 4111 1111 1111 1111."
    found = [(e.type, text[e.start:e.end], e.recognizer) for e in det.detect([text])[0]]
    assert ("PERSON", "Margaret Thornbury", "rampart_ner") in found
    assert ("CREDIT_CARD", "4111 1111 1111 1111", "credit_card_luhn") in found
    assert any(t == "EMAIL" and v == "margaret@example.org" for t, v, _ in found)
    assert det.name == "pii-patterns+rampart"
    assert PiiDetector(ner="rampart", entities=["EMAIL"]).load().detect([text])[0][0].type == "EMAIL"
