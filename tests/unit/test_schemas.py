"""The published JSON Schema files match the models, and the models enforce the documented rules."""
from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from schemas.event import Event
from schemas.export import MODELS, schema_for, schema_path


@pytest.mark.parametrize("name", sorted(MODELS))
def test_committed_schema_files_are_up_to_date(name):
    path = schema_path(name)
    assert path.exists(), "run `guardstream schema` to write the schema files"
    assert json.loads(path.read_text()) == schema_for(name), (
        f"{path.name} is stale: run `guardstream schema` and commit the result")


def test_event_schema_uses_wire_names_and_forbids_unknown_fields():
    schema = schema_for("event")
    assert "@timestamp" in schema["properties"] and "timestamp" not in schema["properties"]
    assert schema["additionalProperties"] is False
    assert {"event_id", "@timestamp", "kind", "app", "model"} <= set(schema["required"])


def test_naive_timestamps_are_read_as_utc():
    event = Event.model_validate({"event_id": "a", "@timestamp": "2026-01-01T10:00:00", "kind": "prompt",
                                  "app": "x", "model": "y", "text": "t"})
    assert event.timestamp.utcoffset().total_seconds() == 0
    assert event.to_json_dict()["@timestamp"].startswith("2026-01-01T10:00:00")


def test_tool_calls_need_a_tool_and_control_characters_are_refused_in_names():
    base = {"event_id": "a", "@timestamp": "2026-01-01T10:00:00Z", "app": "x", "model": "y"}
    with pytest.raises(ValidationError, match="tool"):
        Event.model_validate({**base, "kind": "tool_call"})
    with pytest.raises(ValidationError):
        Event.model_validate({**base, "kind": "prompt", "text": "t", "app": "bad\napp"})
    ok = Event.model_validate({**base, "kind": "tool_call", "tool": {"name": "search", "arguments": "q"}})
    assert ok.tool.arguments == "q"
