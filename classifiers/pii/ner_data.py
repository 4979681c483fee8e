"""The NER training and development sentences shared by both token-tagger trainers.

Both the token head on the classifier encoder (:mod:`classifiers.train_token_head`) and the head over
Rampart's hidden states (:mod:`classifiers.pii.train_ner_head`) learn PERSON / LOCATION /
ORGANIZATION from the same files, never an evaluation split of ``bench.pii_compare``.
"""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from classifiers.pii.tags import TAGS

#: Training files (under the datasets directory): wnut17 train (CC BY 4.0), broad-twitter-corpus sections
#: A, B, E, G, H (CC BY 4.0), sec-filings FIN5 (CC BY 3.0), CrossNER train + dev of five domains (MIT) and
#: Re-DocRED dev (MIT).
TRAIN_FILES = (
    "wnut17/wnut17train.spans.jsonl",
    *(f"broad-twitter-corpus/{s}.spans.jsonl" for s in "abegh"),
    "sec-filings-ner/FIN5.spans.jsonl",
    *(f"crossner/{d}_{split}.spans.jsonl" for d in ("politics", "literature", "music", "science", "ai")
      for split in ("train", "dev")),
    "redocred/dev_revised.spans.jsonl",
)
#: Development file: picks the epoch.
DEV_FILES = ("wnut17/emerging.dev.spans.jsonl",)

#: Dataset labels -> our entity types (labels not listed are not names of people, places or organisations).
LABEL_MAP = {
    "person": "PERSON", "PER": "PERSON", "politician": "PERSON", "writer": "PERSON", "scientist": "PERSON",
    "musicalartist": "PERSON", "researcher": "PERSON",
    "location": "LOCATION", "LOC": "LOCATION", "country": "LOCATION",
    "corporation": "ORGANIZATION", "group": "ORGANIZATION", "ORG": "ORGANIZATION", "organisation": "ORGANIZATION",
    "politicalparty": "ORGANIZATION", "university": "ORGANIZATION", "band": "ORGANIZATION",
}


def read_rows(data_dir: Path, files: tuple[str, ...], limit_per_file: int | None) -> list[dict[str, Any]]:
    """``{"text", "spans": [(start, end, type)]}`` rows of ``files``; at most ``limit_per_file`` of each,
    a fixed-seed sample."""
    rows = []
    for name in files:
        with open(data_dir / name, encoding="utf-8") as fh:
            part = [json.loads(line) for line in fh]
        random.Random(7).shuffle(part)
        for row in part[:limit_per_file]:
            spans = [(s["start"], s["end"], LABEL_MAP[s["label"]]) for s in row["spans"] if s["label"] in LABEL_MAP]
            rows.append({"text": row["text"], "spans": spans})
    return rows


def word_tags(enc: Any, spans: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """(token index, tag id) for the first sub-token of each word."""
    out, last = [], None
    for t, (word, (start, end)) in enumerate(zip(enc.word_ids, enc.offsets)):
        if word is None or word == last or end <= start:
            continue
        last = word
        tag = "O"
        for s, e, kind in spans:
            if s <= start < e:
                tag = ("B-" if start == s else "I-") + kind
                break
        out.append((t, TAGS.index(tag)))
    return out
