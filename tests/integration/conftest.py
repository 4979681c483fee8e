"""Real services for integration tests, started once per test session.

- ``stack``: a fresh noida-db (Kafka protocol + Elasticsearch API) on free loopback ports.
- ``inbox``: a real HTTP server on 127.0.0.1 standing in for Slack and PagerDuty.
- ``worker``: ``guardstream worker`` as a child process with the real classifiers, pointed at both.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from alerts.inbox import Inbox
from pipeline import stack as stack_control
from pipeline.elastic import sync_client
from pipeline.es_setup import setup_indices
from pipeline.harness import Harness
from pipeline.kafka_io import ensure_topics
from schemas.config import Config, StackConfig

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    cfg = StackConfig(kafka_port=free_port(), elasticsearch_port=free_port(),
                      data_dir=tmp_path_factory.mktemp("stack"))
    state = stack_control.up(cfg)
    yield cfg, state
    stack_control.down(cfg)


@pytest.fixture(scope="session")
def inbox(tmp_path_factory):
    box = Inbox(jsonl_path=tmp_path_factory.mktemp("inbox") / "received.jsonl").start()
    yield box
    box.stop()


@pytest.fixture(scope="session")
def worker_config(stack, inbox, tmp_path_factory) -> tuple[Config, Path]:
    """Config for the session's worker; the spike rule is sized for the small test series."""
    stack_cfg, state = stack
    workdir = tmp_path_factory.mktemp("worker")
    raw = {
        "kafka": {"bootstrap_servers": [state.bootstrap], "consumer_group": "guardstream-it"},
        "elasticsearch": {"hosts": [state.elasticsearch_url]},
        "worker": {"data_dir": str(workdir / "data"), "web_port": 0, "max_batch": 32,
                   "batch_within_s": 0.2},
        "alerts": {
            "rule": {"window_s": 60, "grace_s": 5, "warmup_windows": 3, "min_violations": 4,
                     "factor": 3.0},
            "slack": {"webhook_url": inbox.slack_url},
            "pagerduty": {"routing_key": "it-routing-key-00000000000000000", "url": inbox.pagerduty_url},
        },
        "stack": {"kafka_port": stack_cfg.kafka_port, "elasticsearch_port": stack_cfg.elasticsearch_port,
                  "data_dir": str(stack_cfg.data_dir)},
    }
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    cfg = Config.model_validate(raw)
    ensure_topics(cfg.kafka)
    setup_indices(sync_client(cfg.elasticsearch), cfg.elasticsearch)
    return cfg, path


@pytest.fixture(scope="session")
def worker(worker_config, tmp_path_factory):
    cfg, path = worker_config
    with running_worker(path, tmp_path_factory.mktemp("worker-log") / "worker.log") as (proc, log_path):
        yield proc, log_path


def start_worker(config_path: Path, log_path: Path, *, env: dict[str, str] | None = None,
                 wait_ready: bool = True) -> subprocess.Popen:
    """Run ``guardstream worker -c CONFIG`` as a child process logging to ``log_path`` (appended); return
    once it logs "Worker ready", or at once with ``wait_ready=False``. ``env`` adds variables to this
    process's environment."""
    log_start = log_path.stat().st_size if log_path.exists() else 0
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "worker", "-c", str(config_path)],
                                cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
    try:
        if wait_ready:
            _wait_ready(proc, log_path, log_start)
    except BaseException:
        stop_worker(proc)
        raise
    return proc


def stop_worker(proc: subprocess.Popen, timeout_s: float = 30.0) -> None:
    """SIGTERM (a graceful stop), then SIGKILL if the worker has not exited within ``timeout_s``."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def running_worker(config_path: Path, log_path: Path, *, env: dict[str, str] | None = None):
    """A ready worker for the ``with`` block, as ``(process, log_path)``; stopped gracefully afterwards."""
    proc = start_worker(config_path, log_path, env=env)
    try:
        yield proc, log_path
    finally:
        stop_worker(proc)


def _wait_ready(proc: subprocess.Popen, log_path: Path, log_start: int, timeout_s: float = 120) -> None:
    """Wait for "Worker ready" written after ``log_start`` (the log may hold an earlier run's)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}")
        if b"Worker ready" in log_path.read_bytes()[log_start:]:
            return
        time.sleep(0.2)
    raise RuntimeError(f"worker not ready in {timeout_s}s:\n{log_path.read_text()[-3000:]}")


def wait_until(predicate, *, timeout_s: float = 60.0, every_s: float = 0.25, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; fail the test with ``what`` on timeout."""
    try:
        return Harness.wait_for(predicate, timeout_s=timeout_s, what=what, every_s=every_s)
    except TimeoutError as exc:
        raise AssertionError(str(exc)) from None
