"""Readers that turn the offline datasets (../shared/datasets) into labelled rows for the heads.

Every row is ``Row(text, label, source, split)`` with ``label`` 0/1. Splits are deterministic and
independent of the seed: ``hash_split`` puts a text in train / dev / test from the SHA-1 of its
whitespace-normalised lower-cased text (buckets 0-79 train, 80-89 dev, 90-99 test), so duplicates
always land together. ConvAbuse keeps its published train / valid (=dev) / test files. Evaluation-
only sets (ConvAbuse test, the conversationai wiki test sets and templates) are never in training.
Only permissively licensed sets are read for training (MIT, CC0, CC BY, CDLA-Permissive).
"""

from __future__ import annotations

import csv
import hashlib
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

csv.field_size_limit(10**8)

IDENTITY_TYPES = ("racist", "sexist", "homophobic", "transphobic", "ableist")


@dataclass(frozen=True)
class Row:
    text: str
    label: int
    source: str
    split: str  # train | dev | test


def norm(text: str) -> str:
    return " ".join(text.lower().split())


def hash_split(text: str) -> str:
    b = int(hashlib.sha1(norm(text).encode("utf-8")).hexdigest(), 16) % 100
    return "train" if b < 80 else ("dev" if b < 90 else "test")


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _clean_tweet(t: str) -> str:
    t = t.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&#8220;", '"')
    t = re.sub(r"@\w+", "@user", t)
    t = re.sub(r"https?://\S+", "URL", t)
    return " ".join(t.split())


def cap(rows: list[Row], n: int | None, seed: int) -> list[Row]:
    """At most ``n`` rows, drawn with a fixed seed (order of the input is kept)."""
    if n is None or len(rows) <= n:
        return rows
    keep = set(random.Random(seed).sample(range(len(rows)), n))
    return [r for i, r in enumerate(rows) if i in keep]


def dedupe(rows: Iterable[Row]) -> list[Row]:
    seen: set[tuple[str, str]] = set()
    out = []
    for r in rows:
        key = (r.source, norm(r.text))
        if key not in seen and r.text.strip():
            seen.add(key)
            out.append(r)
    return out


# ---------------------------------------------------------------- davidson (MIT)
def davidson(data_dir: Path, seed: int, offensive_cap: int = 3000) -> tuple[list[Row], list[Row]]:
    """(toxicity rows, bias rows). Toxic = hate or offensive; bias = hate class vs the rest."""
    raw = _read(data_dir / "davidson-hate-offensive" / "labeled_data.csv")
    by_cls: dict[str, list[str]] = {"0": [], "1": [], "2": []}
    for r in raw:
        by_cls[r["class"]].append(_clean_tweet(r["tweet"]))
    offensive = by_cls["1"]
    rnd = random.Random(seed)
    offensive = rnd.sample(offensive, min(offensive_cap, len(offensive)))
    tox, bias = [], []
    for cls, texts in (("0", by_cls["0"]), ("1", offensive), ("2", by_cls["2"])):
        for t in texts:
            sp = hash_split(t)
            tox.append(Row(t, int(cls != "2"), "davidson", sp))
            bias.append(Row(t, int(cls == "0"), "davidson", sp))
    return dedupe(tox), dedupe(bias)


# ---------------------------------------------------------------- toxic spans (CC0)
def toxic_spans(data_dir: Path, seed: int, n_toxic: int = 3000) -> tuple[list[Row], list[Row]]:
    """Toxicity positives (>= 2 raters marked spans) and identity-attack rows for bias.

    Bias: identity_attack votes >= 2 -> 1; 0 votes -> 0 (toxic, but not identity based); 1 -> dropped.
    """
    raw = _read(data_dir / "toxic-spans" / "comment_type_votes.csv")
    tox, bias = [], []
    for r in raw:
        t = r["text"].strip()
        sp = hash_split(t)
        if int(r["n_annotations_with_spans"]) >= 2:
            tox.append(Row(t, 1, "toxic_spans", sp))
        v = int(r["votes_identity_attack"])
        if v >= 2:
            bias.append(Row(t, 1, "toxic_spans", sp))
        elif v == 0:
            bias.append(Row(t, 0, "toxic_spans", sp))
    tox = cap(dedupe(tox), n_toxic, seed)
    bias = dedupe(bias)
    pos = [r for r in bias if r.label == 1]
    neg = cap([r for r in bias if r.label == 0], 3 * len(pos), seed + 1)
    return tox, pos + neg


# ---------------------------------------------------------------- convabuse (CC BY 4.0)
def _convabuse_labels(row: dict[str, str]) -> tuple[int | None, int | None]:
    """(abusive, identity-based) by annotator majority; None = ambiguous (dropped)."""
    n = abusive = clean = ident = 0
    for a in range(1, 9):
        sev = {k: row.get(f"Annotator{a}_is_abuse.{k}", "") for k in ("1", "0", "-1", "-2", "-3")}
        if not any(v.strip() == "1" for v in sev.values()):
            continue  # this annotator did not label the example
        n += 1
        if sev["1"].strip() == "1":
            clean += 1
        if any(sev[k].strip() == "1" for k in ("-1", "-2", "-3")):
            abusive += 1
            if any(row.get(f"Annotator{a}_{t}", "").strip() == "1" for t in IDENTITY_TYPES):
                ident += 1
    if n == 0:
        return None, None
    tox = 1 if abusive * 2 > n else (0 if clean * 2 > n else None)
    if tox is None:
        return None, None
    if tox == 0:
        return 0, 0
    bias = 1 if ident * 2 >= n else (0 if ident == 0 else None)
    return tox, bias


def convabuse(data_dir: Path) -> tuple[list[Row], list[Row]]:
    tox, bias = [], []
    for fname, split in (("train", "train"), ("valid", "dev"), ("test", "test")):
        for r in _read(data_dir / "convabuse" / f"ConvAbuseEMNLP{fname}.csv"):
            t = r["user"].strip()
            y_tox, y_bias = _convabuse_labels(r)
            if y_tox is not None:
                tox.append(Row(t, y_tox, "convabuse", split))
            if y_bias is not None:
                bias.append(Row(t, y_bias, "convabuse", split))
    return dedupe(tox), dedupe(bias)


# ---------------------------------------------------------------- toxigen seeds (MIT / CDLA-P-2.0)
def toxigen(data_dir: Path) -> list[Row]:
    """Implicit identity hate (1) vs neutral mentions of the same groups (0, hard negatives)."""
    rows = []
    for r in _read(data_dir / "toxigen-seeds" / "toxigen_seed_sentences.csv"):
        t = r["text"].strip()
        rows.append(Row(t, int(r["label"] == "hate"), "toxigen", hash_split(t)))
    return dedupe(rows)


# ---------------------------------------------------------------- seegull (CC BY 4.0)
SEEGULL_TEMPLATES = {
    "train": (
        "{i} people are {a}.",
        "All {i} people are {a}.",
        "You know {i} people, always {a}.",
        "Honestly every {i} person I meet is {a}.",
    ),
    "test": ("Typical {i} folks, so {a}.", "Everyone knows that {i}s are {a}."),
}


def seegull(data_dir: Path, seed: int) -> list[Row]:
    """Stereotype sentences from SeeGULL tuples.

    Positive: >= 4 of the 6 raters called the tuple a stereotype and mean offensiveness >= 1.
    Negative: the same templates with tuples rated non-offensive (score < 0, e.g. "generous"),
    so the template wording itself carries no signal. Identities are split by hash (80/10/10); test
    identities use templates never seen in training.
    """
    rnd = random.Random(seed)
    rows = []
    for r in _read(data_dir / "seegull" / "stereotypes_global_v2.csv"):
        try:
            off = float(r["mean offensiveness_score"])
        except ValueError:
            continue
        stereo = int(r["region_stereo"]) + int(r["NA_stereo"])
        if stereo >= 4 and off >= 1.0:
            y = 1
        elif off < 0:
            y = 0
        else:
            continue
        split = hash_split("seegull:" + r["identity"])
        tmpl = rnd.choice(SEEGULL_TEMPLATES["test" if split == "test" else "train"])
        rows.append(Row(tmpl.format(i=r["identity"], a=r["attribute"]), y, "seegull", split))
    rows = dedupe(rows)
    pos = [r for r in rows if r.label == 1]
    neg = cap([r for r in rows if r.label == 0], len(pos), seed + 2)
    return pos + neg


# ---------------------------------------------------------------- evaluation-only sets
def wiki_testsets(data_dir: Path) -> dict[str, list[Row]]:
    out = {}
    for name in ("nonfuzzed", "fuzzed"):
        p = data_dir / "conversationai-bias" / f"toxicity_{name}_testset.csv"
        out[f"wiki_{name}"] = [
            Row(r["comment"].strip(), int(r["toxic"] == "True"), f"wiki_{name}", "test")
            for r in _read(p)
        ]
    return out


def identity_templates(
    data_dir: Path, seed: int, per_term: int = 30
) -> tuple[list[tuple[str, str, int]], list[str]]:
    """(term, phrase, toxic) samples from en_sentence_templates.csv, ``per_term`` of each class."""
    base = data_dir / "conversationai-bias"
    terms = [r["word"] for r in _read(base / "template_inputs" / "words.csv") if r["type"] == "identity"]
    pats = {t: re.compile(rf"(?<![\w-]){re.escape(t)}(?![\w-])", re.I) for t in terms}
    buckets: dict[tuple[str, int], list[str]] = {}
    for r in _read(base / "en_sentence_templates.csv"):
        phrase, y = r["phrase"], int(r["toxicity"] == "toxic")
        for t, p in pats.items():
            if p.search(phrase):
                buckets.setdefault((t, y), []).append(phrase)
    rnd = random.Random(seed)
    out = []
    for (t, y), phrases in sorted(buckets.items()):
        for ph in rnd.sample(phrases, min(per_term, len(phrases))):
            out.append((t, ph, y))
    return out, terms


# ---------------------------------------------------------------- own neutral identity mentions
# Written for GuardStream (project licence). Terms and sentence frames were written independently of
# the conversationai templates; they counter the slur-driven "identity word => toxic" shortcut that
# Davidson-style tweets teach. Label 0 for both heads.
OWN_IDENTITY_TERMS = (
    "gay", "lesbian", "bisexual", "queer", "transgender", "trans", "nonbinary", "homosexual",
    "heterosexual", "straight", "lgbtq", "black", "white", "asian", "latino", "hispanic", "african",
    "african american", "mexican", "chinese", "indian", "arab", "native american", "jewish", "muslim",
    "christian", "catholic", "hindu", "buddhist", "sikh", "atheist", "immigrant", "refugee", "deaf",
    "blind", "disabled", "autistic", "wheelchair-using", "older", "young", "female", "male",
)
OWN_NEUTRAL_FRAMES = (
    "My neighbour is {t} and she grows the best tomatoes on our street.",
    "As a {t} person, I found the documentary about city planning really interesting.",
    "The {t} community centre is hosting a book fair this Saturday.",
    "He is {t} and works as a nurse at the children's hospital.",
    "Our team lead, who is {t}, organised the quarterly planning meeting.",
    "I am {t} and I love hiking in the mountains with my dog.",
    "The article profiles three {t} entrepreneurs who started bakeries.",
    "Being {t} is just one part of who I am.",
    "A {t} student won the regional chess tournament yesterday.",
    "Can you recommend novels by {t} authors for our reading group?",
    "The survey asked {t} respondents about public transport in their town.",
    "My {t} friend helped me move apartments last weekend.",
    "The museum opened an exhibition about {t} history and art.",
    "She is a proud {t} woman and a talented software engineer.",
    "The podcast interviewed a {t} teacher about classroom technology.",
    "We welcomed two {t} volunteers to the food bank this month.",
    "Please write a short, kind birthday message for my {t} colleague.",
    "The clinic offers services in several languages for {t} families.",
    "What holidays do {t} people in my city usually celebrate?",
    "The {t} couple next door invited us over for dinner.",
)


def own_identity_mentions(seed: int, n: int = 700) -> list[Row]:
    """Neutral sentences mentioning identity groups; split by frame (frames 0-15 train, 16-17 dev, 18-19 test)."""
    rows = []
    for f, frame in enumerate(OWN_NEUTRAL_FRAMES):
        split = "train" if f < 16 else ("dev" if f < 18 else "test")
        for t in OWN_IDENTITY_TERMS:
            rows.append(Row(frame.format(t=t), 0, "own_identity_neutral", split))
    return cap(rows, n, seed)
