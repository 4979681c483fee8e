"""The documents the lifecycle indexes: every field mapped, stable ids and timestamps."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from alerts.judge import Judgement
from alerts.lifecycle import AlertTracker, GroupState, Lifecycle
from alerts.windows import WindowStats
from pipeline.es_setup import template_body
from schemas.config import AlertsConfig
from schemas.documents import alert_record_document, alert_record_id, rate_document

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def leaves(doc: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of every leaf value (list items of objects included)."""
    paths = []
    for key, value in doc.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            paths.extend(leaves(value, path + "."))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                paths.extend(leaves(item, path + "."))
        else:
            paths.append(path)
    return paths


def mapped(mapping: dict[str, Any], path: str) -> bool:
    """Whether the explicit mapping names ``path`` (no reliance on dynamic mapping)."""
    node = mapping
    for part in path.split("."):
        props = node.get("properties", {})
        if part not in props:
            return node.get("enabled") is False or node.get("type") == "flattened"
        node = props[part]
    return True


def stats(minute: int, rate: float) -> WindowStats:
    return WindowStats("bot", "m", "toxicity", T0 + timedelta(minutes=minute), T0 + timedelta(minutes=minute + 1),
                       100, round(rate * 100), rate, ("<EMAIL> idiot",))


def judged(minute: int, anomalous: bool, rate: float = 0.2) -> Judgement:
    return Judgement(stats(minute, rate), anomalous, 0.02, rate / 0.02, ("spike: 10x",), ("spike",) if anomalous else ())


def test_rate_document_carries_the_judgement_and_is_mapped():
    doc = rate_document(stats(0, 0.2), judgement=judged(0, True))
    rate = doc["guardstream"]["rate"]
    assert (rate["anomalous"], rate["baseline"], rate["score"], rate["detectors"]) == (True, 0.02, 10.0, ["spike"])
    mapping = template_body("rates", "x")["template"]["mappings"]
    assert [p for p in leaves(doc) if not mapped(mapping, p)] == []
    assert "anomalous" not in rate_document(stats(0, 0.2), baseline=0.1)["guardstream"]["rate"]


def test_alert_record_document_is_mapped_and_keeps_its_id_and_timestamp_from_firing_to_resolved():
    lifecycle = Lifecycle(AlertsConfig.model_validate({"resolve_after_windows": 1}))
    tracker = AlertTracker()
    [update] = lifecycle.track(tracker, judged(0, True))
    group = GroupState(ref=update.group)
    lifecycle.apply(group, update)
    [n] = lifecycle.evaluate(group)
    lifecycle.record_delivery(group, n, {"receiver": "team", "notifier": "slack", "notification": "firing",
                                         "action": "trigger", "at": T0.isoformat(), "outcome": "delivered",
                                         "status": 200, "attempts": 1, "detail": "HTTP 200"})
    [member] = group.members.values()
    firing_id, firing = alert_record_id(member, group.ref), alert_record_document(member, group.ref)
    mapping = template_body("alerts", "x")["template"]["mappings"]
    assert [p for p in leaves(firing) if not mapped(mapping, p)] == []
    alert = firing["guardstream"]["alert"]
    assert (alert["status"], alert["group_key"], alert["route"]) == ("firing", group.ref.key, "default")
    assert alert["deliveries"][0]["outcome"] == "delivered" and "ended_at" not in alert
    for u in lifecycle.track(tracker, judged(1, False, 0.02)):
        lifecycle.apply(group, u)
    lifecycle.evaluate(group)
    [member] = group.members.values()
    resolved = alert_record_document(member, group.ref)
    assert alert_record_id(member, group.ref) == firing_id
    assert resolved["@timestamp"] == firing["@timestamp"] == T0.isoformat()  # same daily index
    assert resolved["guardstream"]["alert"]["status"] == "resolved"
    assert [p for p in leaves(resolved) if not mapped(mapping, p)] == []
