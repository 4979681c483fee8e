"""Notifiers against a real local receiver (alerts.inbox.Inbox on 127.0.0.1)."""
import logging
import socket
import time
from datetime import datetime, timedelta, timezone

import pytest

from alerts.inbox import Inbox
from alerts.model import Alert
from alerts.notifiers import (NOTIFIERS, LogNotifier, PagerDutyNotifier, SlackNotifier,
                              build_notifiers, get_notifier_class)
from alerts.windows import WindowStats
from schemas.config import AlertsConfig

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
FAST = {"backoff_s": 0.01, "max_backoff_s": 2.0, "timeout_s": 5.0}


@pytest.fixture
def inbox():
    with Inbox() as box:
        yield box


@pytest.fixture
def alert():
    stats = WindowStats("support-bot", "gpt-x", "pii", T0, T0 + timedelta(minutes=1), 200, 40, 0.2,
                        ("write to <EMAIL> & call <PHONE_NUMBER>", "my card is <CREDIT_CARD>"))
    return Alert.from_window(stats, baseline=0.05, rule_factor=3.0)


class RecordingSleep:
    """Really sleeps (so receivers see real timing) and remembers each delay."""

    def __init__(self):
        self.delays = []

    def __call__(self, seconds):
        self.delays.append(seconds)
        time.sleep(seconds)


def statuses(inbox, path):
    return [a["status"] for a in inbox.attempts(path)]


def test_slack_payload(inbox, alert):
    result = SlackNotifier(inbox.slack_url, kibana_url="https://kibana.example/", **FAST).send(alert)
    assert (result.outcome, result.status_code, result.attempts, result.notifier) == ("delivered", 200, 1, "slack")
    [req] = inbox.requests("/slack")
    assert req["headers"]["Content-Type"] == "application/json"
    body = req["json"]
    assert body["text"] == alert.summary
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "context", "actions"]
    header, section, context, actions = body["blocks"]
    assert header["text"] == {"type": "plain_text", "emoji": True,
                              "text": ":warning: WARNING: pii spike in support-bot"}
    assert [f["text"] for f in section["fields"]] == [
        "*App*\nsupport-bot", "*Model*\ngpt-x", "*Category*\npii",
        "*Rate vs baseline*\n20.0% vs 5.0% (4.0x)",
        "*Window*\n2025-03-01 12:00–12:01 UTC", "*Violations / events*\n40 / 200",
    ]
    assert all(f["type"] == "mrkdwn" for f in section["fields"])
    # Masked placeholders must be escaped, or Slack reads <EMAIL> as a link.
    assert [e["text"] for e in context["elements"]] == [
        "_Example 1 (masked):_ write to &lt;EMAIL&gt; &amp; call &lt;PHONE_NUMBER&gt;",
        "_Example 2 (masked):_ my card is &lt;CREDIT_CARD&gt;",
    ]
    button = actions["elements"][0]
    assert button["type"] == "button" and button["text"]["text"] == "Open in Kibana"
    assert button["url"].startswith("https://kibana.example/app/discover#/?_g=")


def test_slack_without_kibana_or_examples(inbox, alert):
    bare = alert.model_copy(update={"examples": []})
    assert SlackNotifier(inbox.slack_url, **FAST).send(bare).delivered
    blocks = inbox.requests("/slack")[0]["json"]["blocks"]
    assert [b["type"] for b in blocks] == ["header", "section"]


def test_pagerduty_payload(inbox, alert):
    notifier = PagerDutyNotifier("R0UTINGKEY", url=inbox.pagerduty_url, **FAST)
    result = notifier.send(alert)
    assert (result.outcome, result.status_code, result.notifier) == ("delivered", 202, "pagerduty")
    event = inbox.requests("/pagerduty")[0]["json"]
    assert event["routing_key"] == "R0UTINGKEY"
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == alert.fingerprint
    assert "links" not in event
    p = event["payload"]
    assert set(p) == {"summary", "source", "severity", "timestamp", "component", "group", "class",
                      "custom_details"}
    assert (p["summary"], p["source"], p["severity"]) == (alert.summary, "support-bot", "warning")
    assert (p["component"], p["group"], p["class"]) == ("gpt-x", "support-bot", "pii")
    assert p["timestamp"] == "2025-03-01T12:01:00+00:00"
    d = p["custom_details"]
    assert (d["rate"], d["baseline"], d["violations"], d["events"]) == (0.2, 0.05, 40, 200)
    assert d["examples"] == list(alert.examples)


def test_pagerduty_severity_and_long_summary(inbox, alert):
    loud = alert.model_copy(update={"severity": "critical", "summary": "x" * 5000})
    assert PagerDutyNotifier("k", url=inbox.pagerduty_url, kibana_url="http://kb:5601", **FAST).send(loud).delivered
    event = inbox.requests("/pagerduty")[0]["json"]
    assert event["payload"]["severity"] == "critical"
    assert len(event["payload"]["summary"]) == 1024
    assert event["links"][0]["href"].startswith("http://kb:5601/app/discover")


def test_500_then_200_delivers_once_in_two_attempts(inbox, alert):
    inbox.fail_next("/slack", 500)
    result = SlackNotifier(inbox.slack_url, **FAST).send(alert)
    assert (result.outcome, result.attempts) == ("delivered", 2)
    assert statuses(inbox, "/slack") == [500, 200]
    assert len(inbox.requests("/slack")) == 1


def test_429_retry_after_is_honoured(inbox, alert):
    inbox.fail_next("/pagerduty", 429, retry_after=1)
    sleep = RecordingSleep()
    started = time.monotonic()
    result = PagerDutyNotifier("k", url=inbox.pagerduty_url, sleep=sleep, **FAST).send(alert)
    assert (result.outcome, result.attempts) == ("delivered", 2)
    assert sleep.delays == [1.0]                 # not the 0.01 s backoff
    assert time.monotonic() - started >= 0.95
    assert statuses(inbox, "/pagerduty") == [429, 202]


def test_retry_after_longer_than_we_block_is_handed_back(inbox, alert):
    inbox.fail_next("/slack", 429, retry_after=120)
    sleep = RecordingSleep()
    result = SlackNotifier(inbox.slack_url, sleep=sleep, **FAST).send(alert)
    assert (result.outcome, result.attempts, result.retry_after) == ("retryable", 1, 120.0)
    assert sleep.delays == []


def test_400_is_permanent_without_retry(inbox, alert):
    inbox.fail_next("/slack", 400, body="invalid_payload")
    result = SlackNotifier(inbox.slack_url, **FAST).send(alert)
    assert (result.outcome, result.status_code, result.attempts) == ("permanent", 400, 1)
    assert "invalid_payload" in result.detail
    assert statuses(inbox, "/slack") == [400]


def test_receiver_rejection_is_permanent(inbox, alert):
    result = PagerDutyNotifier("", url=inbox.pagerduty_url, **FAST).send(alert)  # blank routing key
    assert (result.outcome, result.status_code, result.attempts) == ("permanent", 400, 1)
    assert "routing_key" in result.detail


def test_gives_up_after_max_attempts_with_exponential_backoff(inbox, alert):
    inbox.fail_next("/slack", 503, times=5)
    sleep = RecordingSleep()
    result = SlackNotifier(inbox.slack_url, max_attempts=3, sleep=sleep, **FAST).send(alert)
    assert (result.outcome, result.status_code, result.attempts) == ("retryable", 503, 3)
    assert sleep.delays == [0.01, 0.02]
    assert statuses(inbox, "/slack") == [503, 503, 503]
    assert inbox.requests() == []


def test_unexpected_success_body_is_not_retried(inbox, alert):
    inbox.fail_next("/slack", 200, body="not ok")
    result = SlackNotifier(inbox.slack_url, **FAST).send(alert)
    assert (result.outcome, result.attempts) == ("permanent", 1)


def test_connection_refused_is_retryable(alert):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there
    sleep = RecordingSleep()
    result = SlackNotifier(f"http://127.0.0.1:{port}/slack", max_attempts=2, sleep=sleep, **FAST).send(alert)
    assert (result.outcome, result.status_code, result.attempts) == ("retryable", None, 2)
    assert "connection error" in result.detail and str(port) not in result.detail


def test_timeout_is_retryable(alert):
    with socket.socket() as s:  # listens but never answers
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        url = f"http://127.0.0.1:{s.getsockname()[1]}/slack"
        result = SlackNotifier(url, max_attempts=1, timeout_s=0.2).send(alert)
    assert (result.outcome, result.status_code) == ("retryable", None)


def test_only_http_urls():
    with pytest.raises(ValueError):
        SlackNotifier("file:///etc/passwd")


def test_log_notifier(alert, caplog):
    with caplog.at_level(logging.WARNING, logger="guardstream.alerts"):
        result = LogNotifier().send(alert)
    assert result.delivered and alert.summary in caplog.text and alert.fingerprint in caplog.text


def test_build_notifiers_from_config(inbox, alert):
    assert [type(n) for n in build_notifiers(AlertsConfig())] == [LogNotifier]
    config = AlertsConfig.model_validate({
        "slack": {"webhook_url": inbox.slack_url},
        "pagerduty": {"routing_key": "secret-key", "url": inbox.pagerduty_url},
        "kibana_url": "http://kb", "timeout_s": 3, "max_attempts": 2,
    })
    slack, pd = build_notifiers(config)
    assert isinstance(slack, SlackNotifier) and isinstance(pd, PagerDutyNotifier)
    assert (slack.url, slack.kibana_url, slack.timeout_s, slack.max_attempts) == (inbox.slack_url, "http://kb", 3, 2)
    assert pd.url == inbox.pagerduty_url and pd.payload(alert)["routing_key"] == "secret-key"


def test_registry():
    assert set(NOTIFIERS) == {"slack", "pagerduty", "log"}
    assert get_notifier_class("slack") is SlackNotifier
    with pytest.raises(KeyError, match="valid: log, pagerduty, slack"):
        get_notifier_class("teams")
