"""Training helpers: deterministic splits, label aggregation, thresholds, embedding cache."""

from __future__ import annotations

import numpy as np

from classifiers import datasets as D
from classifiers.heads import LogisticHeads
from classifiers.train import ChunkCache, _key, best_f1_threshold, binary_metrics


def test_hash_split_is_deterministic_and_case_insensitive() -> None:
    texts = [f"sentence number {i}" for i in range(2000)]
    splits = [D.hash_split(t) for t in texts]
    assert splits == [D.hash_split(t) for t in texts]
    assert D.hash_split("Hello   World") == D.hash_split("hello world")
    frac = {s: splits.count(s) / len(splits) for s in ("train", "dev", "test")}
    assert 0.75 < frac["train"] < 0.85 and 0.07 < frac["dev"] < 0.13 and 0.07 < frac["test"] < 0.13


def test_cap_is_seeded_and_dedupe_keeps_first() -> None:
    rows = [D.Row(f"t{i}", i % 2, "s", "train") for i in range(100)]
    assert D.cap(rows, 10, 1) == D.cap(rows, 10, 1)
    assert len(D.cap(rows, 10, 1)) == 10 and D.cap(rows, None, 1) == rows
    dup = [D.Row("A b", 1, "s", "train"), D.Row("a  B", 0, "s", "train"), D.Row("a b", 0, "t", "dev")]
    assert D.dedupe(dup) == [dup[0], dup[2]]


def _convabuse_row(votes: list[tuple[str, list[str]]]) -> dict[str, str]:
    row: dict[str, str] = {}
    for a, (sev, types) in enumerate(votes, start=1):
        for k in ("1", "0", "-1", "-2", "-3"):
            row[f"Annotator{a}_is_abuse.{k}"] = "1" if k == sev else "0"
        for t in D.IDENTITY_TYPES + ("intellectual",):
            row[f"Annotator{a}_{t}"] = "1" if t in types else "0"
    return row


def test_convabuse_majority_labels() -> None:
    f = D._convabuse_labels
    assert f(_convabuse_row([("1", []), ("1", []), ("-1", [])])) == (0, 0)
    assert f(_convabuse_row([("-2", ["racist"]), ("-1", ["racist"]), ("1", [])])) == (1, 1)
    assert f(_convabuse_row([("-2", ["intellectual"]), ("-1", []), ("1", [])])) == (1, 0)
    assert f(_convabuse_row([("-2", ["sexist"]), ("-1", []), ("-1", [])])) == (1, None)
    assert f(_convabuse_row([("0", []), ("0", []), ("1", [])])) == (None, None)
    assert f({}) == (None, None)


def test_best_f1_threshold_separates_clean_data() -> None:
    y = np.array([0, 0, 0, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.35, 0.6, 0.7, 0.9])
    thr = best_f1_threshold(y, p)
    assert 0.35 < thr <= 0.6
    m = binary_metrics(y, p, thr)
    assert m["f1"] == 1.0 and m["auc"] == 1.0 and m["n"] == 6 and m["positives"] == 3


class _FakeEncoder:
    calls = 0

    def embed_chunks(self, texts):
        _FakeEncoder.calls += len(texts)
        vecs, owner = [], []
        for i, t in enumerate(texts):
            for k in range(1 + len(t) // 10):  # longer texts -> more windows
                v = np.zeros(384, np.float32)
                v[(len(t) + k) % 384] = 1.0
                vecs.append(v)
                owner.append(i)
        return np.stack(vecs), np.array(owner)


def test_chunk_cache_round_trip_and_max_score(tmp_path) -> None:
    path = tmp_path / "c.npz"
    cache = ChunkCache(path)
    texts = ["short", "a much longer text with windows", "short"]
    cache.fill(_FakeEncoder(), texts)
    assert _FakeEncoder.calls == 2
    again = ChunkCache(path)
    again.fill(_FakeEncoder(), texts)
    assert _FakeEncoder.calls == 2  # everything came from disk
    for t in texts:
        np.testing.assert_array_equal(again.data[_key(t)], cache.data[_key(t)])
    pooled = again.pooled(texts)
    np.testing.assert_allclose(np.linalg.norm(pooled, axis=1), 1.0, atol=1e-6)
    w = np.zeros((1, 384), np.float32)
    w[0, (len(texts[1]) + 2) % 384] = 10.0  # only the third window of the long text fires
    heads = LogisticHeads(w, np.zeros(1), ["x"])
    s = again.max_score(heads, texts)[:, 0]
    assert s[1] > 0.99 and s[0] == 0.5


def test_fill_template_uses_own_fillers_and_rejects_unknown_slots() -> None:
    import random

    rnd = random.Random(0)
    t = D.fill_template("Send it to {{address}} for {{person}}, card {{credit_card_number}}", rnd)
    assert t is not None and "{" not in t and "}" not in t
    assert any(c in t for c in D.PRESIDIO_FILLERS["city"])
    assert any(n in t for n in D.PRESIDIO_FILLERS["first_name"])
    assert D.fill_template("Line one\\nline two {street_name}", rnd).startswith("Line one\nline two ")
    assert D.fill_template("My {{unknown_slot}} is here", rnd) is None


def test_rough_filter_catches_profanity_but_not_plain_text() -> None:
    assert D.rough("what the fuck is this") and D.rough("I hate mondays") and D.rough("a bigass spider")
    assert not D.rough("The Company consents to such assignment.")
    assert not D.rough("Can I change the delivery date of my parcel?")


def test_own_assistant_pairs_split_together_and_stay_out_of_samples() -> None:
    from classifiers.own_neutral_text import OWN_ASSISTANT_PAIRS

    rows = D.own_assistant_neutral()
    assert rows and all(r.label == 0 and r.source == "own_assistant_neutral" for r in rows)
    split_of = {r.text: r.split for r in rows}
    for prompt, answer in OWN_ASSISTANT_PAIRS:
        assert split_of[prompt] == split_of[answer]
    assert {r.split for r in rows} == {"train", "dev", "test"}
    # the demo / evaluation traffic (samples/) must stay unseen: no sentence of ours is one of its templates
    import re
    from pathlib import Path

    src = (Path(__file__).resolve().parents[2] / "samples" / "make_traffic.py").read_text(encoding="utf-8")
    sample_strings = {D.norm(s) for s in re.findall(r'"([^"\n]{20,})"', src)}
    assert not sample_strings & {D.norm(r.text) for r in rows}


def test_convabuse_sub_labels_follow_severity_and_types() -> None:
    from classifiers.toxicity_types import convabuse_type_labels as f

    strong = _convabuse_row([("-3", ["sexist"]), ("-2", ["sexist"]), ("1", [])])
    assert f(strong) == {"severe_toxicity": 1, "insult": None, "obscene": None, "identity_attack": 1}
    mild = _convabuse_row([("-1", ["intellectual"]), ("-1", ["intellectual"]), ("-1", [])])
    assert f(mild) == {"severe_toxicity": 0, "insult": 1, "obscene": None, "identity_attack": 0}
    split = _convabuse_row([("-3", ["sex_harassment"]), ("-1", []), ("-1", []), ("-1", [])])
    assert f(split)["severe_toxicity"] is None and f(split)["obscene"] is None  # 1 of 4: ambiguous
    assert f(_convabuse_row([("1", []), ("1", []), ("-1", [])])) == {}  # not abusive: no sub-labels


def test_toxic_spans_types_need_two_votes_and_two_raters_with_spans(tmp_path) -> None:
    import csv

    from classifiers.toxicity_types import toxic_spans_types

    cols = ["comment_id", "text", "n_annotations", "n_annotations_with_spans", "votes_insult", "votes_threat",
            "votes_identity_attack", "votes_profane_obscene"]
    rows = [("1", "you absolute clown", 3, 3, 3, 0, 1, 0), ("2", "i will come for you", 3, 2, 0, 2, 0, 0),
            ("3", "one rater only", 3, 1, 1, 1, 1, 1)]
    (tmp_path / "toxic-spans").mkdir()
    with (tmp_path / "toxic-spans" / "comment_type_votes.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerows(rows)
    pools = toxic_spans_types(tmp_path)
    got = {lab: {r.text: r.label for r in rs} for lab, rs in pools.items()}
    assert got["insult"] == {"you absolute clown": 1, "i will come for you": 0}
    assert got["threat"] == {"you absolute clown": 0, "i will come for you": 1}
    assert got["identity_attack"] == {"i will come for you": 0}  # 1 vote: dropped
    assert got["obscene"] == {"you absolute clown": 0, "i will come for you": 0}
    assert all(r.split == D.hash_split(r.text) for rs in pools.values() for r in rs)


def test_type_pools_use_clean_rows_as_negatives_for_every_sub_label(tmp_path, monkeypatch) -> None:
    from classifiers import toxicity_types as T

    monkeypatch.setattr(T, "toxic_spans_types", lambda d: {"threat": [D.Row("i will hurt you", 1, "toxic_spans", "train")]})
    monkeypatch.setattr(T, "convabuse_types", lambda d: {})
    tox_pool = [D.Row("nice day", 0, "wnut17", "train"), D.Row("you idiot", 1, "davidson", "train")]
    dav_bias = [D.Row("you idiot", 0, "davidson", "train"), D.Row("hate them all", 1, "davidson", "dev")]
    pools = T.type_pools(tox_pool, tmp_path, dav_bias, [D.Row("they are vermin", 1, "toxigen", "test")])
    assert set(pools) == set(T.TYPE_LABELS)
    assert [(r.text, r.label) for r in pools["threat"]] == [("i will hurt you", 1), ("nice day", 0)]
    assert {(r.text, r.label) for r in pools["insult"]} == {("nice day", 0)}  # toxic row without type: left out
    assert {(r.text, r.label) for r in pools["identity_attack"]} == {
        ("you idiot", 0), ("hate them all", 1), ("they are vermin", 1), ("nice day", 0)}
