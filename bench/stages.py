"""Where a worker's time goes: each stage of the classify and index path, timed in process.

    .venv/bin/python -m bench.stages                      # sample traffic, batches of 64, private stack for indexing
    .venv/bin/python -m bench.stages --cycles 3 --profile # more events, plus a cProfile of the whole path
    .venv/bin/python -m bench.stages --no-index           # no stack needed

The events of samples/traffic.jsonl (valid and invalid records alike) go through the same code the
worker runs, batch by batch (``--batch``, the worker's max_batch), with a timer around each stage:

decode (size, UTF-8, JSON) · validate (input adapter -> Event) · tokenize · encoder (forward passes) ·
heads · PII patterns · PII NER (when configured) · tool-argument PII (patterns + NER over the JSON
leaves of the batch's tool calls, one detector call) · mask + verdict (masking, scores, violations) · serialize (verdict JSON for Kafka) · index (Elasticsearch documents + bulk write to a
private embedded stack). Kafka transport is not in here; bench/e2e.py covers the whole path.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from bench.common import TRAFFIC, machine, machine_line, print_table, write_json


class Timers:
    """Seconds per stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - t0


def raw_records(path: Path, cycles: int) -> list[bytes]:
    """Every non-empty line of the JSONL file, ``cycles`` times, with distinct event ids."""
    lines = [ln.encode() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    out = []
    for c in range(cycles):
        for i, line in enumerate(lines):
            try:
                doc = json.loads(line)
                if isinstance(doc, dict) and "event_id" in doc:
                    doc["event_id"] = f"stage-{c}-{i}"
                    line = json.dumps(doc).encode()
            except ValueError:
                pass  # malformed on purpose: decode must reject it
            out.append(line)
    return out


def classify_batches(engine: Any, patterns_only: Any, records: list[bytes], batch: int, t: Timers,
                     max_bytes: int) -> list[Any]:
    """Decode, validate and classify ``records`` as the classify agent does, timing each stage."""
    from pipeline.adapters.native import NativeAdapter
    from pipeline.decode import Rejection, decode_record
    from classifiers.encoder import EncodedBatch
    from classifiers.pii.encoder_ner import entities_from_batch
    from pipeline.verdicts import classifier_input

    adapter = NativeAdapter()
    scorer, pii = engine._scorer, engine._pii
    tagger = getattr(pii, "_tagger", None)
    verdicts = []
    for start in range(0, len(records), batch):
        events = []
        for raw in records[start : start + batch]:
            with t("decode"):
                try:
                    json.loads(raw)
                except ValueError:
                    pass
            with t("validate"):  # decode_record parses again; its JSON share is taken off below
                decoded = decode_record(raw, adapter, max_bytes=max_bytes)
            if not isinstance(decoded, Rejection):
                events.extend(decoded)
        if not events:
            continue
        inputs = [classifier_input(e, engine.max_text_chars) for e in events]
        texts = [ci.text for ci in inputs]
        encoder = scorer.encoder
        with t("tokenize"):  # + word shapes for the token head
            encodings, chunks, owner, spans = encoder._windows(texts)
            shapes = encoder._window_shapes(texts, encodings, owner, spans) if encoder.has_token_head else None
        with t("encoder"):  # one pass: sentence vectors and, with the token head, token tags
            vecs, tags = encoder._forward(chunks, shapes)
        with t("heads"):  # what TextClassifier.predict does after the encoder: every head, max over windows
            score_rows = scorer._rows(scorer._scores(vecs, owner, len(texts)))
        text_ner = leaf_ner = None
        if engine._shared_ner:
            with t("NER decode"):  # the token head's tags to findings, split between text and tool arguments
                encoded = EncodedBatch(vecs, owner, list(encodings), spans, tags)
                parts = [ci.split(found) for ci, found in zip(inputs, entities_from_batch(texts, encoded))]
                text_ner, leaf_ner = [own for own, _ in parts], [per_leaf for _, per_leaf in parts]
        pii_texts = [(e.text or "")[: engine.max_text_chars] for e in events]
        with t("PII patterns"):  # the same detector without NER
            patterns_only.detect(pii_texts)
        if tagger is not None:
            with t("PII NER (second model)"):
                tagger.tag(pii_texts)
        entities = pii.detect(pii_texts, ner=text_ner)  # untimed: the above, combined as the worker does
        info, thresholds, now = engine.info, engine.thresholds(), datetime.now(timezone.utc)
        with t("tool-argument PII"):  # every tool call's JSON leaves in one detector call
            arg_entities = engine.tool_argument_entities(events, leaf_ner)
        with t("mask + verdict"):
            for event, score, found, in_args, ci in zip(events, score_rows, entities, arg_entities, inputs):
                verdicts.append(engine._verdict(event, score, found, in_args, ci.truncated, thresholds, info, 0.0,
                                                now))
    with t("serialize"):
        for v in verdicts:
            v.model_dump_json(by_alias=True, exclude_none=True)
    return verdicts


def index_verdicts(verdicts: list[Any], t: Timers) -> None:
    """Build the documents and bulk-write them to a private embedded stack."""
    from pipeline.elastic import BulkWriter, async_client
    from pipeline.harness import Harness
    from schemas.documents import verdict_document

    with Harness() as h:
        es_cfg = h.config.elasticsearch
        with t("index"):
            docs = [(v.event_id, verdict_document(v)) for v in verdicts]

            async def write() -> None:
                writer = BulkWriter(async_client(es_cfg), chunk_size=es_cfg.bulk_max_docs)
                try:
                    for s in range(0, len(docs), 64):  # the index agent writes what arrives, batch by batch
                        await writer.write(es_cfg.verdicts_index, docs[s : s + 64])
                finally:
                    await writer.client.close()

            asyncio.run(write())


def profile(engine: Any, records: list[bytes], batch: int, max_bytes: int) -> str:
    """cProfile of what the classify agent runs per batch (decode, engine.classify, serialize)."""
    from pipeline.adapters.native import NativeAdapter
    from pipeline.decode import Rejection, decode_record

    adapter = NativeAdapter()
    prof = cProfile.Profile()
    prof.enable()
    for s in range(0, len(records), batch):
        events = []
        for raw in records[s : s + batch]:
            decoded = decode_record(raw, adapter, max_bytes=max_bytes)
            if not isinstance(decoded, Rejection):
                events.extend(decoded)
        for verdict in engine.classify(events):
            verdict.model_dump_json(by_alias=True, exclude_none=True)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(20)
    print("\ncProfile of decode + VerdictEngine.classify + serialize, top 20 by own time:")
    print("\n".join(line for line in buf.getvalue().splitlines()[:45] if line.strip()))
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.stages", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--texts", type=Path, default=TRAFFIC, help="JSONL of raw records")
    p.add_argument("--cycles", type=int, default=2, help="passes over the file")
    p.add_argument("--batch", type=int, default=64, help="events per batch (worker.max_batch)")
    p.add_argument("--backend", help="classifiers.encoder.backend (default: the config default)")
    p.add_argument("--ner", choices=("minilm", "rampart", "none"), help="classifiers.pii.ner (default: the config default)")
    p.add_argument("--no-index", action="store_true", help="skip the bulk write to a private stack")
    p.add_argument("--profile", action="store_true", help="also print a cProfile of the classify path")
    p.add_argument("--json", type=Path, default=Path("bench/results/stages.json"))
    args = p.parse_args(argv)

    from classifiers.pii import PiiDetector
    from pipeline.verdicts import VerdictEngine
    from schemas.config import ClassifiersConfig, WorkerConfig

    raw_cfg: dict[str, Any] = {"encoder": {}, "pii": {}}
    if args.backend:
        raw_cfg["encoder"]["backend"] = args.backend
    if args.ner:
        raw_cfg["pii"]["ner"] = args.ner
    cfg = ClassifiersConfig.model_validate(raw_cfg)
    worker = WorkerConfig()
    info = machine()
    print(f"stage costs on {machine_line(info)}")
    engine = VerdictEngine(cfg, max_text_chars=worker.max_text_chars)
    t0 = time.perf_counter()
    engine.load()
    load_s = time.perf_counter() - t0
    records = raw_records(args.texts, args.cycles)
    patterns_only = PiiDetector.from_config(cfg.pii.model_copy(update={"ner": "none"})).load()
    classify_batches(engine, patterns_only, records[: args.batch], args.batch, Timers(),
                     worker.max_event_bytes)  # warm-up
    t = Timers()
    wall0 = time.perf_counter()
    verdicts = classify_batches(engine, patterns_only, records, args.batch, t, worker.max_event_bytes)
    t.seconds["validate"] = max(0.0, t.seconds["validate"] - t.seconds["decode"])
    if not args.no_index:
        index_verdicts(verdicts, t)
    total = sum(t.seconds.values())
    n = len(verdicts)
    rows = [{"stage": s, "seconds": sec, "ms_per_event": sec * 1000 / n, "share_pct": 100 * sec / total}
            for s, sec in t.seconds.items()]
    rows.append({"stage": "total", "seconds": total, "ms_per_event": total * 1000 / n, "share_pct": 100.0})
    print_table(rows, [("stage", "stage"), ("seconds", "s"), ("ms_per_event", "ms/event"), ("share_pct", "%")],
                f"{len(records)} records -> {n} verdicts in batches of {args.batch} "
                f"(backend {engine._scorer.encoder.backend}, NER {getattr(cfg.pii, 'ner', '-')}); "
                f"one stage after another = {n / total:.0f} events/s on one thread")
    result = {"machine": info, "records": len(records), "verdicts": n, "batch": args.batch,
              "load_s": load_s,
              "backend": engine._scorer.encoder.backend, "ner": getattr(cfg.pii, "ner", None), "stages": rows,
              "events_per_s_serial": n / total, "wall_s": time.perf_counter() - wall0,
              "command": "python -m bench.stages " + " ".join(argv if argv is not None else __import__("sys").argv[1:])}
    if args.profile:
        result["profile_top"] = profile(engine, records, args.batch, worker.max_event_bytes)
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
