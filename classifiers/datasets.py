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


#: Short neutral mentions (a chat line, not a paragraph), with their split. An encoder fine-tuned on tweets
#: learnt that a short text naming a group ("I am queer") is hateful, which long frames alone did not
#: unteach. None of these repeats a form of the conversationai templates used to measure exactly that
#: ("I am X", "Being X is ...", "NAME is a ... X", "<verb> X", "You are a ... X").
OWN_SHORT_NEUTRAL_FRAMES = (
    ("Proud to be {t}.", "train"), ("We are {t} and we live here.", "train"), ("Hi, {t} person here.", "train"),
    ("{t} and happy.", "train"), ("My partner is {t}.", "train"), ("Our new neighbours are {t}.", "train"),
    ("Any {t} readers here?", "train"), ("Tell me about {t} history.", "train"),
    ("Is it okay to say I'm {t}?", "train"), ("So happy for my {t} cousin!", "train"),
    ("Support {t} artists.", "dev"), ("Just met a {t} writer.", "dev"),
    ("Welcome, {t} friends!", "test"), ("Meet our {t} mentors.", "test"),
)


def own_identity_mentions(seed: int, n: int = 700) -> list[Row]:
    """Neutral sentences mentioning identity groups, split by frame: ``n`` of the long frames (0-15 train,
    16-17 dev, 18-19 test) and every short one (``OWN_SHORT_NEUTRAL_FRAMES``, split as listed)."""
    rows = []
    for f, frame in enumerate(OWN_NEUTRAL_FRAMES):
        split = "train" if f < 16 else ("dev" if f < 18 else "test")
        for t in OWN_IDENTITY_TERMS:
            rows.append(Row(frame.format(t=t), 0, "own_identity_neutral", split))
    short = [Row(frame.format(t=t), 0, "own_identity_neutral", split)
             for frame, split in OWN_SHORT_NEUTRAL_FRAMES for t in OWN_IDENTITY_TERMS]
    return cap(rows, n, seed) + short


# ---------------------------------------------------------------- neutral formal / assistant-register negatives
# Clean (label 0 for both heads) text in registers the tweet/forum-heavy sets above lack: customer-service
# requests, legal/financial prose, everyday posts and our own assistant-style prompts and answers.
# Wikipedia-text sets (redocred, crossner) are not read: their text is CC BY-SA (ShareAlike).
_ROUGH = re.compile(
    r"\b(fuck\w*|f\*+k\w*|shit\w*|sh\*t|bitch\w*|ass|asses|asshole\w*|\w+ass|dick\w*|cunt\w*|whore\w*|hoe|hoes|"
    r"slut\w*|nigg\w*|fag\w*|retard\w*|bastard\w*|damn\w*|piss\w*|puss\w*|cock\w*|twat\w*|wank\w*|kill\w*|"
    r"murder\w*|die|dead|death|hate\w*|stupid|idiot\w*|dumb\w*|suck\w*|crap\w*|hell|sex\w*|porn\w*|rape\w*|"
    r"gay|queer|tranny|kys|wtf|stfu|lmfao|motherf\w*|devil|evil|hacker\w*|necrophilia|balls|laid|jealous|"
    r"shout\w*|ugly|fat|loser\w*|drunk|weed|naked)\b",
    re.I,
)


def rough(text: str) -> bool:
    """True if a would-be neutral row has profanity, slurs, violence or other borderline words (then dropped)."""
    return bool(_ROUGH.search(text))


# presidio-synth-pii (MIT). Only templates.txt is read; its placeholders are filled from the neutral fillers
# below (written for this project), never from the data set's Fake Name Generator values (CC BY-SA 3.0 US).
PRESIDIO_FILLERS: dict[str, tuple[str, ...]] = {
    "first_name": ("Alex", "Sam", "Maria", "Chen", "Amir", "Lena", "Tom", "Priti", "Jonas", "Ana"),
    "last_name": ("Miller", "Garcia", "Okafor", "Novak", "Kim", "Silva", "Berg", "Haddad"),
    "city": ("Lisbon", "Toronto", "Osaka", "Denver", "Leeds", "Porto Alegre", "Nairobi", "Utrecht"),
    "country": ("Canada", "Portugal", "Japan", "Kenya", "Norway", "Chile", "New Zealand", "Poland"),
    "nationality": ("Portuguese", "Japanese", "Kenyan", "Norwegian", "Chilean", "Polish", "Canadian"),
    "nation_woman": ("a Portuguese woman", "a Japanese woman", "a Chilean woman"),
    "nation_plural": ("Norwegians", "Kenyans", "Canadians"),
    "street_name": ("Maple", "Harbour", "Station", "Elm", "Mill", "Garden"),
    "building_number": ("12", "48", "305", "7", "1190"),
    "secondary_address": ("Apt. 4", "Suite 210", "Unit 3B", "Floor 2"),
    "postcode": ("10115", "3511", "LS1 4DY", "M5V 2T6"),
    "zipcode": ("80202", "02139", "60614", "94107"),
    "state_abbr": ("CO", "MA", "IL", "CA"),
    "organization": ("Northwind Traders", "Contoso Ltd", "Blue Harbor Bank", "Fabrikam Labs", "Riverside Clinic"),
    "job": ("accountant", "software developer", "nurse", "project manager", "teacher"),
    "credit_card_number": ("4111 1111 1111 1111", "5500 0000 0000 0004", "ending in 4821"),
    "phone_number": ("555-0142", "+1 555 0199", "(555) 010-7788"),
    "email": ("name@example.com", "support@example.org", "j.doe@example.net"),
    "iban": ("GB82 WEST 1234 5698 7654 32", "DE89 3704 0044 0532 0130 00"),
    "ssn": ("000-12-3456",),
    "us_driver_license": ("D1234567",),
    "ip_address": ("192.0.2.10", "198.51.100.7"),
    "url": ("https://example.com/photos", "https://example.org/share/abc"),
    "age": ("34", "52", "27", "61"),
    "year": ("1998", "2004", "2012", "2019"),
    "date_time": ("March 3, 2021", "last Tuesday at 10 am", "12 May 2019"),
    "date_of_birth": ("4 April 1985", "June 12, 1990"),
    "day_of_week": ("Monday", "Thursday", "Saturday"),
    "prefix": ("Mr.", "Ms.", "Dr."),
    "prefix_male": ("Mr.", "Dr."),
    "prefix_female": ("Ms.", "Mrs.", "Dr."),
}
_ALIASES = {
    "person": ("first_name", "last_name"), "name": ("first_name", "last_name"),
    "name_male": ("first_name", "last_name"), "name_female": ("first_name", "last_name"),
    "first_name_male": ("first_name",), "first_name_female": ("first_name",), "first_name_nonbinary": ("first_name",),
    "last_name_male": ("last_name",), "last_name_female": ("last_name",),
    "address": ("building_number", "street_name", "city"),
}
_PLACEHOLDER = re.compile(r"\{\{?(\w+)\}?\}")


def fill_template(template: str, rnd: random.Random) -> str | None:
    """Replace ``{{placeholder}}`` slots with neutral fillers; None if a slot is unknown."""
    out, pos = [], 0
    for m in _PLACEHOLDER.finditer(template):
        key = m.group(1)
        parts = _ALIASES.get(key, (key,))
        if any(p not in PRESIDIO_FILLERS for p in parts):
            return None
        vals = [rnd.choice(PRESIDIO_FILLERS[p]) for p in parts]
        if key == "address":
            vals = [f"{vals[0]} {vals[1]} Street,", vals[2]]
        out += [template[pos : m.start()], " ".join(vals)]
        pos = m.end()
    out.append(template[pos:])
    return "".join(out).replace("\\n", "\n").replace("\\,", ",").strip()


def presidio_templates(data_dir: Path, seed: int, fills: int = 3) -> list[Row]:
    """``fills`` filled copies of every (non-rough) template; split by template so copies stay together."""
    rnd = random.Random(seed)
    rows = []
    for line in (data_dir / "presidio-synth-pii" / "templates.txt").read_text(encoding="utf-8").splitlines():
        tmpl = line.strip()
        if not tmpl or rough(_PLACEHOLDER.sub(" ", tmpl)):
            continue
        split = hash_split("presidio:" + tmpl)
        for _ in range(fills):
            t = fill_template(tmpl, rnd)
            if t:
                rows.append(Row(t, 0, "presidio_templates", split))
    return dedupe(rows)


def _spans_texts(path: Path) -> list[str]:
    import json

    with path.open(encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def sec_filings(data_dir: Path, min_tokens: int = 6) -> list[Row]:
    """Sentences of loan / security agreements (CC BY 3.0), both files; fragments under ``min_tokens`` dropped."""
    base = data_dir / "sec-filings-ner"
    rows = []
    for name in ("FIN5.spans.jsonl", "FIN3.spans.jsonl"):
        for t in _spans_texts(base / name):
            t = " ".join(t.split())
            if len(t.split()) >= min_tokens and not rough(t):
                rows.append(Row(t, 0, "sec_filings", hash_split(t)))
    return dedupe(rows)


def wnut17(data_dir: Path) -> list[Row]:
    """WNUT17 train split (CC BY 4.0) as everyday-post negatives; rows with rough words are dropped."""
    rows = []
    for t in _spans_texts(data_dir / "wnut17" / "wnut17train.spans.jsonl"):
        t = _clean_tweet(t)
        if len(t.split()) >= 4 and not rough(t):
            rows.append(Row(t, 0, "wnut17", hash_split(t)))
    return dedupe(rows)


def own_assistant_neutral() -> list[Row]:
    """Hand-written assistant prompts and answers (own_neutral_text.py); a pair is split by its prompt."""
    from .own_neutral_text import OWN_ASSISTANT_PAIRS

    rows = []
    for prompt, answer in OWN_ASSISTANT_PAIRS:
        split = hash_split("own_assistant:" + prompt)
        rows += [Row(prompt, 0, "own_assistant_neutral", split), Row(answer, 0, "own_assistant_neutral", split)]
    return dedupe(rows)


NEUTRAL_SOURCES = ("presidio_templates", "sec_filings", "wnut17", "own_assistant_neutral")


# ---------------------------------------------------------------- toxic / neutral texts inside neutral formal context
def mix_in_context(
    rows: list[Row], seed: int, n_pos: int = 1500, n_neg: int = 1500, context_sources: tuple[str, ...] = (
        "sec_filings", "presidio_templates", "own_assistant_neutral",
    ), min_words: int = 40, max_words: int = 150,
) -> list[Row]:
    """Rows of the pool placed inside 40-150 words of neutral formal / assistant text of the SAME split.

    The formal negatives above teach "formal register -> clean"; a mean-pooled window that holds an insult
    plus a paragraph of business text then scores low (a toxic tail in a long message is missed). These rows
    keep the label of the inserted text: toxic rows in context -> 1 (``mix_toxic_in_context``), clean rows of
    the other sources in the same contexts -> 0 (``mix_clean_in_context``), so neither length nor context alone
    carries the label. Texts stay under one 254-token window.
    """
    rnd = random.Random(seed + 7)
    ctx: dict[str, list[str]] = {}
    for r in rows:
        if r.source in context_sources:
            ctx.setdefault(r.split, []).append(r.text.replace("\n", " "))
    pos = [r for r in rows if r.label == 1 and r.split in ctx and len(r.text.split()) <= 60]
    neg = [r for r in rows if r.label == 0 and r.split in ctx and r.source not in context_sources
           and r.source not in NEUTRAL_SOURCES and len(r.text.split()) <= 60]
    out = []
    for items, n, src in ((pos, n_pos, "mix_toxic_in_context"), (neg, n_neg, "mix_clean_in_context")):
        for r in rnd.sample(items, min(n, len(items))):
            target, parts = rnd.randint(min_words, max_words), []
            while sum(len(p.split()) for p in parts) < target:
                parts.append(rnd.choice(ctx[r.split]))
            where = rnd.choice(("end", "end", "start", "middle"))
            at = {"end": len(parts), "start": 0, "middle": len(parts) // 2}[where]
            parts.insert(at, r.text)
            out.append(Row(" ".join(parts), r.label, src, r.split))
    return dedupe(out)
