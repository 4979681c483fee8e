"""Fault injection on the real stack at a small scale (the full runs: `python -m bench.chaos`, `bench.fuzz`)."""
from __future__ import annotations

import pytest

from bench import chaos, fuzz

pytestmark = pytest.mark.integration


def test_chaos_kills_and_an_outage_lose_nothing_and_double_nothing():
    report = chaos.run(events=240, rate=40.0, kills=2, outage_s=4.0, log=lambda *_: None)
    chaos.print_report(report)
    assert report.produced == 240
    assert report.missing == 0
    assert report.duplicated == 0
    assert report.dead_lettered == report.bad_records and report.indexed == 240 - report.bad_records
    assert report.worker_starts == 3 and all(f.recovered_s is not None for f in report.faults)


def test_generated_hostile_records_are_all_dead_lettered_and_the_worker_survives():
    report = fuzz.run(records=160, seed=5)
    assert report.worker_crashes == 0
    assert report.dead_lettered == 160 and report.indexed_as_verdicts == 0
    assert set(report.by_reason) <= {"invalid_utf8", "malformed_json", "schema_violation"}
