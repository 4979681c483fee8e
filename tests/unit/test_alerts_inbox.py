"""The local Slack / PagerDuty stand-in validates, records and fails on request."""
import json
import threading
import urllib.error
import urllib.request

import pytest

from alerts.inbox import Inbox


@pytest.fixture
def inbox(tmp_path):
    with Inbox(jsonl_path=tmp_path / "inbox.jsonl") as box:
        yield box


def post(url, body, headers=None):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read().decode(), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), dict(err.headers)


TRIGGER = {"routing_key": "k", "event_action": "trigger", "dedup_key": "abc",
           "payload": {"summary": "s", "source": "app", "severity": "error"}}


def test_slack_accepts_text_or_blocks_and_records(inbox, tmp_path):
    assert post(inbox.slack_url, {"text": "hi"}, {"X-Test": "1"})[:2] == (200, "ok")
    assert post(inbox.slack_url, {"blocks": [{"type": "divider"}]})[:2] == (200, "ok")
    first = inbox.requests("/slack")[0]
    assert first["json"] == {"text": "hi"} and first["headers"]["X-Test"] == "1"
    lines = (tmp_path / "inbox.jsonl").read_text().splitlines()
    assert [json.loads(line)["json"] for line in lines] == [{"text": "hi"}, {"blocks": [{"type": "divider"}]}]


@pytest.mark.parametrize("body", [{}, {"text": ""}, [1, 2], b"not json"])
def test_slack_rejects_invalid_payloads(inbox, body):
    assert post(inbox.slack_url, body)[:2] == (400, "invalid_payload")
    assert inbox.requests() == [] and inbox.attempts("/slack") == [{"path": "/slack", "status": 400}]


def test_pagerduty_trigger(inbox):
    status, body, _ = post(inbox.pagerduty_url, TRIGGER)
    assert status == 202
    assert json.loads(body) == {"status": "success", "message": "Event processed", "dedup_key": "abc"}
    resolve = {"routing_key": "k", "event_action": "resolve", "dedup_key": "abc"}
    assert post(inbox.pagerduty_url, resolve)[0] == 202
    assert [r["json"]["event_action"] for r in inbox.requests("/pagerduty")] == ["trigger", "resolve"]


@pytest.mark.parametrize("change", [
    {"routing_key": ""},
    {"event_action": "explode"},
    {"payload": {"summary": "s", "source": "app", "severity": "fatal"}},
    {"payload": {"source": "app", "severity": "info"}},
    {"event_action": "acknowledge", "dedup_key": None},
])
def test_pagerduty_rejects_invalid_events(inbox, change):
    status, body, _ = post(inbox.pagerduty_url, {**TRIGGER, **change})
    assert status == 400
    assert json.loads(body)["status"] == "invalid event" and json.loads(body)["errors"]
    assert inbox.requests() == []


def test_scripted_failures_then_normal(inbox):
    inbox.fail_next("/slack", 429, retry_after=3, times=2)
    first = post(inbox.slack_url, {"text": "a"})
    assert first[0] == 429 and first[2]["Retry-After"] == "3"
    assert post(inbox.slack_url, {"text": "a"})[0] == 429
    assert post(inbox.slack_url, {"text": "a"})[0] == 200
    assert post(inbox.pagerduty_url, TRIGGER)[0] == 202  # other paths unaffected
    assert [a["status"] for a in inbox.attempts("/slack")] == [429, 429, 200]


def test_unknown_path_is_404(inbox):
    assert post(f"{inbox.url}/teams", {"text": "x"})[:2] == (404, "no_service")


def test_wait_for(inbox):
    timer = threading.Timer(0.1, post, args=(inbox.slack_url, {"text": "later"}))
    timer.start()
    assert inbox.wait_for(1, "/slack", timeout=5)[0]["json"] == {"text": "later"}
    with pytest.raises(TimeoutError):
        inbox.wait_for(2, "/slack", timeout=0.1)


def test_stop_releases_the_port():
    box = Inbox().start()
    url = box.slack_url
    box.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(urllib.request.Request(url, data=b"{}", method="POST"), timeout=2)
