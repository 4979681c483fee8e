"""Lifecycle notifications through the Slack and PagerDuty notifiers, against the local inbox."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from alerts.inbox import Inbox, check_pagerduty, check_slack
from alerts.lifecycle import AlertRecord, Notification
from alerts.notifiers import PagerDutyNotifier, SlackNotifier

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
FAST = {"backoff_s": 0.01, "max_backoff_s": 1.0, "timeout_s": 5.0}


@pytest.fixture
def inbox():
    with Inbox() as box:
        yield box


def record(category="toxicity", severity="warning", status="firing", model="gpt-x") -> AlertRecord:
    return AlertRecord(
        fingerprint=f"fp-{category}-{model}", app="support-bot", model=model, category=category,
        severity=severity, status=status, started_at=T0, ended_at=T0 + timedelta(minutes=7) if status == "resolved" else None,
        window_start=T0 + timedelta(minutes=2), window_end=T0 + timedelta(minutes=3), rate=0.2, baseline=0.02,
        factor_over_baseline=10.0, score=10.0, violations=20, events=100, peak_rate=0.25, windows=3,
        detectors=["spike", "ecod"], reasons=["spike: rate 20.0% is 10.0x baseline 2.0%", "ecod: p=0.9995"],
        examples=["you <EMAIL> idiot & more"],
        summary=f"{category} spike in support-bot / {model}: 20.0% of events (20/100) vs baseline 2.0% (10.0x)")


def note(kind="firing", alerts=None) -> Notification:
    return Notification(group_key="k" * 32, route="default", receivers=["pd"], group_labels={"app": "support-bot"},
                        kind=kind, at=T0 + timedelta(minutes=3), alerts=alerts or [record()])


def test_pagerduty_trigger_and_resolve_share_the_dedup_key(inbox):
    pd = PagerDutyNotifier("RK", url=inbox.pagerduty_url, kibana_url="http://kb", **FAST)
    assert pd.send(note()).delivered
    assert pd.send(note("resolved", [record(status="resolved")])).delivered
    trigger, resolve = (r["json"] for r in inbox.requests("/pagerduty"))
    assert check_pagerduty(trigger) == [] and check_pagerduty(resolve) == []
    assert (trigger["event_action"], resolve["event_action"]) == ("trigger", "resolve")
    assert trigger["dedup_key"] == resolve["dedup_key"] == "k" * 32
    assert resolve == {"routing_key": "RK", "event_action": "resolve", "dedup_key": "k" * 32, "client": "GuardStream"}
    details = trigger["payload"]["custom_details"]
    assert details["detectors"] == ["spike", "ecod"] and details["reasons"][0].startswith("spike:")
    assert details["examples"] == ["you <EMAIL> idiot & more"] and details["window_start"] == "2026-03-02T10:02:00+00:00"
    assert (details["rate"], details["baseline"], details["started_at"]) == (0.2, 0.02, T0.isoformat())
    assert details["kibana_url"].startswith("http://kb/app/discover") and trigger["links"][0]["href"] == details["kibana_url"]
    assert trigger["payload"]["timestamp"] == "2026-03-02T10:03:00+00:00"


def test_pagerduty_severity_mapping(inbox):
    pd = PagerDutyNotifier("RK", url=inbox.pagerduty_url, severity_map={"warning": "error", "critical": "critical"}, **FAST)
    assert pd.payload(note())["payload"]["severity"] == "error"
    assert pd.payload(note(alerts=[record(severity="critical")]))["payload"]["severity"] == "critical"
    with pytest.raises(ValueError, match="severity"):
        PagerDutyNotifier("RK", severity_map={"warning": "sev2"})


def test_pagerduty_group_lists_every_alert_and_caps_the_summary():
    alerts = [record("toxicity", "critical"), record("pii"), record("bias", model="other")]
    event = PagerDutyNotifier("RK").payload(note(alerts=alerts))
    p = event["payload"]
    assert p["severity"] == "critical" and p["summary"].startswith("3 alerts for app=support-bot: toxicity spike")
    assert [a["category"] for a in p["custom_details"]["alerts"]] == ["toxicity", "pii", "bias"]
    long = note(alerts=[record().model_copy(update={"summary": "y" * 3000})])
    assert len(PagerDutyNotifier("RK").payload(long)["payload"]["summary"]) == 1024


def test_slack_firing_shows_why_and_masked_examples(inbox):
    slack = SlackNotifier(inbox.slack_url, kibana_url="http://kb", **FAST)
    assert slack.send(note()).delivered
    body = inbox.requests("/slack")[0]["json"]
    assert check_slack(body) is None and body["text"].startswith("toxicity spike in support-bot")
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "context", "context", "actions"]
    assert body["blocks"][0]["text"]["text"] == ":warning: WARNING: toxicity spike in support-bot"
    why, examples = body["blocks"][2]["elements"][0]["text"], body["blocks"][3]["elements"][0]["text"]
    assert why.startswith("*Detectors:* spike, ecod\nspike: rate 20.0%")
    assert examples == "_Example 1 (masked):_ you &lt;EMAIL&gt; idiot &amp; more"


def test_slack_resolved_and_grouped_messages(inbox):
    slack = SlackNotifier(inbox.slack_url, **FAST)
    resolved = slack.payload(note("resolved", [record(status="resolved")]))
    assert resolved["blocks"][0]["text"]["text"] == ":white_check_mark: RESOLVED: toxicity spike in support-bot"
    fields = [f["text"] for f in resolved["blocks"][1]["fields"]]
    assert "*Peak rate*\n25.0%" in fields and "*Firing*\n2026-03-02 10:00–10:07 UTC" in fields
    grouped = slack.payload(note(alerts=[record("toxicity", "critical"), record("pii")]))
    assert grouped["blocks"][0]["text"]["text"] == ":rotating_light: CRITICAL: 2 violation spikes (app=support-bot)"
    sections = [b["text"]["text"] for b in grouped["blocks"] if b["type"] == "section"]
    assert sections[0].startswith("*toxicity* in *support-bot* / gpt-x (critical): 20.0% vs 2.0% (10.0x)")
    repeat = slack.payload(note("repeat"))
    assert repeat["text"].startswith("Still firing: ") and "STILL FIRING" in repeat["blocks"][0]["text"]["text"]
    for body in (resolved, grouped, repeat):
        assert check_slack(body) is None and len(body["blocks"]) <= 50
