"""The MiniLM NER tagger: word decoding, adapter merging, the shipped weights, engines, config."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from classifiers.pii import PiiDetector
from classifiers.pii.minilm_ner import ADAPTER_PATH, MiniLmTagger, load_adapters, merged_model
from classifiers.pii.tags import TAGS, decode_words
from schemas.config import PiiConfig


@dataclass
class FakeEncoding:
    word_ids: list[int | None]
    offsets: list[tuple[int, int]]


def tags(*names: str) -> tuple[list[int], list[float]]:
    return [TAGS.index(n) for n in names], [0.9] * len(names)


def test_decode_joins_i_words_and_sub_words_into_one_span():
    text = "met Ada Lovelace at Acme"
    # words: met | Ada | Love+lace (two sub-words) | at | Acme
    enc = FakeEncoding([0, 1, 2, 2, 3, 4], [(0, 3), (4, 7), (8, 12), (12, 16), (17, 19), (20, 24)])
    labels, scores = tags("O", "B-PERSON", "I-PERSON", "O", "O", "B-ORGANIZATION")
    spans = decode_words(text, enc, labels, scores, min_score=0.5)
    assert [(k, text[s:e]) for k, s, e, _ in spans] == [("PERSON", "Ada Lovelace"), ("ORGANIZATION", "Acme")]


def test_decode_breaks_spans_at_b_tags_type_changes_line_breaks_and_low_scores():
    text = "Ada Bob\nCy Paris Dee"
    enc = FakeEncoding([0, 1, 2, 3, 4], [(0, 3), (4, 7), (8, 10), (11, 16), (17, 20)])
    labels, scores = tags("B-PERSON", "B-PERSON", "I-PERSON", "I-LOCATION", "I-PERSON")
    scores[4] = 0.3
    spans = decode_words(text, enc, labels, scores, min_score=0.5)
    # B- starts anew; the line break ends "Bob"; an I- of another type starts its own span; "Dee" is too unsure.
    assert [(k, text[s:e]) for k, s, e, _ in spans] == [
        ("PERSON", "Ada"), ("PERSON", "Bob"), ("PERSON", "Cy"), ("LOCATION", "Paris")]


def test_merged_adapters_give_the_outputs_of_the_trained_low_rank_model(tmp_path):
    """Training adds B @ A * alpha / r on top of frozen weights; loading merges it into the weights.
    Both must compute the same function, or the shipped tagger is not the one that was evaluated."""
    torch = pytest.importorskip("torch")
    from classifiers.encoder import default_model_dir, weights_revision
    from classifiers.pii.train_minilm_ner import _weights, build_model

    torch.manual_seed(0)
    model_dir = default_model_dir()
    trained = build_model(model_dir, rank=4, alpha=8.0, dropout=0.0).eval()
    with torch.no_grad():
        for module in trained.adapters.values():
            module.b.normal_(0, 0.05)  # B starts at zero; give the update a size
        trained.head.weight.normal_(0, 0.5)
    file = tmp_path / "adapters.npz"
    np.savez(file, tags=np.array(TAGS), rank=np.array(4), alpha=np.array(8.0),
             base_revision=np.array(weights_revision(model_dir)), **_weights(trained))
    merged = merged_model(model_dir, load_adapters(file))
    ids = torch.tensor([[101, 7592, 2088, 2003, 1037, 3231, 102], [101, 2198, 102, 0, 0, 0, 0]])
    mask = (ids != 0).long()
    with torch.inference_mode():
        want = torch.softmax(trained(ids, mask), dim=-1)
        got = merged(ids, mask)
    assert torch.allclose(want[0], got[0], atol=1e-4)
    assert torch.allclose(want[1, :3], got[1, :3], atol=1e-4)
    # ...and the update matters: without it the outputs differ.
    plain = {k: v for k, v in load_adapters(file).items() if not k.endswith(".lora_b")}
    plain.update({k: np.zeros_like(v) for k, v in load_adapters(file).items() if k.endswith(".lora_b")})
    with torch.inference_mode():
        assert not torch.allclose(merged_model(model_dir, plain)(ids, mask)[0], got[0], atol=1e-3)


def test_weights_trained_on_another_encoder_are_refused(tmp_path):
    data = dict(np.load(ADAPTER_PATH))
    data["base_revision"] = np.array("000000000000")
    np.savez(tmp_path / "other.npz", **data)
    with pytest.raises(ValueError, match="trained on encoder 000000000000"):
        MiniLmTagger(adapters=str(tmp_path / "other.npz"), engine="torch").load()
    with pytest.raises(FileNotFoundError, match="train_minilm_ner"):
        MiniLmTagger(adapters=str(tmp_path / "missing.npz")).load()


@pytest.fixture(scope="module")
def tagger() -> MiniLmTagger:
    return MiniLmTagger(engine="onnx-int8").load()


def found(tagger: MiniLmTagger, text: str) -> set[tuple[str, str]]:
    return {(e.type, text[e.start:e.end]) for e in tagger.tag([text])[0]}


def test_shipped_tagger_finds_people_places_and_organisations(tagger):
    text = "Yesterday Angela Merkel met the chief executive of Siemens in Paris."
    assert found(tagger, text) >= {("PERSON", "Angela Merkel"), ("ORGANIZATION", "Siemens"), ("LOCATION", "Paris")}
    assert found(tagger, "the weather is nice and the coffee was cold") == set()


def test_int8_and_fp32_engines_agree_on_the_spans(tagger):
    texts = ["Barack Obama visited Microsoft headquarters in Redmond, Washington.",
             "Please ask Maria Garcia from the Red Cross office in Madrid to call me."]
    torch_tagger = MiniLmTagger(engine="torch").load()
    assert [[(e.type, e.start, e.end) for e in per] for per in tagger.tag(texts)] == \
           [[(e.type, e.start, e.end) for e in per] for per in torch_tagger.tag(texts)]


def test_long_text_offsets_stay_exact_past_the_first_window(tagger):
    sentence = "Last week Angela Merkel gave a talk about energy. "
    text = sentence * 50                                   # ~600 tokens: two windows
    out = tagger.tag([text, ""])
    starts = {e.start for e in out[0] if e.type == "PERSON" and text[e.start:e.end] == "Angela Merkel"}
    assert starts <= {i * len(sentence) + sentence.index("Angela") for i in range(50)}
    assert len(starts) >= 45 and max(starts) > len(text) * 0.9
    assert out[1] == []


def test_detector_with_minilm_reports_organisations_and_keeps_patterns():
    text = "Contact Angela Merkel at Siemens: angela@example.com"
    det = PiiDetector.from_config(PiiConfig(ner="minilm")).load()
    got = {(e.type, text[e.start:e.end]) for e in det.detect([text])[0]}
    assert {("PERSON", "Angela Merkel"), ("ORGANIZATION", "Siemens"), ("EMAIL", "angela@example.com")} <= got
    assert det.name == "pii-patterns+minilm"


def test_engine_must_fit_the_tagger():
    with pytest.raises(ValueError, match="onnx-q4 runs the rampart tagger only"):
        PiiConfig(ner="minilm", ner_engine="onnx-q4")
    with pytest.raises(ValueError, match="onnx-int8 runs the minilm tagger only"):
        PiiConfig(ner="rampart", ner_engine="onnx-int8")
    with pytest.raises(ValueError, match="valid: auto, onnx-int8, onnx, torch"):
        MiniLmTagger(engine="fast")


def test_decode_keeps_a_user_handle_in_one_span():
    text = "thanks @ colgo and @matt"
    enc = FakeEncoding([0, 1, 2, 3, 4, 5], [(0, 6), (7, 8), (9, 14), (15, 18), (19, 20), (20, 24)])
    labels, scores = tags("O", "B-PERSON", "B-PERSON", "O", "B-PERSON", "B-PERSON")
    spans = decode_words(text, enc, labels, scores, min_score=0.5, join_handles=True)
    assert [(k, text[s:e]) for k, s, e, _ in spans] == [("PERSON", "@ colgo"), ("PERSON", "@matt")]
    # Without it (the Rampart head's decoding) "@" and the handle stay two spans, as the model tagged them.
    apart = decode_words(text, enc, labels, scores, min_score=0.5)
    assert [text[s:e] for _, s, e, _ in apart] == ["@", "colgo", "@", "matt"]


def test_place_pieces_with_a_house_number_or_zip_become_one_address():
    from classifiers.pii.minilm_ner import join_addresses

    def loc(text: str, piece: str) -> tuple[str, int, int, float]:
        return ("LOCATION", text.index(piece), text.index(piece) + len(piece), 0.8)

    text = "Send it to 42 Oak Street, Apt. 5\nSpringfield 62704 please, or to Paris, France."
    out = join_addresses(text, [loc(text, "Oak Street"), loc(text, "Springfield"), loc(text, "Paris"),
                                loc(text, "France")])
    assert [(k, text[s:e]) for k, s, e, _ in out] == [
        ("ADDRESS", "42 Oak Street, Apt. 5\nSpringfield 62704"), ("LOCATION", "Paris"), ("LOCATION", "France")]
    text = "meet at 159 Venizelou str tonight"
    assert [(k, text[s:e]) for k, s, e, _ in join_addresses(text, [loc(text, "159 Venizelou str")])] == [
        ("ADDRESS", "159 Venizelou str")]


def test_the_tagger_export_goes_to_the_encoder_cache_dir_of_the_config(tmp_path):
    from schemas.config import EncoderConfig

    det = PiiDetector.from_config(PiiConfig(ner="minilm"), EncoderConfig(cache_dir=tmp_path, threads=1)).load()
    exported = sorted(p.name for p in (tmp_path / "encoders").glob("minilm-ner-*.onnx"))
    assert len(exported) == 2 and any("int8" in name for name in exported)  # fp32 export + its int8 copy
    assert det._tagger.threads == 1


def test_a_long_hostile_gap_between_places_fails_fast_and_joins_nothing():
    """Spaces and digit runs the gap pattern could split in many ways: with plain quantifiers twelve
    repeats took minutes (backtracking); this returns at once or the test never ends."""
    from classifiers.pii.minilm_ner import join_addresses

    text = "Oak Lane" + "    1111" * 12 + " and then Springfield"
    spans = [("LOCATION", 0, 8, 0.9), ("LOCATION", len(text) - 11, len(text), 0.9)]
    out = join_addresses(text, spans)
    assert [text[s:e] for k, s, e, _ in out if k == "LOCATION"] == ["Springfield"]
    assert [text[s:e] for k, s, e, _ in out if k == "ADDRESS"] == ["Oak Lane    1111"]
