"""Generic webhook notifier against a real local HTTP receiver that checks the HMAC signature."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alerts.lifecycle import AlertRecord, Notification
from alerts.notifiers.webhook import SIGNATURE_HEADER, WebhookNotifier, sign, verify_signature

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
SECRET = "webhook-shared-secret"
FAST = {"backoff_s": 0.01, "max_backoff_s": 1.0, "timeout_s": 5.0}


class Receiver:
    """A webhook endpoint: verifies the signature like a real consumer would, answers scripted statuses."""

    def __init__(self, secret: str | None):
        self.secret = secret
        self.statuses: list[int] = []  # answered in order, then 204
        self.received: list[tuple[bytes, dict]] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                if status < 300 and receiver.secret is not None and not verify_signature(
                        receiver.secret, body, self.headers.get(SIGNATURE_HEADER)):
                    status = 401
                receiver.answers.append(status)
                if status < 300:
                    # Header names are case-insensitive (urllib sends "X-guardstream-signature").
                    receiver.received.append((body, {k.lower(): v for k, v in self.headers.items()}))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    box = Receiver(SECRET)
    yield box
    box.stop()


def notification(kind="firing") -> Notification:
    alert = AlertRecord(
        fingerprint="f" * 32, app="support-bot", model="gpt-x", category="pii", severity="critical",
        status="resolved" if kind == "resolved" else "firing", started_at=T0,
        ended_at=T0 + timedelta(minutes=5) if kind == "resolved" else None,
        window_start=T0, window_end=T0 + timedelta(minutes=1), rate=0.3, baseline=0.02,
        factor_over_baseline=15.0, score=15.0, violations=30, events=100, peak_rate=0.3,
        detectors=["spike", "ecod"], reasons=["spike: 15x"], examples=["mail me at <EMAIL>"],
        summary="pii spike in support-bot / gpt-x")
    return Notification(group_key="g" * 32, route="default", receivers=["siem"],
                        group_labels={"app": "support-bot"}, kind=kind, at=T0 + timedelta(minutes=1),
                        alerts=[alert])


def test_signed_body_is_verified_by_the_receiver(receiver):
    result = WebhookNotifier(receiver.url, secret=SECRET, kibana_url="http://kb", **FAST).send(notification())
    assert (result.outcome, result.status_code, result.attempts) == ("delivered", 204, 1)
    [(body, headers)] = receiver.received
    signature = headers[SIGNATURE_HEADER.lower()]
    assert signature == sign(SECRET, body) and signature.startswith("sha256=")
    doc = json.loads(body)
    assert (doc["status"], doc["action"], doc["group_key"], doc["severity"]) == ("firing", "trigger", "g" * 32, "critical")
    assert doc["alerts"][0]["detectors"] == ["spike", "ecod"] and doc["alerts"][0]["examples"] == ["mail me at <EMAIL>"]
    assert doc["kibana_url"].startswith("http://kb/app/discover")


def test_a_wrong_secret_is_refused_by_the_receiver(receiver):
    result = WebhookNotifier(receiver.url, secret="not-the-secret", **FAST).send(notification())
    assert (result.outcome, result.status_code) == ("permanent", 401)
    assert receiver.received == []


def test_without_a_secret_no_signature_is_sent():
    box = Receiver(None)
    try:
        assert WebhookNotifier(box.url, **FAST).send(notification("resolved")).delivered
        [(body, headers)] = box.received
        assert SIGNATURE_HEADER.lower() not in headers
        doc = json.loads(body)
        assert (doc["status"], doc["action"], doc["kind"]) == ("resolved", "resolve", "resolved")
    finally:
        box.stop()


def test_500_then_200_delivers_once_with_the_same_signature(receiver):
    receiver.statuses = [500, 503]
    result = WebhookNotifier(receiver.url, secret=SECRET, **FAST).send(notification())
    assert (result.outcome, result.attempts) == ("delivered", 3)
    assert receiver.answers == [500, 503, 204] and len(receiver.received) == 1


def test_verify_signature_rejects_tampering():
    body = b'{"a": 1}'
    assert verify_signature(SECRET, body, sign(SECRET, body))
    assert not verify_signature(SECRET, body + b" ", sign(SECRET, body))
    assert not verify_signature(SECRET, body, None)
    assert sign(SECRET, body) == "sha256=" + __import__("hmac").new(
        SECRET.encode(), body, "sha256").hexdigest()
