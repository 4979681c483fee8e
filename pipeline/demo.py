"""``guardstream demo``: the whole path on the embedded stack, with a summary a person can read.

Starts a fresh noida-db, a local stand-in for Slack and PagerDuty (``alerts.inbox.Inbox``), and the
worker as a child process; produces the sample traffic; waits until every record is indexed or
dead-lettered; prints what happened; stops everything unless ``--keep-running``.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from alerts.inbox import Inbox
from pipeline import stack
from pipeline.elastic import sync_client
from pipeline.es_setup import setup_indices
from pipeline.kafka_io import ensure_topics, iter_lines, produce_lines
from schemas.config import Config, ConfigError, load_config

DEMO_DIR = Path(".guardstream/demo")


class Progress:
    """One updating status line on a terminal; a line every few seconds otherwise (CI logs)."""

    def __init__(self, stream=sys.stderr, every_s: float = 5.0) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.every_s = every_s
        self._last = 0.0

    def update(self, done: int, total: int, detail: str) -> None:
        now = time.monotonic()
        if not self.tty and now - self._last < self.every_s and done < total:
            return
        self._last = now
        width = 30
        filled = int(width * done / total) if total else width
        line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {detail}"
        if self.tty:
            self.stream.write("\r" + line.ljust(100))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")


def _demo_config(config_path: Path | None, inbox: Inbox) -> tuple[Config, dict]:
    """The user's config (or defaults) with state under .guardstream/demo and alerts to the inbox."""
    raw = yaml.safe_load(config_path.read_text()) if config_path else {}
    raw = raw or {}
    raw.setdefault("stack", {})["data_dir"] = str(DEMO_DIR / "stack")
    raw.setdefault("worker", {}).setdefault("data_dir", str(DEMO_DIR / "worker"))
    alerts = raw.setdefault("alerts", {})
    alerts["slack"] = {"webhook_url": f"{inbox.url}/slack"}
    alerts["pagerduty"] = {"routing_key": "demo-routing-key-0000000000000000", "url": f"{inbox.url}/pagerduty"}
    return Config.model_validate(raw), raw


def _count(es, index: str) -> int:
    es.indices.refresh(index=index)
    return int(es.count(index=index)["count"])


def run_demo(*, config_path: Path | None, traffic: Path, keep_running: bool, timeout_s: float) -> int:
    """Run the demo end to end; returns the process exit code."""
    if not traffic.exists():
        raise ConfigError(f"{traffic}: no such file (run from the repository root)")
    if config_path is not None:
        load_config(config_path)  # fail early, with the key-by-key message
    if DEMO_DIR.exists():
        stack.down(Config().stack.model_copy(update={"data_dir": DEMO_DIR / "stack"}))
        shutil.rmtree(DEMO_DIR)  # a fresh stack each run keeps the counts exact
    DEMO_DIR.mkdir(parents=True)
    inbox = Inbox(jsonl_path=DEMO_DIR / "inbox.jsonl")
    inbox.start()
    cfg, raw = _demo_config(config_path, inbox)
    config_file = DEMO_DIR / "config.yaml"
    config_file.write_text(yaml.safe_dump(raw))
    worker = None
    try:
        say(f"1/5 starting the embedded stack (noida-db {stack.NOIDA_VERSION})")
        state = stack.up(cfg.stack)
        cfg.kafka.bootstrap_servers = [state.bootstrap]
        cfg.elasticsearch.hosts = [state.elasticsearch_url]
        say("2/5 creating topics and index templates")
        ensure_topics(cfg.kafka)
        es = sync_client(cfg.elasticsearch)
        setup_indices(es, cfg.elasticsearch)
        say("3/5 starting the worker (loading the classifiers takes a few seconds)")
        log_path = DEMO_DIR / "worker.log"
        worker = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "worker", "-c", str(config_file), "--loglevel", "warning"],
            stdout=open(log_path, "wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        say(f"4/5 producing {traffic}")
        produced = produce_lines(iter_lines(traffic), cfg.kafka)
        say(f"5/5 waiting until all {produced} records are indexed or dead-lettered")
        ok = _wait_accounted(es, cfg, produced, worker, log_path, timeout_s)
        _wait_alerts(es, cfg)
        print(summary(es, cfg, produced, inbox))
        if not ok:
            return 1
        if keep_running:
            print(f"\nleft running: stack (guardstream stack down -c {config_file}) and worker "
                  f"pid {worker.pid} (kill {worker.pid}); the stand-in Slack/PagerDuty inbox stops now.")
            worker = None
        return 0
    finally:
        inbox.stop()
        if worker is not None:
            _stop_worker(worker)
        if not keep_running:
            stack.down(cfg.stack)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _wait_accounted(es, cfg: Config, produced: int, worker: subprocess.Popen, log_path: Path,
                    timeout_s: float) -> bool:
    progress = Progress()
    deadline = time.monotonic() + timeout_s
    while True:
        indexed = _count(es, cfg.elasticsearch.verdicts_index)
        dead = _count(es, cfg.elasticsearch.dead_letters_index)
        progress.update(indexed + dead, produced, f"indexed {indexed}, dead-lettered {dead}")
        if indexed + dead >= produced:
            progress.done()
            return True
        if worker.poll() is not None:
            progress.done()
            say(f"the worker exited with status {worker.returncode}; its log: {log_path}")
            return False
        if time.monotonic() > deadline:
            progress.done()
            say(f"gave up after {timeout_s:.0f}s; worker log: {log_path}")
            return False
        time.sleep(1.0)


def _wait_alerts(es, cfg: Config, settle_s: float = 4.0) -> None:
    """Alerts are judged as windows close, just after their events; wait until the count settles."""
    last, stable_since = -1, time.monotonic()
    while time.monotonic() - stable_since < settle_s:
        count = _count(es, cfg.elasticsearch.alerts_index)
        if count != last:
            last, stable_since = count, time.monotonic()
        time.sleep(0.5)


def summary(es, cfg: Config, produced: int, inbox: Inbox) -> str:
    """The readable end-of-demo report, built from what Elasticsearch and the inbox hold."""
    ix = cfg.elasticsearch
    indexed = _count(es, ix.verdicts_index)
    dead = _count(es, ix.dead_letters_index)
    aggs = es.search(index=ix.verdicts_index, size=0, aggs={
        "violations": {"terms": {"field": "guardstream.violations", "size": 10}},
        "pii": {"terms": {"field": "guardstream.pii.type", "size": 30}},
        "apps": {"terms": {"field": "service.name", "size": 10}},
    })["aggregations"]
    reasons = es.search(index=ix.dead_letters_index, size=0,
                        aggs={"r": {"terms": {"field": "error.type", "size": 10}}})["aggregations"]["r"]
    # A text with PII masked in it (a tool call's findings sit in its arguments, with no message to show).
    example = es.search(index=ix.verdicts_index, size=1, sort=[{"@timestamp": "asc"}], query={"bool": {"filter": [
        {"exists": {"field": "guardstream.pii.type"}}, {"exists": {"field": "message"}}]}},
        source=["event.id", "message"])["hits"]["hits"]
    alerts = es.search(index=ix.alerts_index, size=20, sort=[{"guardstream.alert.window_start": "asc"}])["hits"]["hits"]
    received = inbox.requests()
    lines = ["", "GuardStream demo summary", "=" * 24,
             f"events produced      {produced}",
             f"verdicts indexed     {indexed}",
             f"dead-lettered        {dead}  ({_buckets(reasons)})",
             f"accounted for        {indexed + dead}/{produced}" + ("  OK" if indexed + dead == produced
                                                                   else "  MISSING"),
             f"violations           {_buckets(aggs['violations'])}",
             f"PII entities masked  {_buckets(aggs['pii'])}"]
    if example:
        src = example[0]["_source"]
        lines.append(f"  e.g. {src['event']['id']}: {src.get('message', '')[:140]!r}")
    lines.append(f"alerts fired         {len(alerts)}")
    for hit in alerts:
        a = hit["_source"]["guardstream"]["alert"]
        outcome = ", ".join(f"{d['notifier']} {d['outcome']}" for d in a.get("deliveries", []))
        lines.append(f"  {a['window_start'][11:16]}Z {a['summary'][:90]}  [{outcome}]")
    by_path = {}
    for req in received:
        by_path[req["path"]] = by_path.get(req["path"], 0) + 1
    lines.append(f"received by the local stand-in inbox: {by_path or 'nothing'}")
    lines += ["", "query it yourself (run the demo with --keep-running first):",
              "  guardstream query --category pii              PII findings, masked",
              "  guardstream query --app support-bot --category toxicity --histogram 1m",
              f"  curl -s '{ix.hosts[0]}/{ix.alerts_index}/_search?pretty'"]
    return "\n".join(lines)


def _buckets(agg: dict) -> str:
    return ", ".join(f"{b['key']} {b['doc_count']}" for b in agg["buckets"]) or "none"


def _stop_worker(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
