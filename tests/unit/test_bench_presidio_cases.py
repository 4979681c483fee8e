"""bench.presidio_cases: parsing Presidio-style parametrized test files with ast, and the scoring rules.

The test file below is written here in Presidio's layout with made-up values; no Presidio file is read.
"""
from __future__ import annotations

import json
from pathlib import Path

from bench.presidio_cases import Tally, main, score_file
from bench.presidio_tests_ast import parse_cases
from schemas.event import PiiEntity

SAMPLE = '''
import pytest


@pytest.fixture(scope="module")
def entities():
    return ["EMAIL_ADDRESS"]


@pytest.mark.parametrize(
    "text, expected_len, expected_positions, expected_score_ranges",
    [
        ("write to ann@example.org now", 1, ((9, 24),), ((0.5, 1.0),)),
        ("'ann@example.org'", 1, ((0, 17),), ((0.5, 1.0),)),
        ("maybe bob@example.org", 1, ((6, 21),), ((0.0, 0.1),)),
        ("no address here", 0, (), ()),
        ("no address here", 0, (), ()),
        (f"mail cy@example.org", 1, ((5, 19),), ((0.5, "max"),)),
        ("two: a@example.org b@example.org", 2, (), ()),
        (SOME_NAME, 0, (), ()),
    ],
)
def test_emails(text, expected_len, expected_positions, expected_score_ranges):
    pass


@pytest.mark.parametrize(
    "text, expected_len, entities, expected_positions, score, leniency",
    [
        ("only with another leniency 415-555-2671", 1, ["EMAIL_ADDRESS"], ((27, 39),), 0.4, 0),
    ],
)
def test_leniency(text, expected_len, entities, expected_positions, score, leniency):
    pass
'''


def write_sample(root: Path) -> Path:
    tests = root / "tests"
    tests.mkdir(parents=True)
    path = tests / "test_email_recognizer.py"
    path.write_text(SAMPLE)
    return path


def test_parse_cases_reads_literals_dedupes_and_skips(tmp_path):
    cases, skipped = parse_cases(write_sample(tmp_path))
    assert skipped == 2   # a row naming a variable; a row with another leniency
    assert [c.text for c in cases] == ["write to ann@example.org now", "'ann@example.org'", "maybe bob@example.org",
                                       "no address here", "mail cy@example.org", "two: a@example.org b@example.org"]
    assert cases[0].spans == [(9, 24, "EMAIL_ADDRESS", 0.5)]
    assert cases[2].spans[0][3] == 0.0                          # a weak expectation
    assert cases[4].spans == [(5, 19, "EMAIL_ADDRESS", 0.5)]    # an f-string without placeholders
    assert cases[5].expected_len == 2 and cases[5].spans == []  # a count without positions


def ent(start: int, end: int, kind: str = "EMAIL") -> PiiEntity:
    return PiiEntity(type=kind, start=start, end=end, score=0.9, recognizer="t")


def test_scoring_rules(tmp_path):
    cases, _ = parse_cases(write_sample(tmp_path))
    found = [
        [ent(9, 24)],                      # exact
        [ent(1, 16)],                      # inside the quotes Presidio's span includes: found, not exact
        [],                                # the weak one missed: not in the target figure
        [ent(0, 2, "PHONE")],              # a negative with another type: listed, not flagged
        [ent(4, 20)],                      # covers the expected span
        [ent(5, 18), ent(19, 32)],         # two findings for a count of two
    ]
    tally = Tally()
    score_file(cases, {"EMAIL_ADDRESS": "EMAIL"}, found, tally, "email")
    # exact: (9, 24) and the two of the count (no position to differ from); not the quoted or covering ones
    assert (tally.firm, tally.firm_found, tally.firm_exact) == (5, 5, 3)
    assert (tally.weak, tally.weak_found) == (1, 0)
    assert (tally.negatives, tally.negatives_flagged) == (1, 0)
    flagged = Tally()
    score_file(cases[3:4], {"EMAIL_ADDRESS": "EMAIL"}, [[ent(0, 2)]], flagged, "email")
    assert flagged.negatives_flagged == 1


def test_main_runs_the_detector_and_writes_json_without_texts(tmp_path, capsys):
    write_sample(tmp_path / "presidio-analyzer")
    out = tmp_path / "r.json"
    assert main(["--presidio-dir", str(tmp_path), "--json", str(out)]) == 0   # the repository root works too
    printed = capsys.readouterr().out
    assert "| email | EMAIL_ADDRESS -> EMAIL | 5/5 |" in printed
    report = json.loads(out.read_text())
    assert report["total"]["found_pct"] == 100.0 and report["total"]["negatives_flagged_pct"] == 0.0
    assert "example.org" not in out.read_text()   # offsets and line numbers only, never a test string
    assert report["machine"]["cores"] >= 1 and report["detector"]["phone_regions"][0] == "US"
