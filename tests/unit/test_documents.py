"""Every field GuardStream indexes is mapped in its template (a renamed field fails here, not in prod)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from alerts.model import Alert
from alerts.windows import WindowStats
from pipeline.es_setup import template_body
from schemas.documents import alert_document, dead_letter_document, rate_document, verdict_document
from schemas.event import ClassifierInfo, DeadLetter, DeadLetterSource, PiiEntity, Verdict

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _verdict() -> Verdict:
    return Verdict.model_validate({
        "event_id": "e1", "@timestamp": NOW, "kind": "tool_call", "app": "a", "model": "m", "tenant": "t",
        "conversation_id": "c", "user_id": "u", "text": "hi <EMAIL>", "labels": {"env": "prod"},
        "tool": {"name": "send", "arguments": {"to": "<EMAIL>", "n": [1, {"deep": True}]}},
        "scores": {"toxicity": 0.1, "bias": 0.2, "pii": 0.9}, "violations": ["pii"],
        "pii": [PiiEntity(type="EMAIL", start=3, end=10, score=0.9, recognizer="r")],
        "classifier": ClassifierInfo(name="x", revision="1"), "latency_ms": 1.5, "processed_at": NOW})


def _stats() -> WindowStats:
    return WindowStats(app="a", model="m", category="toxicity", window_start=NOW,
                       window_end=NOW + timedelta(minutes=1), events=10, violations=5, rate=0.5,
                       examples=("x",))


def _leaves(doc: dict[str, Any], prefix: str = "") -> list[str]:
    paths = []
    for key, value in doc.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            paths.extend(_leaves(value, path + "."))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                paths.extend(_leaves(item, path + "."))
        else:
            paths.append(path)
    return paths


def _mapped(mapping: dict[str, Any], path: str) -> bool:
    node = mapping
    for part in path.split("."):
        props = node.get("properties", {})
        if part not in props:
            # Below an unparsed object, a flattened field or a dynamic object anything is accepted.
            return node.get("enabled") is False or node.get("type") == "flattened" or node.get("dynamic") is True
        node = props[part]
        if node.get("enabled") is False or node.get("type") == "flattened":
            return True
    return True


@pytest.mark.parametrize("template,doc", [
    ("verdicts", lambda: verdict_document(_verdict())),
    ("dead-letters", lambda: dead_letter_document(DeadLetter(
        reason="oversize", detail="d", source=DeadLetterSource(topic="t", partition=0, offset=1),
        received_at=NOW, payload_bytes=3, payload_sha256="0" * 64, payload_preview="abc", event_id="e"))),
    ("rates", lambda: rate_document(_stats(), baseline=0.1)),
    ("alerts", lambda: alert_document(Alert.from_window(_stats(), baseline=0.1, rule_factor=3.0),
                                      [{"notifier": "slack", "outcome": "delivered", "status": 200,
                                        "attempts": 1, "detail": "ok"}], at=NOW)),
])
def test_every_indexed_field_is_mapped(template, doc):
    mapping = template_body(template, "x")["template"]["mappings"]
    unmapped = [p for p in _leaves(doc()) if not _mapped(mapping, p)]
    assert unmapped == []


def test_verdict_document_uses_ecs_and_gen_ai_names():
    doc = verdict_document(_verdict())
    assert doc["service"]["name"] == "a" and doc["gen_ai"]["request"]["model"] == "m"
    assert doc["user"]["id"] == "u" and doc["organization"]["id"] == "t"
    assert doc["gen_ai"]["conversation"]["id"] == "c" and doc["gen_ai"]["tool"]["name"] == "send"
    assert doc["message"] == "hi <EMAIL>" and doc["event"]["id"] == "e1"
    assert doc["guardstream"]["pii_types"] == ["EMAIL"] and doc["guardstream"]["violated"] is True
