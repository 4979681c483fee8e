"""Training rows for the toxicity sub-label heads (severe_toxicity, obscene, threat, insult, identity_attack).

Each sub-label gets its own pool of ``Row(text, label, source, split)``; a row is in a label's pool only
where its source says something about that label:

* **clean rows** (label 0 in the toxicity pool: Davidson "neither", ConvAbuse "not abusive", ToxiGen
  neutral, the neutral formal / assistant-register sets, our own identity mentions, clean-in-context)
  are negatives for every sub-label;
* **toxic-spans** (CC0, Civil Comments posts, all already toxic) gives the type heads: a type is present
  when >= 2 raters marked a span of that type, absent when 0 did (with >= 2 raters marking spans at all,
  so "0 votes" means something); 1 vote is ambiguous and dropped. These toxic-but-other-type posts are
  the hard negatives;
* **ConvAbuse** (CC BY 4.0): severity (most annotators chose "strongly" / "very strongly" abusive ->
  severe_toxicity 1; abusive but nobody chose strong -> 0), type "intellectual" -> insult, type
  "sex_harassment" -> obscene, racist / sexist / homophobic / transphobic / ableist -> identity_attack;
* **Davidson** (MIT) hate class -> identity_attack 1, offensive-not-hate -> 0; **ToxiGen** hate -> 1.

Toxic rows whose source has no type information (e.g. a Davidson "offensive" tweet for ``insult``) are
left out of that label's pool rather than guessed. Splits follow ``datasets.hash_split`` (ConvAbuse: its
own files), so a text is in the same split for every head.

The Jigsaw sample (``jigsaw-toxic-sample``, 282 Wikipedia talk comments, text CC BY-SA 3.0) is only read
by ``jigsaw_sample`` as a schema fixture for evaluation; it is never trained on.
"""

from __future__ import annotations

from pathlib import Path

from . import datasets as D

#: The toxicity sub-labels, in the order the heads are stored after ``toxicity`` and before ``bias``.
TYPE_LABELS: tuple[str, ...] = ("severe_toxicity", "obscene", "threat", "insult", "identity_attack")

#: toxic-spans vote column per sub-label (severe_toxicity has no span type).
SPAN_COLUMNS = {
    "obscene": "votes_profane_obscene",
    "threat": "votes_threat",
    "insult": "votes_insult",
    "identity_attack": "votes_identity_attack",
}

#: Jigsaw column -> our label (the Jigsaw multi-label schema, e.g. for `guardstream eval` fixtures).
JIGSAW_COLUMNS = {
    "toxic": "toxicity",
    "severe_toxic": "severe_toxicity",
    "obscene": "obscene",
    "threat": "threat",
    "insult": "insult",
    "identity_hate": "identity_attack",
}

CONVABUSE_TYPE_OF = {"insult": ("intellectual",), "obscene": ("sex_harassment",),
                     "identity_attack": D.IDENTITY_TYPES}


def toxic_spans_types(data_dir: Path, min_raters_with_spans: int = 2) -> dict[str, list[D.Row]]:
    """label -> rows from comment_type_votes.csv: >= 2 votes -> 1, 0 votes -> 0, 1 vote dropped."""
    out: dict[str, list[D.Row]] = {lab: [] for lab in SPAN_COLUMNS}
    for r in D._read(data_dir / "toxic-spans" / "comment_type_votes.csv"):
        if int(r["n_annotations_with_spans"]) < min_raters_with_spans:
            continue
        t = r["text"].strip()
        split = D.hash_split(t)
        for lab, col in SPAN_COLUMNS.items():
            v = int(r[col])
            if v >= 2 or v == 0:
                out[lab].append(D.Row(t, int(v >= 2), "toxic_spans", split))
    return {lab: D.dedupe(rows) for lab, rows in out.items()}


def convabuse_type_labels(row: dict[str, str]) -> dict[str, int | None]:
    """Sub-labels of one ConvAbuse example that is abusive by majority ({} if it is not).

    severe_toxicity: 1 if at least half of the example's annotators chose strong or very strong, 0 if
    none did (mild only), None in between. The type labels: 1 if at least half of the annotators marked
    one of the label's types, 0 if nobody did, None in between (dropped). insult and obscene stay None
    (unknown) when nobody marked their type, since ConvAbuse's types do not cover them fully.
    """
    tox, _ = D._convabuse_labels(row)
    if tox != 1:
        return {}
    n = strong = 0
    votes = {lab: 0 for lab in CONVABUSE_TYPE_OF}
    for a in range(1, 9):
        sev = {k: row.get(f"Annotator{a}_is_abuse.{k}", "").strip() for k in ("1", "0", "-1", "-2", "-3")}
        if "1" not in sev.values():
            continue
        n += 1
        if sev["-2"] == "1" or sev["-3"] == "1":
            strong += 1
        for lab, types in CONVABUSE_TYPE_OF.items():
            if any(row.get(f"Annotator{a}_{t}", "").strip() == "1" for t in types):
                votes[lab] += 1
    out: dict[str, int | None] = {
        "severe_toxicity": 1 if strong * 2 >= n else (0 if strong == 0 else None),
    }
    for lab, v in votes.items():
        if v * 2 >= n:
            out[lab] = 1
        elif v == 0 and lab == "identity_attack":
            out[lab] = 0
        else:
            out[lab] = None
    return out


def convabuse_types(data_dir: Path) -> dict[str, list[D.Row]]:
    """label -> abusive ConvAbuse rows with that sub-label known (train / valid=dev / test files)."""
    out: dict[str, list[D.Row]] = {lab: [] for lab in TYPE_LABELS if lab != "threat"}
    for fname, split in (("train", "train"), ("valid", "dev"), ("test", "test")):
        for r in D._read(data_dir / "convabuse" / f"ConvAbuseEMNLP{fname}.csv"):
            for lab, y in convabuse_type_labels(r).items():
                if y is not None:
                    out[lab].append(D.Row(r["user"].strip(), y, "convabuse", split))
    return {lab: D.dedupe(rows) for lab, rows in out.items()}


def identity_attack_extra(dav_bias: list[D.Row], toxigen: list[D.Row]) -> list[D.Row]:
    """Davidson hate (1) vs offensive-not-hate (0), and ToxiGen hate (1): Davidson's bias rows, re-used."""
    return [r for r in dav_bias] + [r for r in toxigen if r.label == 1]


def type_pools(
    tox_pool: list[D.Row], data_dir: Path, dav_bias: list[D.Row], toxigen: list[D.Row]
) -> dict[str, list[D.Row]]:
    """One pool per sub-label: its labelled rows plus every clean row of the toxicity pool as a negative."""
    clean = [r for r in tox_pool if r.label == 0]
    spans = toxic_spans_types(data_dir)
    conv = convabuse_types(data_dir)
    pools: dict[str, list[D.Row]] = {}
    for lab in TYPE_LABELS:
        rows = list(spans.get(lab, [])) + list(conv.get(lab, []))
        if lab == "identity_attack":
            rows += identity_attack_extra(dav_bias, toxigen)
        # A clean row that also occurs as a labelled row of the same source keeps the labelled version.
        have = {(r.source, D.norm(r.text)) for r in rows}
        rows += [r for r in clean if (r.source, D.norm(r.text)) not in have]
        pools[lab] = D.dedupe(rows)
    return pools


def jigsaw_sample(data_dir: Path) -> dict[str, list[D.Row]]:
    """label -> rows of the 282-row Jigsaw sample (evaluation fixture only; text CC BY-SA 3.0)."""
    out: dict[str, list[D.Row]] = {lab: [] for lab in JIGSAW_COLUMNS.values()}
    for r in D._read(data_dir / "jigsaw-toxic-sample" / "train.csv"):
        t = r["comment_text"].strip()
        for col, lab in JIGSAW_COLUMNS.items():
            out[lab].append(D.Row(t, int(r[col]), "jigsaw_sample", "test"))
    return out
