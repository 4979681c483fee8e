"""Presidio's own recognizer test cases run through GuardStream's pattern detector.

    .venv/bin/python -m bench.presidio_cases --presidio-dir /tmp/presidio/presidio-analyzer
    .venv/bin/python -m bench.presidio_cases --presidio-dir PATH --json /tmp/presidio_cases.json --show-misses

``--presidio-dir`` is a local checkout of presidio-analyzer (MIT, github.com/microsoft/presidio); its
``tests/test_*_recognizer.py`` files are read with :mod:`ast` at run time (never imported, nothing of them
is copied here). Each ``pytest.mark.parametrize`` list whose columns include ``text`` (or ``iban``) and
``expected_len`` is one set of cases: the expected spans are ``expected_positions`` / ``expected_res`` /
``expected_position``, the entity is the file's ``entities`` fixture or the row's ``entities`` column.

Rules (printed with the figures):

* A positive span counts as found when GuardStream reports the mapped type on a span that covers it after
  quotes and white space are trimmed from the ends of Presidio's span (Presidio's URL cases include the
  quotes around a URL); exact matches are counted as well.
* Weak expectations: spans whose expected Presidio score (the low end of ``expected_score_ranges``, or
  ``expected_score`` / ``score``) is below 0.4 are what Presidio itself marks as a guess ("very weak",
  "weak" in its comments: a bare nine-digit number as a passport). GuardStream needs a context word for
  those by design; they are reported apart and not in the target figure.
* A negative case (``expected_len`` 0) is flagged when GuardStream reports the mapped type anywhere in its
  text; findings of other types on negatives are listed too (``--show-misses``).
* Rows with a ``leniency`` column other than Presidio's default (1) test a Presidio option GuardStream does
  not have and are skipped; identical cases are counted once.

Detector: ``PiiDetector.from_config(PiiConfig(ner="none"))``, i.e. the default configuration's patterns
(phone regions included) without an NER tagger.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import machine, machine_line, write_json
from bench.presidio_tests_ast import PRESIDIO_DEFAULT_LENIENCY, Case, parse_cases

#: Expected scores below this are Presidio's own "weak" guesses (see the module docstring).
WEAK_BELOW = 0.4

#: Test file (without ``test_`` and ``_recognizer.py``) -> Presidio entity -> GuardStream type.
IN_SCOPE: dict[str, dict[str, str]] = {
    "aba_routing": {"ABA_ROUTING_NUMBER": "US_BANK_ROUTING"},
    "credit_card": {"CREDIT_CARD": "CREDIT_CARD"},
    "crypto": {"CRYPTO": "CRYPTO_WALLET"},
    "email": {"EMAIL_ADDRESS": "EMAIL"},
    "iban": {"IBAN_CODE": "IBAN"},
    "ip": {"IP_ADDRESS": "IP_ADDRESS"},
    "mac": {"MAC_ADDRESS": "MAC_ADDRESS"},
    "phone": {"PHONE_NUMBER": "PHONE"},
    "url": {"URL": "URL"},
    "us_bank": {"US_BANK_NUMBER": "BANK_ACCOUNT"},
    "us_driver_license": {"US_DRIVER_LICENSE": "US_DRIVER_LICENSE"},
    "us_itin": {"US_ITIN": "TAX_ID"},
    "us_passport": {"US_PASSPORT": "US_PASSPORT"},
    "us_ssn": {"US_SSN": "US_SSN"},
    "uk_nino": {"UK_NINO": "NATIONAL_ID"},
    "uk_nhs": {"UK_NHS": "UK_NHS"},
    "certificate_number": {"MEDICAL_LICENSE": "MEDICAL_LICENSE"},
}

_COUNTRY = "an identifier of a country GuardStream does not claim (no recognizer, not in docs/pii.md)"
_NER = "an NER model or remote service; this bench runs patterns only (ner: none)"
#: Recognizer test files left out, with the reason. Files in neither table are reported as unlisted.
OUT_OF_SCOPE: dict[str, str] = {
    **{name: _COUNTRY for name in (
        "au_abn", "au_acn", "au_medicare", "au_tfn", "ca_sin", "de_bsnr", "de_fuehrerschein",
        "de_handelsregister", "de_health_insurance", "de_id_card", "de_kfz", "de_lanr", "de_passport", "de_plz",
        "de_social_security", "de_tax_id", "de_tax_number", "de_vat_id", "es_nie", "es_nif", "es_passport",
        "fi_personal_identity_code", "in_aadhaar", "in_gstin", "in_pan", "in_passport", "in_vehicle_registration",
        "in_voter", "it_driver_license", "it_fiscal_code", "it_identity_card", "it_passport", "it_vat_code",
        "kr_brn", "kr_driver_license", "kr_frn", "kr_passport", "kr_rrn", "ng_nin", "ng_vehicle_registration",
        "ph_tin", "pl_pesel", "se_organisationsnummer", "se_personnummer", "sg_fin", "sg_uen", "th_tnin",
        "tr_license_plate", "tr_national_id", "uk_driving_licence", "uk_passport", "uk_postcode",
        "uk_vehicle_registration", "us_mbi", "us_npi", "za_id_number")},
    "ph_mobile_number": "a country-specific phone format (PH) outside the default phone_regions; "
                        "add PH to classifiers.pii.phone_regions to read them",
    "tr_phone_number": "a country-specific phone format (TR) outside the default phone_regions; "
                       "add TR to classifiers.pii.phone_regions to read them",
    "date": "dates alone are not PII here; GuardStream reports DATE_OF_BIRTH only next to birth words",
    **{name: _NER for name in ("spacy", "stanza", "transformers", "gliner", "huggingface_ner", "medical_ner",
                               "ahds", "azure_ai_language", "azure_openai_langextract", "basic_langextract", "lm")},
    **{name: "tests of Presidio's framework, not of a recognizer's cases" for name in (
        "entity", "pattern", "recognizer_registry", "recognizer_registry_provider", "recognizers_loader_utils",
        "yaml_recognizer_models", "ahds_recognizer_credential_selection")},
}

_QUOTES = " \t\n\"'`"


@dataclass
class Tally:
    """Figures of one recognizer file."""

    firm: int = 0
    firm_found: int = 0
    firm_exact: int = 0
    weak: int = 0
    weak_found: int = 0
    negatives: int = 0
    negatives_flagged: int = 0
    skipped_rows: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _QUOTES:
        start += 1
    while end > start and text[end - 1] in _QUOTES:
        end -= 1
    return start, end


def score_file(cases: list[Case], mapping: dict[str, str], found: list[list[Any]], tally: Tally,
               name: str) -> None:
    """Add one file's cases to ``tally`` given GuardStream's findings per case."""
    ours = set(mapping.values())
    for case, findings in zip(cases, found):
        got = [(e.start, e.end, e.type) for e in findings]
        if case.expected_len == 0:
            tally.negatives += 1
            flagged = [g for g in got if g[2] in ours]
            tally.negatives_flagged += bool(flagged)
            if got:
                tally.misses.append({"file": name, "line": case.line, "kind": "negative",
                                     "flagged": bool(flagged), "found": got})
            continue
        used: set[tuple[int, int, str]] = set()
        spans = list(case.spans) + [(-1, -1, case.spans[0][2] if case.spans else next(iter(mapping)), None)] * max(
            0, case.expected_len - len(case.spans))  # rows that give a count without positions
        for start, end, entity, score in spans:
            kind = mapping.get(entity)
            if kind is None:
                continue
            weak = score is not None and score < WEAK_BELOW
            if start < 0:  # no position given: any unused finding of the type
                hit = next((g for g in got if g[2] == kind and g not in used), None)
                exact = hit is not None
            else:
                s, e = _trimmed(case.text, start, end)
                hit = next((g for g in got if g[2] == kind and g[0] <= s and g[1] >= e and g not in used), None)
                exact = hit is not None and (hit[0], hit[1]) == (start, end)
            if hit is not None:
                used.add(hit)
            if weak:
                tally.weak += 1
                tally.weak_found += hit is not None
            else:
                tally.firm += 1
                tally.firm_found += hit is not None
                tally.firm_exact += exact
            if hit is None:
                tally.misses.append({"file": name, "line": case.line, "kind": "weak" if weak else "positive",
                                     "expected": [start, end, kind], "found": got})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presidio-dir", type=Path, required=True,
                        help="a checkout of presidio-analyzer (the folder holding tests/)")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure to this JSON file")
    parser.add_argument("--phone-regions", default=None,
                        help="comma-separated region codes instead of the default classifiers.pii.phone_regions")
    parser.add_argument("--show-misses", action="store_true",
                        help="print every missed span and every finding on a negative case (with Presidio's text)")
    args = parser.parse_args(argv)
    root = args.presidio_dir
    if not (root / "tests").is_dir() and (root / "presidio-analyzer" / "tests").is_dir():
        root = root / "presidio-analyzer"  # the repository root was given
    tests = root / "tests"
    if not tests.is_dir():
        parser.error(f"{tests} is not a directory; pass the presidio-analyzer folder of a Presidio checkout")
    revision = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=False).stdout.strip() or None

    from classifiers.pii import PiiDetector
    from schemas.config import PiiConfig

    overrides = {"phone_regions": args.phone_regions.split(",")} if args.phone_regions else {}
    config = PiiConfig(ner="none", **overrides)
    detector = PiiDetector.from_config(config).load()
    info = machine()
    tallies: dict[str, Tally] = {}
    unlisted: list[str] = []
    started = time.perf_counter()
    texts_run = 0
    for path in sorted(tests.glob("test_*_recognizer.py")):
        name = path.name[len("test_"):-len("_recognizer.py")]
        if name not in IN_SCOPE:
            if name not in OUT_OF_SCOPE:
                unlisted.append(name)
            continue
        cases, skipped = parse_cases(path)
        tally = tallies.setdefault(name, Tally())
        tally.skipped_rows += skipped
        found = detector.detect([c.text for c in cases])
        texts_run += len(cases)
        score_file(cases, IN_SCOPE[name], found, tally, name)
    elapsed = time.perf_counter() - started

    print(f"Presidio recognizer test cases through GuardStream patterns ({detector.name} revision "
          f"{detector.revision}; phone_regions {','.join(config.phone_regions)})")
    print("found = the mapped type on a span covering Presidio's (quotes trimmed); weak = Presidio's expected "
          f"score < {WEAK_BELOW} (not in the target)\n")
    print("| recognizer | Presidio -> ours | positives found | exact | weak found | negatives flagged |")
    print("|---|---|---|---|---|---|")
    total = Tally()
    for name, t in tallies.items():
        mapping = ", ".join(f"{k} -> {v}" for k, v in IN_SCOPE[name].items())
        print(f"| {name} | {mapping} | {t.firm_found}/{t.firm} | {t.firm_exact} | {t.weak_found}/{t.weak} | "
              f"{t.negatives_flagged}/{t.negatives} |")
        for attr in ("firm", "firm_found", "firm_exact", "weak", "weak_found", "negatives", "negatives_flagged",
                     "skipped_rows"):
            setattr(total, attr, getattr(total, attr) + getattr(t, attr))
    pct = lambda a, b: 100.0 * a / b if b else 0.0  # noqa: E731
    print(f"| **all** | | **{total.firm_found}/{total.firm} ({pct(total.firm_found, total.firm):.1f} %)** | "
          f"{total.firm_exact} ({pct(total.firm_exact, total.firm):.1f} %) | {total.weak_found}/{total.weak} | "
          f"**{total.negatives_flagged}/{total.negatives} ({pct(total.negatives_flagged, total.negatives):.1f} %)** |")
    print(f"\nrows skipped (other leniency / not literal): {total.skipped_rows}; {texts_run} texts in {elapsed:.2f} s")
    print("out of scope: " + "; ".join(f"{reason}: {', '.join(sorted(n for n, r in OUT_OF_SCOPE.items() if r == reason))}"
                                       for reason in dict.fromkeys(OUT_OF_SCOPE.values())))
    if unlisted:
        print(f"unlisted recognizer tests (neither in scope nor out): {', '.join(unlisted)}")
    print(f"Presidio tests read from {tests}" + (f" (commit {revision})" if revision else ""))
    print(f"machine: {machine_line(info)}")
    if args.show_misses:
        print("\nmisses and findings on negatives:")
        for name, t in tallies.items():
            cases = {c.line: c for c in parse_cases(tests / f"test_{name}_recognizer.py")[0]}
            for miss in t.misses:
                text = cases[miss["line"]].text if miss["line"] in cases else "?"
                print(f"  {name}:{miss['line']} {miss['kind']:<8} {text[:90]!r} expected {miss.get('expected')} "
                      f"found {miss['found']}")
    # No Presidio text goes into the JSON: only file names, line numbers and offsets.
    write_json(args.json, {
        "machine": info, "command": " ".join(["python -m bench.presidio_cases", *(argv if argv is not None else sys.argv[1:])]),
        "presidio_revision": revision,
        "detector": {"name": detector.name, "revision": detector.revision, "phone_regions": config.phone_regions},
        "rules": {"match": "mapped type on a span covering the expected span after trimming quotes/white space",
                  "weak_below": WEAK_BELOW, "skipped_leniency_other_than": PRESIDIO_DEFAULT_LENIENCY},
        "recognizers": {name: {"mapping": IN_SCOPE[name], **{k: v for k, v in vars(t).items()}}
                        for name, t in tallies.items()},
        "total": {k: v for k, v in vars(total).items() if k != "misses"} | {
            "found_pct": round(pct(total.firm_found, total.firm), 2),
            "negatives_flagged_pct": round(pct(total.negatives_flagged, total.negatives), 2)},
        "out_of_scope": OUT_OF_SCOPE, "unlisted": unlisted,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
