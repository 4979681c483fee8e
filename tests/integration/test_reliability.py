"""Faults and hostile input on the real stack at a small scale.

Full runs are documented commands: `python -m bench.chaos` (3,000 events, 3 SIGKILLs, a 20 s search
outage) and `python -m bench.fuzz`.
"""
from __future__ import annotations

import pytest

from bench import chaos, fuzz

pytestmark = pytest.mark.integration


def test_generated_hostile_records_are_all_dead_lettered_and_the_worker_survives():
    report = fuzz.run(records=160, seed=5)
    assert report.worker_crashes == 0
    assert report.dead_lettered == 160 and report.indexed_as_verdicts == 0
    assert set(report.by_reason) <= {"invalid_utf8", "malformed_json", "schema_violation"}


def test_sigkills_and_a_search_outage_lose_nothing_and_double_nothing():
    report = chaos.run(events=240, rate=4.0, kills=2, outage_s=5.0)
    chaos.print_report(report)  # shown with -s or on failure
    assert report.produced == 240 and report.worker_starts == 3
    assert report.missing == 0 and report.duplicated == 0
    assert report.dead_lettered == report.bad_records
    assert report.indexed == report.produced - report.bad_records
    assert sorted(f.kind for f in report.faults) == ["search_outage", "sigkill", "sigkill"]
    assert all(f.recovered_s is not None for f in report.faults), report.faults

