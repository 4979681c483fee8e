"""Names, places and organisations from the classifier encoder's pass: decoding, address joining, the
detector on its own, and the verdict engine reading them from the one pass it makes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pytest

from classifiers.pii import PiiDetector
from classifiers.pii.encoder_ner import EncoderTagger, decode_entities, join_addresses
from classifiers.pii.tags import TAGS, decode_words
from schemas.config import ClassifiersConfig, PiiConfig
from schemas.event import Event


@dataclass
class FakeEncoding:
    ids: list[int]
    word_ids: list[int | None]
    offsets: list[tuple[int, int]]


def tags(*names: str) -> tuple[list[int], list[float]]:
    return [TAGS.index(n) for n in names], [0.9] * len(names)


def test_decode_joins_i_words_and_sub_words_into_one_span():
    text = "met Ada Lovelace at Acme"
    # words: met | Ada | Love+lace (two sub-words) | at | Acme
    enc = FakeEncoding([0] * 6, [0, 1, 2, 2, 3, 4], [(0, 3), (4, 7), (8, 12), (12, 16), (17, 19), (20, 24)])
    labels, scores = tags("O", "B-PERSON", "I-PERSON", "O", "O", "B-ORGANIZATION")
    spans = decode_words(text, enc, labels, scores, min_score=0.5)
    assert [(k, text[s:e]) for k, s, e, _ in spans] == [("PERSON", "Ada Lovelace"), ("ORGANIZATION", "Acme")]


def test_decode_breaks_spans_at_b_tags_type_changes_line_breaks_and_low_scores():
    text = "Ada Bob\nCy Paris Dee"
    enc = FakeEncoding([0] * 5, [0, 1, 2, 3, 4], [(0, 3), (4, 7), (8, 10), (11, 16), (17, 20)])
    labels, scores = tags("B-PERSON", "B-PERSON", "I-PERSON", "I-LOCATION", "I-PERSON")
    scores[4] = 0.3
    spans = decode_words(text, enc, labels, scores, min_score=0.5)
    # B- starts anew; the line break ends "Bob"; an I- of another type starts its own span; "Dee" is too unsure.
    assert [(k, text[s:e]) for k, s, e, _ in spans] == [
        ("PERSON", "Ada"), ("PERSON", "Bob"), ("PERSON", "Cy"), ("LOCATION", "Paris")]


def test_decode_keeps_a_user_handle_in_one_span():
    text = "thanks @ colgo and @matt"
    enc = FakeEncoding([0] * 6, [0, 1, 2, 3, 4, 5], [(0, 6), (7, 8), (9, 14), (15, 18), (19, 20), (20, 24)])
    labels, scores = tags("O", "B-PERSON", "B-PERSON", "O", "B-PERSON", "B-PERSON")
    spans = decode_words(text, enc, labels, scores, min_score=0.5, join_handles=True)
    assert [(k, text[s:e]) for k, s, e, _ in spans] == [("PERSON", "@ colgo"), ("PERSON", "@matt")]
    apart = decode_words(text, enc, labels, scores, min_score=0.5)
    assert [text[s:e] for _, s, e, _ in apart] == ["@", "colgo", "@", "matt"]


def probs_of(*names: str, p: float = 0.9) -> np.ndarray:
    out = np.full((len(names), len(TAGS)), (1 - p) / (len(TAGS) - 1), np.float32)
    for t, name in enumerate(names):
        out[t, TAGS.index(name)] = p
    return out


def test_each_token_takes_the_window_where_it_sits_farthest_from_an_edge():
    text = "a b c d e f"
    enc = FakeEncoding([0] * 6, list(range(6)), [(2 * i, 2 * i + 1) for i in range(6)])
    # Two windows over tokens 0-3 and 2-5. Token 3 ("d") sits at the edge of the first window and in
    # the middle of the second: the second's reading (PERSON) wins; token 2 ("c") the other way round.
    first = probs_of("O", "O", "O", "B-PERSON")
    second = probs_of("B-LOCATION", "B-PERSON", "O", "O")
    found = decode_entities(text, enc, [(0, 4, first), (2, 6, second)])
    assert [(e.type, text[e.start:e.end]) for e in found] == [("PERSON", "d")]
    assert found[0].score == pytest.approx(0.9 * 0.85, abs=1e-3)  # scaled below the validated patterns
    assert decode_entities(text, enc, [(0, 6, probs_of(*["O"] * 6))]) == []


def loc(text: str, piece: str) -> tuple[str, int, int, float]:
    return ("LOCATION", text.index(piece), text.index(piece) + len(piece), 0.8)


def test_place_pieces_with_a_house_number_or_zip_become_one_address():
    text = "Send it to 42 Oak Street, Apt. 5\nSpringfield 62704 please, or to Paris, France."
    out = join_addresses(text, [loc(text, "Oak Street"), loc(text, "Springfield"), loc(text, "Paris"),
                                loc(text, "France")])
    assert [(k, text[s:e]) for k, s, e, _ in out] == [
        ("ADDRESS", "42 Oak Street, Apt. 5\nSpringfield 62704"), ("LOCATION", "Paris"), ("LOCATION", "France")]
    text = "meet at 159 Venizelou str tonight"
    assert [(k, text[s:e]) for k, s, e, _ in join_addresses(text, [loc(text, "159 Venizelou str")])] == [
        ("ADDRESS", "159 Venizelou str")]


def test_a_long_hostile_gap_between_places_fails_fast_and_joins_nothing():
    """Spaces and digit runs the gap pattern could split in many ways: with plain quantifiers twelve
    repeats took minutes (backtracking); this returns at once or the test never ends."""
    text = "Oak Lane" + "    1111" * 12 + " and then Springfield"
    spans = [("LOCATION", 0, 8, 0.9), ("LOCATION", len(text) - 11, len(text), 0.9)]
    out = join_addresses(text, spans)
    assert [text[s:e] for k, s, e, _ in out if k == "LOCATION"] == ["Springfield"]
    assert [text[s:e] for k, s, e, _ in out if k == "ADDRESS"] == ["Oak Lane    1111"]


# ---------------------------------------------------------------- the shipped model


@pytest.fixture(scope="module")
def tagger() -> EncoderTagger:
    return EncoderTagger().load()


def found(tagger: EncoderTagger, text: str) -> set[tuple[str, str]]:
    return {(e.type, text[e.start:e.end]) for e in tagger.tag([text])[0]}


def test_shipped_head_finds_people_places_and_organisations(tagger):
    text = "Yesterday Angela Merkel met the chief executive of Siemens in Paris."
    assert found(tagger, text) >= {("PERSON", "Angela Merkel"), ("ORGANIZATION", "Siemens"), ("LOCATION", "Paris")}
    assert found(tagger, "the weather is nice and the coffee was cold") == set()


def test_long_text_offsets_stay_exact_past_the_first_window(tagger):
    sentence = "Last week Angela Merkel gave a talk about energy. "
    text = sentence * 50                                   # ~600 tokens: three windows
    out = tagger.tag([text, ""])
    starts = {e.start for e in out[0] if e.type == "PERSON" and text[e.start:e.end] == "Angela Merkel"}
    assert starts <= {i * len(sentence) + sentence.index("Angela") for i in range(50)}
    assert len(starts) >= 45 and max(starts) > len(text) * 0.9
    assert out[1] == []


def test_detector_with_minilm_reports_organisations_and_keeps_patterns():
    text = "Contact Angela Merkel at Siemens: angela@example.com"
    det = PiiDetector.from_config(PiiConfig()).load()  # minilm is the default
    got = {(e.type, text[e.start:e.end]) for e in det.detect([text])[0]}
    assert {("PERSON", "Angela Merkel"), ("ORGANIZATION", "Siemens"), ("EMAIL", "angela@example.com")} <= got
    assert det.name == "pii-patterns+minilm"
    # Findings handed over from a pass made elsewhere replace the detector's own tagging.
    assert {e.type for e in det.detect([text], ner=[[]])[0]} == {"EMAIL"}
    with pytest.raises(ValueError, match="2 lists of NER findings for 1 texts"):
        det.detect([text], ner=[[], []])


def test_ner_engine_is_for_rampart_only():
    with pytest.raises(ValueError, match="ner_engine: torch chooses how the rampart tagger runs"):
        PiiConfig(ner_engine="torch")
    assert PiiConfig(ner="rampart", ner_engine="onnx-q4").ner_engine == "onnx-q4"


def test_weights_without_a_token_head_say_how_to_train_one(tmp_path):
    import shutil

    from classifiers.text import DEFAULT_WEIGHTS_DIR

    for name in ("heads.npz", "heads.json", "encoder_adapters.npz"):
        shutil.copy(DEFAULT_WEIGHTS_DIR / name, tmp_path / name)
    with pytest.raises(ValueError, match="no token head.*guardstream train-ner"):
        EncoderTagger(weights_dir=tmp_path, backend="torch").load()


# ---------------------------------------------------------------- one pass in the verdict engine


class CountingClassifier:
    """The real classifier, counting its encoder passes and the texts they read."""

    def __init__(self) -> None:
        from classifiers.text import TextClassifier

        self.inner = TextClassifier(backend="auto")
        self.passes: list[list[str]] = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def load(self) -> None:
        self.inner.load()
        original = self.inner.encoder.encode

        def encode(texts):
            self.passes.append(list(texts))
            return original(texts)
        self.inner.encoder.encode = encode

    def predict(self, texts):
        raise AssertionError("the engine must use predict_with_tokens, one pass for heads and names")


def _event(i: int, **kw) -> Event:
    base = {"event_id": f"e{i}", "@timestamp": datetime(2026, 1, 1, tzinfo=timezone.utc), "kind": "response",
            "app": "a", "model": "m"}
    return Event.model_validate({**base, **kw})


@pytest.fixture(scope="module")
def engine_and_counter():
    from pipeline.verdicts import VerdictEngine

    counter = CountingClassifier()
    engine = VerdictEngine(ClassifiersConfig(), max_text_chars=400, scorer=counter)
    engine.load()
    assert engine._pii._tagger is None  # the detector loads no model of its own
    return engine, counter


def test_names_are_masked_by_default_from_the_one_encoder_pass(engine_and_counter):
    engine, counter = engine_and_counter
    counter.passes.clear()
    text = ("My name is Maria Gonzalez and I live at 42 Elm Street, Springfield. Call me on +1 (415) 555-0132 "
            "or mail maria.g@example.org.")
    [verdict] = engine.classify([_event(0, text=text)])
    assert len(counter.passes) == 1
    assert "Maria" not in verdict.text and "Gonzalez" not in verdict.text and "<PERSON>" in verdict.text
    assert "maria.g@example.org" not in verdict.text and "555-0132" not in verdict.text
    assert "pii" in verdict.violations


def test_tool_call_arguments_get_their_names_from_the_same_pass(engine_and_counter):
    engine, counter = engine_and_counter
    counter.passes.clear()
    args = {"recipient": {"name": "Angela Merkel", "email": "a.merkel@example.com"}, "amount": 25000,
            "memo": 'ask "Angela Merkel" about the invoice'}
    verdicts = engine.classify([_event(0, kind="tool_call", text="Please pay Angela Merkel",
                                       tool={"name": "transfer", "arguments": args}),
                                _event(1, text="nothing personal here")])
    assert len(counter.passes) == 1  # both events, and every argument, in one pass
    pii = {(e.field, e.type) for e in verdicts[0].pii}
    assert ("tool.arguments.recipient.name", "PERSON") in pii and ("tool.arguments.recipient.email", "EMAIL") in pii
    assert ("text", "PERSON") in pii  # the event's own text
    dumped = str(verdicts[0].tool.arguments)
    assert "Merkel" not in dumped and "a.merkel@example.com" not in dumped and "Merkel" not in verdicts[0].text
    # Offsets map back through the JSON escapes of the quoted name: the quotes stay, the name goes.
    assert verdicts[0].tool.arguments["memo"] == 'ask "<PERSON>" about the invoice'


def test_arguments_past_the_cut_get_a_second_pass_so_no_name_goes_unread(engine_and_counter):
    engine, counter = engine_and_counter
    counter.passes.clear()
    args = {"notes": "x " * 300, "contact": "Angela Merkel"}  # the contact lies past max_text_chars (400)
    [verdict] = engine.classify([_event(0, kind="tool_call", tool={"name": "save", "arguments": args})])
    # The second pass reads the leaves the first did not read whole: the cut notes and the contact.
    assert len(counter.passes) == 2 and counter.passes[1] == ["x " * 300, "Angela Merkel"]
    assert verdict.tool.arguments["contact"] == "<PERSON>"
