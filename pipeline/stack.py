"""The embedded development stack: one pinned noida-db serving Kafka and Elasticsearch on loopback.

noida-db is a single binary inside its PyPI package. We start the binary itself (not its Python
wrapper) so the PID we record is the server's: stopping the wrapper would orphan the server.
State lives in ``<data_dir>/stack.json``; a second ``up`` while that server answers is refused.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from schemas.config import StackConfig

NOIDA_VERSION = "0.2.3"
STATE_FILE = "stack.json"


class StackError(RuntimeError):
    """The stack could not be started, found or stopped; the message says what to do."""


@dataclass
class StackState:
    """What ``stack up`` recorded about the server it started."""

    pid: int
    host: str
    kafka_port: int
    elasticsearch_port: int
    data_dir: str
    log_file: str
    started_at: float

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.kafka_port}"

    @property
    def elasticsearch_url(self) -> str:
        return f"http://{self.host}:{self.elasticsearch_port}"


def noida_binary() -> Path:
    """Path of the noida-db server binary shipped in the ``noida-db`` package."""
    try:
        import noida_db
    except ImportError:
        raise StackError(f"noida-db is not installed: pip install noida-db=={NOIDA_VERSION}") from None
    binary = Path(noida_db.__file__).parent / "noida-db"
    if not binary.exists():
        raise StackError(f"noida-db package has no server binary at {binary}")
    if not os.access(binary, os.X_OK):
        binary.chmod(binary.stat().st_mode | 0o111)
    return binary


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1].split()[0] != "Z"
    except OSError:
        return True


def _state_path(cfg: StackConfig) -> Path:
    return Path(cfg.data_dir) / STATE_FILE


def read_state(cfg: StackConfig) -> StackState | None:
    """The recorded server, or None when no state file exists."""
    path = _state_path(cfg)
    if not path.exists():
        return None
    return StackState(**json.loads(path.read_text()))


def running(cfg: StackConfig) -> StackState | None:
    """The recorded server if its process is alive, else None (a stale state file is removed)."""
    state = read_state(cfg)
    if state is None:
        return None
    if pid_alive(state.pid):
        return state
    _state_path(cfg).unlink(missing_ok=True)
    return None


def up(cfg: StackConfig, *, timeout_s: float = 30.0) -> StackState:
    """Start noida-db with Kafka and Elasticsearch and wait until both ports accept connections."""
    current = running(cfg)
    if current is not None:
        raise StackError(
            f"the stack is already running (pid {current.pid}, kafka {current.bootstrap}, "
            f"elasticsearch {current.elasticsearch_url}); `guardstream stack down` stops it"
        )
    for name, port in (("kafka", cfg.kafka_port), ("elasticsearch", cfg.elasticsearch_port)):
        if port_open(cfg.host, port):
            raise StackError(
                f"port {port} ({name}) on {cfg.host} is already in use by another process; "
                f"choose another with stack.{name}_port in the config, or stop that process "
                f"(a stack started with another data_dir: `guardstream stack down -c ITS_CONFIG`)"
            )
    data_dir = Path(cfg.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file = data_dir / "noida-db.log"
    cmd = [
        str(noida_binary()), "start", "--only", "kafka,elasticsearch", "--host", cfg.host,
        "--data-dir", str(data_dir / "data"),
        "--kafka-port", str(cfg.kafka_port), "--elasticsearch-port", str(cfg.elasticsearch_port),
    ]
    with open(log_file, "ab") as log:
        # A new session keeps the server alive when the caller's terminal goes away.
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    state = StackState(proc.pid, cfg.host, cfg.kafka_port, cfg.elasticsearch_port, str(data_dir),
                       str(log_file), time.time())
    deadline = time.monotonic() + timeout_s
    while not (port_open(cfg.host, cfg.kafka_port) and port_open(cfg.host, cfg.elasticsearch_port)):
        if proc.poll() is not None:
            raise StackError(f"noida-db exited with status {proc.returncode}; see {log_file}")
        if time.monotonic() > deadline:
            _terminate(proc.pid, grace_s=5)
            raise StackError(f"noida-db did not open its ports within {timeout_s:.0f}s; see {log_file}")
        time.sleep(0.05)
    _state_path(cfg).write_text(json.dumps(asdict(state), indent=2))
    return state


def _terminate(pid: int, *, grace_s: float) -> bool:
    """SIGTERM, wait for the snapshot to be written, SIGKILL as a last resort. True if it was clean."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        _reap(pid)
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    _reap(pid)
    return False


def _reap(pid: int) -> None:
    # When this process started the server it is our child: collect it so it is not a zombie.
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def down(cfg: StackConfig, *, grace_s: float = 15.0) -> StackState | None:
    """Stop the recorded server. Returns what was stopped, or None when nothing was running."""
    state = running(cfg)
    if state is None:
        return None
    clean = _terminate(state.pid, grace_s=grace_s)
    _state_path(cfg).unlink(missing_ok=True)
    if not clean:
        raise StackError(f"noida-db (pid {state.pid}) ignored SIGTERM for {grace_s:.0f}s and was killed")
    return state
