"""End to end through the real stack: events/s sustained and produce-to-indexed latency.

    .venv/bin/python -m bench.e2e                                # 10k events at max rate, then a paced phase
    .venv/bin/python -m bench.e2e --events 2000 --paced-s 0      # shorter, burst only
    .venv/bin/python -m bench.e2e --max-batch 128 --batch-within 0.2 --backend torch

A private embedded stack (noida-db: Kafka + Elasticsearch) on free ports and one worker subprocess
with the default configuration, so every classifier is on (encoder + heads, PII patterns and NER,
masking); ``pipeline/harness.py`` runs them. Events are the samples/traffic.jsonl events with fresh
ids and ``@timestamp`` = the moment they are handed to the producer.

Phases: a warm-up (model loading, ONNX export on a first start) that is not timed; 5 s with no traffic
(the idle worker's CPU share: an idle worker should leave the cores alone); a **burst** of
``--events`` produced as fast as the producer goes, which measures sustained throughput (the worker
always has a backlog); then, unless ``--paced-s 0``, a **paced** phase at ``--paced-fraction`` of that
throughput, which measures latency when the worker keeps up.

Latency: *produce -> classified* is exact per event (the indexed ``event.ingested`` is the moment the
verdict was made, vs ``@timestamp``); *produce -> searchable* matches the k-th produced event with the
moment the index count reached k (the count is polled every ``--poll-s``), so it is FIFO-approximate and
has the poll interval as resolution. Peak RSS is the worker's VmHWM from /proc.
"""
from __future__ import annotations

import argparse
import json
import re
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.common import (Progress, machine, machine_line, percentiles, print_table, process_cpu_s, traffic_records,
                          write_json)


def _proc_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


#: Seconds the warm worker is watched with no traffic (what an idle worker costs the machine).
IDLE_S = 5.0


def idle_cpu_share(pid: int, seconds: float) -> float:
    """Share of one core the process used over ``seconds`` (all threads)."""
    before = process_cpu_s(pid) or 0.0
    time.sleep(seconds)
    return ((process_cpu_s(pid) or 0.0) - before) / seconds


class Poller(threading.Thread):
    """Samples the verdict count and the worker's RSS every ``every_s`` until stopped."""

    def __init__(self, count, pid: int, every_s: float) -> None:
        super().__init__(daemon=True)
        self.count, self.pid, self.every_s = count, pid, every_s
        self.samples: list[tuple[float, int]] = []
        self.rss_kb: list[int] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self.samples.append((time.time(), self.count()))
            except Exception:  # noqa: BLE001 - a slow or refused count is skipped, not fatal
                pass
            rss = _proc_kb(self.pid, "VmRSS")
            if rss:
                self.rss_kb.append(rss)
            self._halt.wait(self.every_s)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def reached(self, n: int) -> float | None:
        """First poll time at which the count was >= n."""
        return next((t for t, c in self.samples if c >= n), None)


def _lines(records: list[dict[str, Any]], prefix: str, count: int, produced: list[float],
           rate: float | None) -> Any:
    """Event lines with fresh ids and @timestamp = now; appends each hand-over time to ``produced``."""
    start = time.time()
    for i in range(count):
        if rate:
            time.sleep(max(0.0, start + i / rate - time.time()))
        now = time.time()
        event = dict(records[i % len(records)], event_id=f"{prefix}-{i:06d}",
                     **{"@timestamp": datetime.fromtimestamp(now, timezone.utc).isoformat()})
        produced.append(now)
        yield json.dumps(event).encode()


def run_phase(h: Any, records: list[dict[str, Any]], prefix: str, count: int, rate: float | None,
              poll_s: float, base: int, es: Any, log=print) -> dict[str, Any]:
    """Produce ``count`` events (at ``rate``/s, or flat out) and wait until all are indexed."""
    from pipeline import stack as stack_control
    from pipeline.kafka_io import produce_lines

    ix = h.config.elasticsearch
    both = f"{ix.verdicts_index},{ix.dead_letters_index}"  # a dead-lettered event is accounted for too

    def counted() -> int:
        es.indices.refresh(index=both)
        return es.count(index=both)["count"] - base

    poller = Poller(counted, h.worker.pid, poll_s)
    # CPU used by the worker and the embedded brokers: unlike wall time, barely moved by other load.
    stack = stack_control.running(h.stack_cfg)
    pids = {"worker": h.worker.pid, "stack": stack.pid if stack else None}
    cpu0 = {k: process_cpu_s(pid) for k, pid in pids.items()}
    poller.start()
    produced: list[float] = []
    progress = Progress(count, f"{prefix}: indexed", every_s=10)
    t0 = time.time()
    sender = threading.Thread(target=produce_lines, args=(_lines(records, prefix, count, produced, rate),
                                                           h.config.kafka), daemon=True)
    sender.start()
    deadline = time.time() + max(600.0, count / 5)
    last = 0
    while time.time() < deadline:
        done = poller.samples[-1][1] if poller.samples else 0
        if done > last:
            progress.step(done - last, f"({len(produced)} produced, {time.time() - t0:.0f}s)")
            last = done
        if done >= count:
            break
        time.sleep(poll_s)
    sender.join(timeout=60)
    poller.stop()
    produce_end = produced[-1] if produced else t0
    cpu = {k: (process_cpu_s(pid) or 0.0) - (cpu0[k] or 0.0) for k, pid in pids.items() if cpu0[k] is not None}
    return {"cpu_s": cpu, "produced": produced, "samples": poller.samples, "rss_kb": poller.rss_kb,
            "produce_s": produce_end - (produced[0] if produced else t0), "poller": poller}


def summarise(prefix: str, phase: dict[str, Any], docs: dict[str, tuple[float, float]]) -> dict[str, Any]:
    produced, poller = phase["produced"], phase["poller"]
    n = len(produced)
    done = poller.samples[-1][1] if poller.samples else 0
    t_last = poller.reached(n) or poller.samples[-1][0]
    t10, t90 = poller.reached(max(1, n // 10)), poller.reached(max(1, n * 9 // 10))
    searchable = [poller.reached(k + 1) - p for k, p in enumerate(sorted(produced)) if poller.reached(k + 1)]
    classified = [(ing - ts) * 1000 for eid, (ts, ing) in docs.items() if eid.startswith(prefix + "-")]
    return {
        "events": n, "indexed": done, "produce_s": phase["produce_s"],
        "produce_events_per_s": n / phase["produce_s"] if phase["produce_s"] > 0 else None,
        "events_per_s_overall": n / (t_last - produced[0]) if n and t_last else None,
        # Steady state: from 10 % to 90 % indexed, leaving out the start-up and the tail.
        "events_per_s_sustained": (n * 9 // 10 - n // 10) / (t90 - t10) if t10 and t90 and t90 > t10 else None,
        "cpu_ms_per_event": {k: v * 1000 / n for k, v in phase.get("cpu_s", {}).items()} if n else {},
        "classified_ms": percentiles(classified), "searchable_ms": {k: v * 1000 for k, v in
                                                                    percentiles(searchable).items()},
    }


def fetch_docs(es: Any, index: str) -> dict[str, tuple[float, float]]:
    """event id -> (@timestamp, event.ingested) as epoch seconds, for every verdict document."""
    from elasticsearch.helpers import scan

    out = {}
    for hit in scan(es, index=index, query={"query": {"match_all": {}}, "_source": ["@timestamp", "event"]}):
        src = hit["_source"]
        out[src["event"]["id"]] = (datetime.fromisoformat(src["@timestamp"]).timestamp(),
                                   datetime.fromisoformat(src["event"]["ingested"]).timestamp())
    return out


def batch_sizes(log_text: str) -> list[int]:
    return [int(m) for m in re.findall(r"classified batch: (\d+) verdicts", log_text)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=10_000, help="events in the burst phase")
    p.add_argument("--paced-s", type=float, default=20.0, help="seconds of the paced phase (0 = skip)")
    p.add_argument("--paced-fraction", type=float, default=0.6, help="paced rate as a fraction of the burst's")
    p.add_argument("--max-batch", type=int, help="worker.max_batch (default: the config default)")
    p.add_argument("--batch-within", type=float, help="worker.batch_within_s (default: the config default)")
    p.add_argument("--backend", help="classifiers.encoder.backend (default: the config default)")
    p.add_argument("--threads", type=int, help="classifiers.encoder.threads")
    p.add_argument("--ner", choices=("minilm", "rampart", "none"), help="classifiers.pii.ner (default: the config default)")
    p.add_argument("--empty-fetch-wait-ms", type=int,
                   help="kafka.empty_fetch_wait_ms (default: the config default; 0 = off, to see what it saves)")
    p.add_argument("--producer-linger-ms", type=int,
                   help="kafka.producer_linger_ms (default: the config default; 0 = send at once)")
    p.add_argument("--poll-s", type=float, default=0.5, help="index count poll interval")
    p.add_argument("--json", type=Path, default=Path("bench/results/e2e.json"))
    args = p.parse_args(argv)

    from pipeline.elastic import sync_client
    from pipeline.harness import Harness

    overrides: dict[str, Any] = {"worker": {}, "kafka": {}, "classifiers": {"encoder": {}, "pii": {}}}
    if args.empty_fetch_wait_ms is not None:
        overrides["kafka"]["empty_fetch_wait_ms"] = args.empty_fetch_wait_ms
    if args.producer_linger_ms is not None:
        overrides["kafka"]["producer_linger_ms"] = args.producer_linger_ms
    if args.max_batch:
        overrides["worker"]["max_batch"] = args.max_batch
    if args.batch_within:
        overrides["worker"]["batch_within_s"] = args.batch_within
    if args.backend:
        overrides["classifiers"]["encoder"]["backend"] = args.backend
    if args.threads:
        overrides["classifiers"]["encoder"]["threads"] = args.threads
    if args.ner:
        overrides["classifiers"]["pii"]["ner"] = args.ner
    info = machine()
    from schemas.event import Event

    records = []
    for record in traffic_records():  # only events the schema accepts (an oversize one is dead-lettered)
        try:
            Event.model_validate(record)
            records.append(record)
        except ValueError:
            continue
    print(f"end to end on {machine_line(info)}")
    result: dict[str, Any] = {"machine": info, "command": "python -m bench.e2e " + " ".join(
        argv if argv is not None else __import__("sys").argv[1:])}
    with Harness(overrides=overrides) as h:
        cfg = h.config
        settings = {"workers": 1, "partitions": cfg.kafka.topics.partitions, "max_batch": cfg.worker.max_batch,
                    "batch_within_s": cfg.worker.batch_within_s, "backend": cfg.classifiers.encoder.backend,
                    "threads": cfg.classifiers.encoder.threads, "ner": getattr(cfg.classifiers.pii, "ner", "-"),
                    "bulk_max_docs": cfg.elasticsearch.bulk_max_docs,
                    "empty_fetch_wait_ms": cfg.kafka.empty_fetch_wait_ms,
                    "producer_linger_ms": cfg.kafka.producer_linger_ms}
        print("settings: " + ", ".join(f"{k} {v}" for k, v in settings.items()))
        result["settings"] = settings
        es = sync_client(cfg.elasticsearch)
        t0 = time.time()
        h.start_worker()
        try:
            warm = run_phase(h, records, "warm", 64, None, args.poll_s, 0, es)
            result["warmup_s"] = time.time() - t0
            print(f"worker ready and warm after {result['warmup_s']:.1f}s (pid {h.worker.pid})")
            result["idle_worker_cpu_share"] = idle_cpu_share(h.worker.pid, IDLE_S)
            print(f"idle worker: {result['idle_worker_cpu_share']:.1%} of a core over {IDLE_S:.0f} s")
            burst = run_phase(h, records, "burst", args.events, None, args.poll_s, 64, es)
            phases = {"burst": burst}
            if args.paced_s > 0:
                rate_hint = summarise("burst", burst, {})["events_per_s_sustained"] or 50.0
                rate = max(1.0, rate_hint * args.paced_fraction)
                phases["paced"] = run_phase(h, records, "paced", int(rate * args.paced_s), rate, args.poll_s,
                                            64 + args.events, es)
                result["paced_rate"] = rate
            peak_kb = _proc_kb(h.worker.pid, "VmHWM")
            docs = fetch_docs(es, cfg.elasticsearch.verdicts_index)
        finally:
            log_text = h.worker_log().decode(errors="replace")
            if args.json:  # kept for a look at what the worker did (batch sizes, warnings)
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.with_suffix(".worker.log").write_text(log_text)
            h.stop_worker()
        sizes = batch_sizes(log_text)
    for name, phase in phases.items():
        result[name] = summarise(name, phase, docs)
    result["worker_peak_rss_mb"] = peak_kb / 1024 if peak_kb else None
    result["worker_rss_mb_max_sampled"] = max(warm["rss_kb"] + sum((ph["rss_kb"] for ph in phases.values()), [])) / 1024
    result["batches"] = {"count": len(sizes), "mean_size": sum(sizes) / len(sizes) if sizes else None,
                         "max_size": max(sizes) if sizes else None}
    rows = []
    for name in phases:
        r = result[name]
        rows.append({"phase": name, "events": r["events"], "indexed": r["indexed"],
                     "produce/s": r["produce_events_per_s"], "sustained/s": r["events_per_s_sustained"],
                     "overall/s": r["events_per_s_overall"],
                     "worker CPU ms/ev": r["cpu_ms_per_event"].get("worker"),
                     "stack CPU ms/ev": r["cpu_ms_per_event"].get("stack"),
                     **{f"cls {k}": r["classified_ms"][k] for k in ("p50", "p95", "p99")},
                     **{f"idx {k}": r["searchable_ms"][k] for k in ("p50", "p95", "p99")}})
    cols = [(k, k) for k in rows[0]]
    print_table(rows, cols, "Events/s and latency in ms (cls = produce->classified, idx = produce->searchable)")
    print(f"worker: peak RSS {result['worker_peak_rss_mb']:.0f} MB; {len(sizes)} classify batches, mean size "
          f"{result['batches']['mean_size'] or 0:.1f}, max {result['batches']['max_size']}")
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
