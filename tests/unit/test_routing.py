"""Routing rules, group keys, receivers from config, and the lifecycle config's validation."""
from __future__ import annotations

import pytest

from alerts.notifiers import LogNotifier, PagerDutyNotifier, SlackNotifier
from alerts.notifiers.webhook import WebhookNotifier
from alerts.routing import Router, alert_labels, build_receivers, group_key
from schemas.alert_routing import parse_duration
from schemas.config import AlertsConfig, ConfigError, load_config

RECEIVERS = {"oncall": {"type": "pagerduty", "routing_key": "rk", "url": "http://127.0.0.1:9/pd"},
             "team": {"type": "slack", "webhook_url": "http://127.0.0.1:9/slack"},
             "siem": {"type": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "s3cret"},
             "audit": {"type": "log"}}


def router(routes, default=None, **extra) -> Router:
    return Router(AlertsConfig.model_validate({
        "receivers": RECEIVERS, "routing": {"routes": routes, "default_receivers": default}, **extra}))


def labels(app="support-bot", model="gpt-x", category="toxicity", severity="warning"):
    return alert_labels(app, model, category, severity)


def test_first_match_wins_and_continue_tries_the_next_routes():
    r = router([
        {"name": "crit", "match": {"severity": "critical"}, "receivers": ["oncall"], "continue": True},
        {"name": "support", "match": {"app": "support-bot"}, "receivers": ["team"]},
        {"name": "never", "match": {"app": "support-bot"}, "receivers": ["siem"]},
    ], default=["audit"])
    assert [x.name for x in r.match(labels(severity="critical"))] == ["crit", "support"]
    assert [x.name for x in r.match(labels())] == ["support"]
    assert [(x.name, x.receivers) for x in r.match(labels(app="other"))] == [("default", ("audit",))]


def test_regex_matchers_match_the_whole_value():
    r = router([{"match_re": {"category": "tox.*|pii", "app": "support-.*"}, "receivers": ["team"]}],
               default=["audit"])
    assert r.match(labels())[0].name == "route-1"
    assert r.match(labels(category="pii"))[0].name == "route-1"
    assert r.match(labels(category="bias"))[0].name == "default"
    assert r.match(labels(app="my-support-bot"))[0].name == "default"  # not a search: anchored


def test_groups_follow_group_by_and_keys_are_stable():
    r = router([{"name": "by-app", "match": {"app": "support-bot"}, "receivers": ["team"], "group_by": ["app"]}],
               default=["audit"])
    a = r.groups(labels(category="toxicity"))
    b = r.groups(labels(category="pii", model="other"))
    assert len(a) == 1 and a[0].key == b[0].key and a[0].labels == {"app": "support-bot"}
    # Pinned: PagerDuty dedups on it, so it must not change between processes or releases.
    assert a[0].key == group_key("by-app", {"app": "support-bot"})
    assert group_key("r", {"app": "a b", "model": "c"}) != group_key("r", {"app": "a", "model": "b c"})
    assert group_key("r1", {"app": "a"}) != group_key("r2", {"app": "a"})
    default = r.groups(labels(app="x"))[0]
    assert default.labels == {"app": "x", "model": "gpt-x", "category": "toxicity"}  # the default group_by


def test_group_key_is_pinned():
    # Pinned: PagerDuty dedups on it, so it must not change between processes or releases.
    assert group_key("default", {"app": "bot", "model": "m", "category": "toxicity"}) == "de4b5f1401139594922f1f39a2f9fe36"
    assert group_key("default", {"category": "toxicity", "model": "m", "app": "bot"}) == "de4b5f1401139594922f1f39a2f9fe36"


def test_default_receivers_come_from_legacy_sections_else_the_log():
    assert Router(AlertsConfig()).default.receivers == ("log",)
    legacy = AlertsConfig.model_validate({"slack": {"webhook_url": "http://127.0.0.1:9/s"},
                                          "pagerduty": {"routing_key": "k", "url": "http://127.0.0.1:9/p"}})
    assert Router(legacy).default.receivers == ("slack", "pagerduty")
    built = build_receivers(legacy)
    assert isinstance(built["slack"], SlackNotifier) and isinstance(built["pagerduty"], PagerDutyNotifier)
    assert isinstance(built["log"], LogNotifier)


def test_receivers_are_built_by_type():
    built = build_receivers(AlertsConfig.model_validate({
        "receivers": {**RECEIVERS, "oncall": {**RECEIVERS["oncall"], "severity_map": {"warning": "error"}}},
        "kibana_url": "http://kb"}))
    assert isinstance(built["oncall"], PagerDutyNotifier) and built["oncall"].severity_map["warning"] == "error"
    assert isinstance(built["team"], SlackNotifier) and built["team"].kibana_url == "http://kb"
    assert isinstance(built["siem"], WebhookNotifier) and built["siem"].headers(b"x")
    assert isinstance(built["audit"], LogNotifier)


@pytest.mark.parametrize("alerts,fragment", [
    ({"routing": {"routes": [{"receivers": ["nobody"]}]}}, "routing.routes.0.receivers: unknown receiver 'nobody'"),
    ({"routing": {"default_receivers": ["pager"]}}, "unknown receiver 'pager'"),
    ({"routing": {"routes": [{"match_re": {"app": "(unclosed"}, "receivers": ["log"]}]}}, "regular expression"),
    ({"routing": {"routes": [{"match": {"tenant": "x"}, "receivers": ["log"]}]}}, "alerts.routing.routes.0.match.tenant"),
    ({"receivers": {"x": {"type": "teams", "url": "u"}}}, "alerts.receivers.x"),
    ({"receivers": {"x": {"type": "pagerduty", "routing_key": "k", "severity_map": {"warning": "meh"}}}},
     "severity_map.warning"),
    ({"repeat_interval": "soon"}, "alerts.repeat_interval"),
    ({"receivers": {"x": {"type": "webhook", "url": "file:///etc/passwd"}}}, "alerts.receivers.x.webhook.url"),
    ({"grouping": {"group_by": ["tenant"]}}, "alerts.grouping.group_by.0"),
])
def test_bad_lifecycle_config_names_the_key(tmp_path, alerts, fragment):
    import yaml

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"alerts": alerts}))
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    assert fragment in str(err.value)


def test_receiver_secrets_come_from_the_environment_and_stay_secret(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("alerts:\n  receivers:\n    siem-hook:\n      type: webhook\n      url: http://127.0.0.1:9/h\n")
    cfg = load_config(path, environ={"GUARDSTREAM_RECEIVER_SIEM_HOOK_SECRET": "hmac-secret-value"})
    assert cfg.alerts.receivers["siem-hook"].secret.get_secret_value() == "hmac-secret-value"
    assert "hmac-secret-value" not in repr(cfg)


@pytest.mark.parametrize("text,seconds", [
    (90, 90.0), ("90", 90.0), ("90s", 90.0), ("5m", 300.0), ("4h", 14400.0), ("1d", 86400.0),
    ("1h30m", 5400.0), ("0", 0.0), ("250ms", 0.25)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["soon", "5 minutes", "-1", -1, "1x", "", True])
def test_bad_durations(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)
