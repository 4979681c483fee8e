"""GuardStream's own functional suite (classifiers/training/functional_suite.py) and its bench.

None of these needs ../shared: the suite falls back to its built-in identity groups, and the data-dir
reader is tested on small files written here.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from difflib import SequenceMatcher

import pytest

from classifiers.training import functional_suite as FS

BASE = FS.templates(include_spelling=False)


@pytest.fixture(scope="module")
def all_cases():
    return FS.cases("all")


def test_templates_split_by_template_with_two_test_templates_per_functionality():
    by_split = defaultdict(set)
    for t in FS.templates():
        by_split[t.split].add(t.id)
    assert by_split["train"] and by_split["test"]
    assert not by_split["train"] & by_split["test"]
    ids = [t.id for t in FS.templates()]
    assert len(ids) == len(set(ids))
    per = Counter((t.functionality, t.split) for t in FS.templates())
    for f in FS.FUNCTIONALITIES:
        assert per[(f, "test")] >= 2, f
        assert per[(f, "train")] >= 2, f
    for f in FS._TEMPLATES:
        assert per[(f, "train")] + per[(f, "test")] >= 12, f  # many templates per functionality
    share = sum(t.split == "test" for t in BASE) / len(BASE)
    assert 0.35 <= share <= 0.45


def test_no_test_template_shares_a_frame_with_a_train_template():
    frames = [(t, FS.frame(t.text)) for t in BASE]
    # No two base templates have the same frame, in any split (not the same template with another identity).
    assert len({f for _, f in frames}) == len(frames)
    test = [(t, f) for t, f in frames if t.split == "test"]
    train = [(t, f) for t, f in frames if t.split == "train"]
    for a, fa in test:
        for b, fb in train:
            assert SequenceMatcher(None, fa, fb).ratio() < 0.8, (a.text, b.text)
            assert fa[:4] != fb[:4] and fa[-4:] != fb[-4:], (a.text, b.text)


def test_split_is_by_rank_of_the_template_hash():
    for f in FS._TEMPLATES:
        ts = sorted((t for t in BASE if t.functionality == f), key=lambda t: t.rank)
        splits = [t.split for t in ts]
        n_test = splits.count("test")
        assert splits == ["train"] * (len(ts) - n_test) + ["test"] * n_test
        assert n_test == max(2, round(len(ts) * FS.TEST_SHARE))


def test_spelling_variants_keep_base_split_and_labels(all_cases):
    by_id = {t.id: t for t in FS.templates()}
    variants = [t for t in FS.templates() if t.transform]
    assert {t.transform for t in variants} == set(FS.TRANSFORMS)
    for t in variants:
        base = by_id[t.base_id]
        assert base.split == t.split and base.transform is None
        assert FS.labels_of(t) == FS.FUNCTIONALITIES[base.functionality].labels
    base_cases = {(c["template_id"], c["target"]): c for c in all_cases if not c["transform"]}
    seen_labels = Counter()
    for c in all_cases:
        if c["transform"]:
            b = base_cases[(c["base_template_id"], c["target"])]
            assert c["labels"] == b["labels"] and c["split"] == b["split"]
            assert c["text"] != b["text"]
            seen_labels[c["labels"]["toxicity"], c["labels"]["bias"]] += 1
    # Applied to hateful, to toxic-but-not-hateful and to clean cases.
    assert seen_labels[(1, 1)] and seen_labels[(1, 0)] and seen_labels[(0, 0)]


def test_labels_follow_the_scheme(all_cases):
    assert all(set(c["labels"]) == set(FS.LABELS) for c in all_cases)
    for c in all_cases:
        lab = c["labels"]
        f = c["functionality"]
        group = FS.FUNCTIONALITIES[f].group
        assert lab["bias"] == lab["identity_attack"]
        if lab["bias"] or lab["threat"]:
            assert lab["toxicity"] == 1
        if group in ("counter_speech", "identity_mentions", "reclaimed"):
            assert lab == FS.CLEAN, c
        if f in ("slur_mention", "pronoun_neutral", "negation_nonhateful", "question_nonhateful",
                 "opinion_nonhateful"):
            assert lab == FS.CLEAN
        if group == "non_protected_abuse" or f == "profanity_nonhateful":
            assert lab == FS.TOXIC_NOT_IDENTITY
        if f in ("threat_direct", "threat_implied"):
            assert lab == FS.HATE_THREAT
        if f == "threat_person":
            assert lab == FS.THREAT_PERSON
        if f in ("derog_explicit", "derog_dehumanise", "derog_implicit", "slur_use", "profanity_hateful",
                 "pronoun_hateful", "negation_hateful", "question_hateful", "opinion_hateful"):
            assert lab == FS.HATE
    for f in FS.FUNCTIONALITIES:
        assert any(c["functionality"] == f for c in all_cases), f


def test_the_issue_counter_speech_example_is_a_clean_case():
    # The example of issue 19, flagged by the shipped model, is one of the counter-speech frames.
    t = next(t for t in BASE if t.text == "Saying that {g} {claim} is a harmful stereotype.")
    assert FS.labels_of(t) == FS.CLEAN and t.functionality == "counter_reference"


def test_counter_speech_claims_are_split_too(all_cases):
    train, test = FS.claims("train"), FS.claims("test")
    assert train and test and not set(train) & set(test) and set(train) | set(test) == set(FS.CLAIMS)
    for c in all_cases:
        if "{claim}" in next(t.text for t in BASE if t.id == (c["base_template_id"] or c["template_id"])):
            own = FS.claims(c["split"])
            assert any(cl in c["text"] for cl in own), c["text"]


def test_slots_are_filled_and_marks_removed(all_cases):
    for c in all_cases:
        assert not re.search(r"[{}\[\]]", c["text"]), c["text"]
        assert c["text"] == c["text"].strip() and "  " not in c["text"]
    slurs = {s for s, _, _ in FS.SLURS} | {p for _, p, _ in FS.SLURS}
    for c in all_cases:
        words = set(re.findall(r"[a-z]+", c["text"].lower()))
        if c["functionality"] in ("slur_use", "slur_mention"):
            assert words & slurs, c["text"]
        elif not c["transform"]:
            assert not words & slurs, c["text"]  # slurs only where the functionality says so


def test_transforms_do_what_they_claim():
    assert FS.leet("hate") == "h8"
    assert FS.leet("idiot") == "1d10t"
    assert FS.missing_letter("idiot") == "idot"
    assert FS.added_spaces("vile") == "v i l e"
    h = FS.homoglyph("vile")
    assert h != "vile" and len(h) == 4 and h[0] == "v"
    cyr = [ch for ch in h if ord(ch) > 127]
    assert cyr and all(unicodedata.name(ch).startswith("CYRILLIC") for ch in cyr)
    assert "\u0430" == FS.homoglyph("a")  # Cyrillic small a for Latin a
    back = {v: k for k, v in FS.HOMOGLYPHS.items()}
    unleet = {"4": "a", "3": "e", "1": "i", "0": "o", "5": "s", "7": "t"}
    marked = {w for t in BASE for w in re.findall(r"\[([^\]]+)\]", t.text)}
    assert len(marked) >= 20
    for w in marked:
        outs = {name: fn(w) for name, fn in FS.TRANSFORMS.items()}
        assert all(v != w for v in outs.values()), (w, outs)  # every transform changes every marked word
        assert "".join(back.get(ch, ch) for ch in outs["spell_homoglyph"]) == w
        assert all(ord(ch) < 128 or unicodedata.name(ch).startswith("CYRILLIC") for ch in outs["spell_homoglyph"])
        assert outs["spell_added_spaces"].replace(" ", "") == w
        m = outs["spell_missing_letter"]
        assert len(m) == len(w) - 1 and any(w[:i] + w[i + 1:] == m for i in range(len(w)))
        le = outs["spell_leet"]
        assert re.search(r"\d", le)
        assert "".join(unleet.get(ch, ch) for ch in le.replace("8", "ate")) == w


def test_deterministic_and_independent_of_call_order():
    a = FS.cases("test")
    FS._all_templates.cache_clear()
    FS.cases("train")
    b = FS.cases("test")
    assert a == b
    assert {c["template_id"] for c in FS.cases("test")} == {t.id for t in FS.templates("test")}


def test_runs_without_shared_data_and_with_a_missing_dir(tmp_path):
    builtin = FS.cases("test")
    assert {c["target_source"] for c in builtin if c["functionality_group"] == "derogation"} == {"builtin"}
    assert FS.cases("test", tmp_path / "nope") == builtin  # unreadable data_dir: built-in groups
    with pytest.raises(ValueError):
        FS.cases("dev")


def test_identity_groups_read_from_the_bias_sets(tmp_path):
    cai = tmp_path / "conversationai-bias" / "template_inputs"
    cai.mkdir(parents=True)
    (cai / "words.csv").write_text(
        "type,subtype,connotation,word\n"
        "name,,neutral,Zoe\nname,,neutral,\u672a\u672a\n"
        "identity,religion,neutral,muslim\nidentity,ethnicity,neutral,mexican\nidentity,sexuality,neutral,gay\n"
        "identity,ethnicity,toxic,someslur\noccupation,,neutral,fire fighter\n", encoding="utf-8")
    tg = tmp_path / "toxigen-seeds"
    tg.mkdir()
    (tg / "toxigen_seed_sentences.csv").write_text(
        "text,label,target_group,source_files\nx,hate,physical_disability,f\ny,neutral,women,f\n", encoding="utf-8")
    sg = tmp_path / "seegull"
    sg.mkdir()
    (sg / "stereotypes_global_v2.csv").write_text(
        "identity,attribute\nNigerian,a\nAfghans,b\nUnited KingdomUK,c\nCosta Rican,d\n", encoding="utf-8")
    groups = FS.identity_groups(tmp_path)
    assert {k: [g.text for g in v] for k, v in groups.items()} == {
        "conversationai-bias": ["Muslims", "Mexican people", "gay people"],
        "toxigen": ["people with physical disabilities", "women"],
        "seegull": ["Costa Rican people", "Nigerian people"],
    }
    cs = FS.cases("test", tmp_path)
    assert {c["target_source"] for c in cs if c["functionality"] == "derog_explicit"} == {
        "conversationai-bias", "toxigen", "seegull"}
    assert "someslur" not in " ".join(c["text"] for c in cs)
    jobs = [c for c in cs if c["functionality"] == "abuse_occupation"]
    assert jobs and all(c["target"] == "fire fighter" for c in jobs)
    assert any("Firefighters" in c["text"] or "firefighters" in c["text"] for c in jobs)
    names = {c["target"] for c in cs if c["target_source"] == "conversationai-bias" and c["functionality"] in
             ("abuse_person", "threat_person")}
    assert names <= {"Zoe"}
    # Only one source present: that one is used (no built-in mix-in).
    (sg / "stereotypes_global_v2.csv").unlink()
    assert set(FS.identity_groups(tmp_path)) == {"conversationai-bias", "toxigen"}


def test_rows_for_training_and_summary():
    rows = FS.rows("threat", "train")
    assert rows and {r.split for r in rows} == {"train"} and {r.label for r in rows} == {0, 1}
    assert all(r.source == "functional_suite" for r in rows)
    summ = {r["functionality"]: r for r in FS.summary()}
    assert set(summ) == set(FS.FUNCTIONALITIES)
    assert sum(r["test_templates"] + r["train_templates"] for r in summ.values()) == len(FS.templates())
    assert set(FS.examples()) == set(FS.FUNCTIONALITIES)


# ---------------------------------------------------------------- bench.functional_suite
def test_bench_metrics():
    from bench.functional_suite import auc, macro_f1

    assert auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert auc([0, 1], [0.5, 0.5]) == 0.5
    assert auc([1, 1], [0.2, 0.3]) is None
    assert macro_f1([0, 1, 1, 0], [0, 1, 1, 0]) == 1.0
    assert macro_f1([0, 1], [1, 0]) == 0.0


def test_bench_runs_with_a_stub_classifier(monkeypatch, capsys, tmp_path):
    import json

    import classifiers.text
    from bench import functional_suite as bench

    class Stub:
        revision = "stub"

        def __init__(self, **kw):
            self.thresholds = {"toxicity": 0.5, "bias": 0.5, "identity_attack": 0.5, "threat": 0.5}

        def load(self):
            return self

        def predict(self, texts):
            # "Perfect" on toxicity via the case labels is impossible here; score by a keyword instead.
            return [{"toxicity": float("idiot" in t.lower()), "bias": 0.0, "identity_attack": 0.0,
                     "threat": float("kill" in t.lower())} for t in texts]

    monkeypatch.setattr(classifiers.text, "TextClassifier", Stub)
    out = tmp_path / "fs.json"
    assert bench.main(["--split", "test", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Per functionality group" in printed and "counter_speech" in printed
    data = json.loads(out.read_text())
    groups = {g["functionality_group"]: g for g in data["groups"]}
    assert set(groups) == set(FS.GROUPS)
    # A model that says "clean" to everything is right on every clean case and wrong on every toxic one.
    assert groups["counter_speech"]["toxicity_acc"] == 1.0 and groups["counter_speech"]["bias_acc"] == 1.0
    assert groups["derogation"]["bias_acc"] == 0.0
    assert data["overall"]["cases"] == len(FS.cases("test"))
