"""`guardstream stack` against the real noida-db binary: start, refuse a twin, report, stop."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from pipeline import stack
from schemas.config import StackConfig
from tests.integration.conftest import free_port

pytestmark = pytest.mark.integration


def _cli(*args: str, config) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args, "-c", str(config)],
                          capture_output=True, text=True, timeout=60)


def test_up_twice_refuses_and_down_stops_the_real_server(tmp_path):
    cfg = StackConfig(kafka_port=free_port(), elasticsearch_port=free_port(), data_dir=tmp_path / "s")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"stack": cfg.model_dump(mode="json")}))

    first = _cli("stack", "up", config=config)
    assert first.returncode == 0, first.stderr
    state = stack.read_state(cfg)
    assert state is not None and stack.pid_alive(state.pid)
    # The recorded PID is the server binary's own, not a wrapper's.
    assert os.path.basename(os.readlink(f"/proc/{state.pid}/exe")) == "noida-db"
    assert stack.port_open(cfg.host, cfg.kafka_port) and stack.port_open(cfg.host, cfg.elasticsearch_port)

    second = _cli("stack", "up", config=config)
    assert second.returncode == 2 and "already running" in second.stderr
    assert stack.read_state(cfg).pid == state.pid

    status = _cli("stack", "status", config=config)
    assert status.returncode == 0 and str(state.pid) in status.stdout

    down = _cli("stack", "down", config=config)
    assert down.returncode == 0, down.stderr
    assert not stack.pid_alive(state.pid)
    assert not stack.port_open(cfg.host, cfg.kafka_port)
    assert _cli("stack", "status", config=config).returncode == 3


def test_up_refuses_a_port_taken_by_another_process(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        cfg = StackConfig(kafka_port=busy.getsockname()[1], elasticsearch_port=free_port(),
                          data_dir=tmp_path / "s")
        with pytest.raises(stack.StackError, match="already in use"):
            stack.up(cfg)
    assert stack.read_state(cfg) is None
