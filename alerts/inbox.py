"""A local stand-in for Slack and PagerDuty: a real HTTP server for demos and tests.

``POST /slack`` answers like an incoming webhook (200 ``ok`` / 400 ``invalid_payload``) and
``POST /pagerduty`` like the Events API v2 (202 ``{"status": "success", ...}`` / 400). Accepted
requests are recorded (and optionally appended to a JSONL file); failures can be scripted.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

_MAX_BODY = 1024 * 1024
_PD_ACTIONS = ("trigger", "acknowledge", "resolve")
_PD_SEVERITIES = ("critical", "error", "warning", "info")


def check_slack(doc: Any) -> str | None:
    """Why a body is not a valid Slack webhook message, or None when it is."""
    if not isinstance(doc, dict) or not (doc.get("text") or doc.get("blocks")):
        return "invalid_payload"
    return None


def check_pagerduty(doc: Any) -> list[str]:
    """What is wrong with a PagerDuty Events API v2 event (empty when valid)."""
    if not isinstance(doc, dict):
        return ["Event object is invalid"]
    errors = []
    if not doc.get("routing_key"):
        errors.append("'routing_key' is missing or blank")
    action = doc.get("event_action")
    if action not in _PD_ACTIONS:
        errors.append("'event_action' must be one of trigger, acknowledge, resolve")
    if action in ("acknowledge", "resolve") and not doc.get("dedup_key"):
        errors.append("'dedup_key' is required for acknowledge and resolve")
    if action == "trigger":
        payload = doc.get("payload")
        if not isinstance(payload, dict):
            errors.append("'payload' is missing")
        else:
            for key in ("summary", "source"):
                if not payload.get(key):
                    errors.append(f"'payload.{key}' is missing or blank")
            if payload.get("severity") not in _PD_SEVERITIES:
                errors.append("'payload.severity' must be one of critical, error, warning, info")
    return errors


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass

    def _answer(self, status: int, body: str | dict, headers: dict[str, str] | None = None) -> None:
        raw = (json.dumps(body) if isinstance(body, dict) else body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if isinstance(body, dict) else "text/plain")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        inbox = self.server.inbox
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            self.close_connection = True
            return self._answer(413, "request_too_large")
        raw = self.rfile.read(length)
        failure = inbox._take_failure(path)
        if failure is not None:
            status, retry_after, body = failure
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
            inbox._log_attempt(path, status)
            return self._answer(status, body or f"scripted failure {status}", headers)
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = None
        if path == "/slack":
            error = check_slack(doc)
            status, answer = (400, error) if error else (200, "ok")
        elif path == "/pagerduty":
            errors = check_pagerduty(doc)
            if errors:
                status, answer = 400, {"status": "invalid event", "message": "Event object is invalid",
                                       "errors": errors}
            else:
                dedup_key = doc.get("dedup_key") or uuid.uuid4().hex
                status, answer = 202, {"status": "success", "message": "Event processed",
                                       "dedup_key": dedup_key}
        else:
            status, answer = 404, "no_service"
        inbox._log_attempt(path, status)
        if status < 300:
            inbox._record(path, dict(self.headers.items()), doc)
        self._answer(status, answer)

    def do_GET(self) -> None:  # noqa: N802
        # A liveness probe for scripts that wait for the inbox to come up.
        self._answer(200, {"status": "ok", "received": len(self.server.inbox.requests())})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    inbox: "Inbox"


class Inbox:
    """Play Slack (``/slack``) and PagerDuty (``/pagerduty``) on a local port in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 jsonl_path: str | Path | None = None) -> None:
        self.host, self.port = host, port
        self.jsonl_path = Path(jsonl_path) if jsonl_path else None
        self._lock = threading.Condition()
        self._requests: list[dict[str, Any]] = []
        self._attempts: list[dict[str, Any]] = []
        self._failures: dict[str, deque[tuple[int, int | float | None, str | None]]] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> "Inbox":
        """Bind and serve in a daemon thread; with port 0 the OS picks a free port."""
        self._server = _Server((self.host, self.port), _Handler)
        self._server.inbox = self
        self.port = self._server.server_address[1]
        # A short poll interval makes stop() quick (shutdown waits for the next poll).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="inbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "Inbox":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8123``."""
        return f"http://{self.host}:{self.port}"

    @property
    def slack_url(self) -> str:
        return f"{self.url}/slack"

    @property
    def pagerduty_url(self) -> str:
        return f"{self.url}/pagerduty"

    def fail_next(self, path: str, status: int, retry_after: int | float | None = None,
                  times: int = 1, body: str | None = None) -> None:
        """Answer the next ``times`` requests to ``path`` with ``status`` (and ``Retry-After``)."""
        with self._lock:
            queue = self._failures.setdefault(path, deque())
            queue.extend([(status, retry_after, body)] * times)

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        """Accepted requests (path, headers, json, received_at), oldest first."""
        with self._lock:
            return [r for r in self._requests if path is None or r["path"] == path]

    def attempts(self, path: str | None = None) -> list[dict[str, Any]]:
        """Every request answered, accepted or not, as (path, status) records."""
        with self._lock:
            return [a for a in self._attempts if path is None or a["path"] == path]

    def wait_for(self, count: int, path: str | None = None, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until ``count`` requests were accepted (on ``path``); return them or raise TimeoutError."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(found := self.requests(path)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"inbox got {len(found)} of {count} requests on {path or 'any path'}")
                self._lock.wait(left)
            return found

    def _take_failure(self, path: str) -> tuple[int, int | float | None, str | None] | None:
        with self._lock:
            queue = self._failures.get(path)
            return queue.popleft() if queue else None

    def _log_attempt(self, path: str, status: int) -> None:
        with self._lock:
            self._attempts.append({"path": path, "status": status})

    def _record(self, path: str, headers: dict[str, str], doc: Any) -> None:
        entry = {"path": path, "headers": headers, "json": doc,
                 "received_at": datetime.now(timezone.utc).isoformat()}
        with self._lock:
            self._requests.append(entry)
            if self.jsonl_path is not None:
                with self.jsonl_path.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(entry) + "\n")
            self._lock.notify_all()
