"""Chaos run: steady traffic through the real stack while the worker is SIGKILLed and the search server
is stopped; then reconcile what was produced with what Elasticsearch holds.

    .venv/bin/python -m bench.chaos                      # full run: 3,000 events, 3 kills, 20 s outage
    .venv/bin/python -m bench.chaos --events 240 --rate 4 --kills 2 --outage 5   # what `make test` runs

Prints a table and writes bench/results/chaos.json. Missing and duplicated must both be 0.
"""
from __future__ import annotations

import argparse
import json
import platform
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from elasticsearch.helpers import scan

from pipeline.elastic import sync_client
from pipeline.harness import Harness
from pipeline.kafka_io import produce_lines

TEXTS = ["Thanks, that fixed the build.", "Please send the invoice to ops@example.com.",
         "You are a useless idiot.", "The meeting is moved to Friday.", "Reset my password please."]


@dataclass
class Fault:
    kind: str
    started_s: float
    ended_s: float = 0.0
    recovered_s: float | None = None  # from the end of the fault until everything produced before it is in


@dataclass
class Report:
    events: int
    bad_records: int
    produced: int = 0
    indexed: int = 0
    dead_lettered: int = 0
    missing: int = 0
    duplicated: int = 0
    worker_starts: int = 0
    faults: list[Fault] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def max_recovery_s(self) -> float | None:
        times = [f.recovered_s for f in self.faults if f.recovered_s is not None]
        return max(times) if times else None


def _event(i: int) -> bytes:
    if i % 50 == 49:  # a steady trickle of records the worker must dead-letter, not lose
        return b'{"event_id": "chaos-%06d", "kind": "nonsense"}' % i
    doc = {"event_id": f"chaos-{i:06d}", "@timestamp": datetime.now(timezone.utc).isoformat(),
           "kind": "response" if i % 2 else "prompt", "app": f"chaos-app-{i % 3}", "model": "m",
           "text": TEXTS[i % len(TEXTS)]}
    return json.dumps(doc).encode()


def _accounted(h: Harness) -> int:
    es = sync_client(h.config.elasticsearch)
    ix = h.config.elasticsearch
    try:
        es.indices.refresh(index=f"{ix.verdicts_index},{ix.dead_letters_index}")
        return (es.count(index=ix.verdicts_index)["count"] + es.count(index=ix.dead_letters_index)["count"])
    except Exception:  # noqa: BLE001 - the search server may be the fault right now
        return -1


def run(events: int = 3000, rate: float = 60.0, kills: int = 3, outage_s: float = 20.0,
        log=print) -> Report:
    bad = sum(1 for i in range(events) if i % 50 == 49)
    report = Report(events=events, bad_records=bad)
    started = time.monotonic()
    with Harness(overrides={"worker": {"max_batch": 32, "batch_within_s": 0.2}}) as h:
        h.start_worker()
        produced = [0]

        def producer() -> None:
            def paced():
                for i in range(events):
                    time.sleep(max(0.0, started_prod + i / rate - time.monotonic()))
                    produced[0] = i + 1
                    yield _event(i)
            produce_lines(paced(), h.config.kafka)

        started_prod = time.monotonic()
        thread = threading.Thread(target=producer, daemon=True)
        thread.start()
        duration = events / rate
        # Faults spread over the production time, the outage first: each fault waits for the catch-up
        # after the one before, and records must still be flowing when the search server goes away.
        kinds = ["search_outage"] + ["sigkill"] * kills
        plan = [(kind, duration * (k + 1) / (len(kinds) + 1)) for k, kind in enumerate(kinds)]
        for kind, at in plan:
            time.sleep(max(0.0, started_prod + at - time.monotonic()))
            fault = Fault(kind, started_s=time.monotonic() - started)
            if kind == "sigkill":
                h.kill_worker()
                log(f"  {fault.started_s:6.1f}s  SIGKILL worker ({produced[0]} produced)")
                time.sleep(1.0)
                h.start_worker(wait_ready=False)
            else:
                h.stop_search()
                log(f"  {fault.started_s:6.1f}s  search server stopped for {outage_s:.0f}s")
                time.sleep(outage_s)
                h.start_search()
            fault.ended_s = time.monotonic() - started
            report.faults.append(fault)
            target = produced[0]
            try:
                h.wait_for(lambda: _accounted(h) >= target, timeout_s=300, what="catch-up", every_s=0.5)
                fault.recovered_s = time.monotonic() - started - fault.ended_s
                log(f"  {time.monotonic() - started:6.1f}s  caught up with {target} after {fault.kind}"
                    f" in {fault.recovered_s:.1f}s")
            except TimeoutError:
                log(f"  did not catch up after {fault.kind}")
        thread.join()
        report.produced = produced[0]
        try:
            h.wait_for(lambda: _accounted(h) >= report.produced, timeout_s=300, what="all accounted")
        except TimeoutError:
            log("  not everything was accounted for within 300 s; reconciling what is there")
        time.sleep(2.0)  # let in-flight replays land so duplicates would show
        _reconcile(h, report)
        report.worker_starts = h.worker_starts
    report.wall_s = time.monotonic() - started
    return report


def _reconcile(h: Harness, report: Report) -> None:
    es = sync_client(h.config.elasticsearch)
    ix = h.config.elasticsearch
    es.indices.refresh(index=f"{ix.verdicts_index},{ix.dead_letters_index}")
    verdict_ids = Counter(d["_source"]["event"]["id"] for d in scan(es, index=ix.verdicts_index,
                                                                   query={"query": {"match_all": {}}}))
    letters = Counter(d["_source"]["event"].get("id") or d["_id"] for d in scan(
        es, index=ix.dead_letters_index, query={"query": {"match_all": {}}}))
    expected = {f"chaos-{i:06d}" for i in range(report.produced)}
    report.indexed = len(verdict_ids)
    report.dead_lettered = len(letters)
    report.missing = len(expected - set(verdict_ids) - set(letters))
    report.duplicated = sum(n - 1 for n in verdict_ids.values()) + sum(n - 1 for n in letters.values())


def print_report(report: Report) -> None:
    rows = [("produced", report.produced), ("indexed", report.indexed),
            ("dead-lettered", f"{report.dead_lettered} (of {report.bad_records} bad records sent)"),
            ("missing", report.missing), ("duplicated documents", report.duplicated),
            ("worker starts", report.worker_starts),
            ("max recovery after a fault", f"{report.max_recovery_s:.1f} s" if report.max_recovery_s else "-"),
            ("wall time", f"{report.wall_s:.0f} s")]
    for fault in report.faults:
        rows.append((f"  {fault.kind} at {fault.started_s:.0f}s", f"recovered in {fault.recovered_s:.1f} s"
                     if fault.recovered_s is not None else "did not recover"))
    width = max(len(r[0]) for r in rows)
    print(f"chaos run on {platform.node()} ({platform.processor() or platform.machine()}, "
          f"{__import__('os').cpu_count()} cores)")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=60.0, help="events per second produced")
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs of the worker")
    parser.add_argument("--outage", type=float, default=20.0, help="seconds the search server is down")
    parser.add_argument("--out", type=Path, default=Path("bench/results/chaos.json"))
    args = parser.parse_args(argv)
    report = run(args.events, args.rate, args.kills, args.outage)
    print_report(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({**asdict(report), "max_recovery_s": report.max_recovery_s}, indent=2))
    return 0 if report.missing == 0 and report.duplicated == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
