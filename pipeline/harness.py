"""Run GuardStream end to end on a private embedded stack, for chaos runs, fuzzing and benchmarks.

``Harness`` starts a fresh noida-db on free ports in its own directory, sets up topics and indices,
and runs ``guardstream worker`` as a child process that can be killed (SIGKILL), stopped (SIGTERM)
and started again. It also stops and starts the search service alone, to simulate an outage.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import yaml

from pipeline import stack as stack_control
from pipeline.elastic import sync_client
from pipeline.es_setup import setup_indices
from pipeline.kafka_io import ensure_topics
from schemas.config import Config, StackConfig

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Harness:
    """A private stack plus one restartable worker. Use as a context manager."""

    def __init__(self, *, workdir: Path | None = None, overrides: dict[str, Any] | None = None) -> None:
        self._tmp = None if workdir else tempfile.TemporaryDirectory(prefix="guardstream-harness-")
        self.workdir = Path(workdir or self._tmp.name)
        self.stack_cfg = StackConfig(kafka_port=free_port(), elasticsearch_port=free_port(),
                                     data_dir=self.workdir / "stack")
        self.overrides = overrides or {}
        self.config: Config | None = None
        self.config_path = self.workdir / "config.yaml"
        self.worker: subprocess.Popen | None = None
        self.worker_starts = 0

    def __enter__(self) -> "Harness":
        state = stack_control.up(self.stack_cfg)
        raw: dict[str, Any] = {
            "kafka": {"bootstrap_servers": [state.bootstrap], "consumer_group": "harness"},
            "elasticsearch": {"hosts": [state.elasticsearch_url]},
            "worker": {"data_dir": str(self.workdir / "worker"), "web_port": 0},
            "stack": self.stack_cfg.model_dump(mode="json"),
        }
        _merge(raw, self.overrides)
        self.config_path.write_text(yaml.safe_dump(raw))
        self.config = Config.model_validate(raw)
        ensure_topics(self.config.kafka)
        setup_indices(sync_client(self.config.elasticsearch), self.config.elasticsearch)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.stop_worker()
        stack_control.down(self.stack_cfg)
        if self._tmp is not None:
            self._tmp.cleanup()

    # -- worker ---------------------------------------------------------------------------------
    def start_worker(self, *, wait_ready: bool = True, timeout_s: float = 120.0) -> None:
        self.worker_starts += 1
        log = open(self.workdir / f"worker-{self.worker_starts}.log", "wb")
        self.worker = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "worker", "-c", str(self.config_path)],
                                       cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                       env={**os.environ, "PYTHONUNBUFFERED": "1"})
        if wait_ready:
            self.wait_for(lambda: b"Worker ready" in self.worker_log(), timeout_s=timeout_s, what="worker ready")

    def worker_log(self) -> bytes:
        return (self.workdir / f"worker-{self.worker_starts}.log").read_bytes()

    def kill_worker(self) -> None:
        """SIGKILL: no shutdown, no commit; what was in flight must be redone by the next start."""
        assert self.worker is not None
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait()

    def stop_worker(self, timeout_s: float = 60.0) -> int:
        """SIGTERM and wait for a graceful exit; returns the exit status."""
        assert self.worker is not None
        self.worker.send_signal(signal.SIGTERM)
        try:
            return self.worker.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.worker.kill()
            return self.worker.wait()

    def worker_alive(self) -> bool:
        return self.worker is not None and self.worker.poll() is None

    # -- search service outage ------------------------------------------------------------------
    def _noida(self, *args: str) -> None:
        data_dir = Path(self.stack_cfg.data_dir).resolve() / "data"
        subprocess.run([str(stack_control.noida_binary()), *args, "--data-dir", str(data_dir)],
                       check=True, capture_output=True, timeout=60)

    def stop_search(self) -> None:
        """Stop only the Elasticsearch service of the running noida-db (Kafka keeps serving)."""
        self._noida("stop", "elasticsearch")
        # The command returns at once; the service saves its data and closes its port shortly after.
        self.wait_for(lambda: not stack_control.port_open(self.stack_cfg.host, self.stack_cfg.elasticsearch_port),
                      timeout_s=30, what="elasticsearch stopped")

    def start_search(self) -> None:
        self._noida("start", "elasticsearch")
        self.wait_for(self._search_serves_data, timeout_s=30, what="elasticsearch back with its data")

    def _search_serves_data(self) -> bool:
        assert self.config is not None
        try:
            client = sync_client(self.config.elasticsearch)
            return bool(client.options(ignore_status=404).indices.exists_alias(
                name=self.config.elasticsearch.verdicts_index))
        except Exception:  # noqa: BLE001 - not up yet
            return False

    # -- helpers ----------------------------------------------------------------------------------
    @staticmethod
    def wait_for(predicate: Callable[[], Any], *, timeout_s: float, what: str, every_s: float = 0.25) -> Any:
        deadline = time.monotonic() + timeout_s
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout_s:.0f}s waiting for {what}")
            time.sleep(every_s)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
