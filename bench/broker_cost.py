"""The stack's side of an event: CPU of the embedded broker per Kafka record and per indexed document.

    .venv/bin/python -m bench.broker_cost                 # ~1 min on 2 cores
    .venv/bin/python -m bench.broker_cost --records 2000  # quicker

``bench.e2e`` reports "stack CPU ms/event": what noida-db (Kafka + Elasticsearch in one process) spends
per event the worker handles. This bench takes that figure apart on a private noida-db with nothing
else running: records of the size of a sample event, produced one per request (each acknowledged
before the next, as a producer that never lingers does when it is idle) and in large requests (linger),
fetched by a consumer group, and sample events bulk-indexed in requests of 1, 64 and 500 documents.
What it shows is that the broker's cost is mostly per request, not per record: the reason the worker's
producer lingers (``kafka.producer_linger_ms``) and the observe agent writes one record per series per
batch (docs/architecture.md, "Fewer, larger requests per event").
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Callable

from bench.common import TRAFFIC, machine, machine_line, print_table, process_cpu_s, write_json

TOPIC = "bench-broker-cost"
INDEX = "bench-broker-cost"


def _event(line: bytes) -> dict[str, Any] | None:
    """A sample event of typical size; None for the sample's malformed records and 20k-character texts."""
    if not line.strip() or len(line) > 4096:
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def measure(pid: int, items: int, work: Callable[[], Any]) -> dict[str, float]:
    """Broker CPU ms per item and wall seconds of ``work``, which handles ``items`` items."""
    cpu0, t0 = process_cpu_s(pid) or 0.0, time.perf_counter()
    work()
    wall = time.perf_counter() - t0
    cpu = (process_cpu_s(pid) or 0.0) - cpu0
    return {"broker_cpu_ms_per_item": cpu / items * 1000, "items_per_s": items / wall, "wall_s": wall}


def kafka_rows(bootstrap: list[str], pid: int, records: list[bytes]) -> list[dict[str, Any]]:
    """Produce one record per request, then in lingering batches, then fetch everything back."""
    from kafka import KafkaConsumer, KafkaProducer

    rows = []
    for label, linger_ms, acked_each in (("produce, 1 record per request (acked each)", 0, True),
                                         ("produce, linger 10 ms (batched requests)", 10, False)):
        producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=linger_ms, batch_size=1 << 20)

        def produce() -> None:
            for i, value in enumerate(records):
                future = producer.send(TOPIC, key=str(i).encode(), value=value)
                if acked_each:
                    future.get(timeout=30)
            producer.flush()

        producer.send(TOPIC, key=b"warm", value=records[0]).get(timeout=30)  # metadata, connection
        rows.append({"operation": label, "items": len(records), **measure(pid, len(records), produce)})
        producer.close()

    total = 2 * len(records) + 2
    consumer = KafkaConsumer(TOPIC, bootstrap_servers=bootstrap, group_id="bench-broker-cost",
                             auto_offset_reset="earliest", max_poll_records=500)

    def fetch() -> None:
        seen, deadline = 0, time.monotonic() + 120
        while seen < total and time.monotonic() < deadline:
            seen += sum(len(batch) for batch in consumer.poll(timeout_ms=1000).values())
        if seen < total:
            raise RuntimeError(f"fetched {seen} of {total} records in 120 s")

    rows.append({"operation": "fetch (consumer group, up to 500 per poll)", "items": total,
                 **measure(pid, total, fetch)})
    consumer.close()
    return rows


def index_rows(es: Any, pid: int, docs: list[dict[str, Any]], sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    """Bulk-index ``docs`` in requests of each size (fresh ids per size, so every row indexes anew)."""
    rows = []
    for size in sizes:
        def bulk(size: int = size) -> None:
            for start in range(0, len(docs), size):
                ops: list[dict[str, Any]] = []
                for i in range(start, min(start + size, len(docs))):
                    ops += [{"index": {"_index": INDEX, "_id": f"{size}-{i}"}}, docs[i]]
                es.bulk(operations=ops)

        rows.append({"operation": f"index, bulk requests of {size} documents", "items": len(docs),
                     **measure(pid, len(docs), bulk)})
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.broker_cost", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=5000, help="Kafka records per produce row")
    p.add_argument("--docs", type=int, default=5000, help="documents per index row")
    p.add_argument("--json", type=Path, default=Path("bench/results/broker_cost.json"))
    args = p.parse_args(argv)

    from pipeline import stack as stack_control
    from pipeline.elastic import sync_client
    from pipeline.harness import Harness

    info = machine()
    print(f"broker cost on {machine_line(info)}")
    events = [e for e in map(_event, TRAFFIC.read_bytes().splitlines()) if e is not None]
    records = [json.dumps(events[i % len(events)]).encode() for i in range(args.records)]
    docs = [events[i % len(events)] for i in range(args.docs)]
    with Harness() as h:
        state = stack_control.running(h.stack_cfg)
        if state is None:
            raise SystemExit("the private noida-db did not start; see its log under the harness directory")
        print(f"noida-db pid {state.pid}; {len(records)} records of {sum(map(len, records)) / len(records):.0f} "
              "bytes on average")
        rows = kafka_rows(h.config.kafka.bootstrap_servers, state.pid, records)
        rows += index_rows(sync_client(h.config.elasticsearch), state.pid, docs, (1, 64, 500))
    print_table(rows, [("operation", "operation"), ("items", "items"),
                       ("broker_cpu_ms_per_item", "broker CPU ms/item"), ("items_per_s", "items/s")],
                "noida-db CPU per Kafka record and per indexed document")
    write_json(args.json, {"machine": info, "rows": rows,
                           "command": "python -m bench.broker_cost " + " ".join(argv or [])})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
