"""The ``mapped`` format: paths, constants, kind values, timestamp formats, filters, and clear errors."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import pytest

from pipeline.adapters.base import parse_timestamp
from pipeline.adapters.mapped import MappedAdapter
from pipeline.adapters.spec import MISSING, MappingSpec, lookup, parse_path
from pipeline.decode import Rejection, decode_record
from schemas.config import ConfigError, load_config

BASE = {"kind": {"const": "response"}, "app": "$.svc", "model": "$.llm.model", "text": "$.llm.output"}
LINE = {"svc": "billing", "llm": {"model": "gpt-4o", "output": "All paid."}, "ts": 1767603600250}


def _run(line, **mapping):
    spec = MappingSpec.model_validate({**BASE, **mapping})
    return decode_record(json.dumps(line).encode(), MappedAdapter(spec), max_bytes=1 << 20,
                         timestamp=datetime(2026, 1, 1, tzinfo=timezone.utc))


@pytest.mark.parametrize("path,steps", [
    ("$.a.b[0].c", ("a", "b", 0, "c")),
    ("a.b[-1]", ("a", "b", -1)),
    ("$['odd key.x'].y", ("odd key.x", "y")),
    ('$["@timestamp"]', ("@timestamp",)),
    ("$.@timestamp", ("@timestamp",)),
    ("$", ()),
])
def test_path_syntax(path, steps):
    assert parse_path(path) == steps


@pytest.mark.parametrize("bad", ["", "$a", "$.a..b", "$.a[x]", "$.a[0", "a.[1]"])
def test_bad_paths_are_refused(bad):
    with pytest.raises(ValueError):
        parse_path(bad)


def test_lookup_nested_lists_and_flat_dotted_keys():
    data = {"a": {"b": [{"c": 1}, {"c": 2}]}, "service.name": "flat", "x": {"y.z": {"w": 3}}}
    assert lookup(data, parse_path("$.a.b[1].c")) == 2
    assert lookup(data, parse_path("$.a.b[-1].c")) == 2
    assert lookup(data, parse_path("$.service.name")) == "flat"
    assert lookup(data, parse_path("$.x.y.z.w")) == 3
    assert lookup(data, parse_path("$.a.b[5].c")) is MISSING and lookup(data, parse_path("$.a.c")) is MISSING


def test_a_line_becomes_one_event_with_a_hash_id():
    [event] = _run(LINE, timestamp={"path": "$.ts", "format": "epoch_ms"}, labels={"team": {"const": "payments"}})
    raw = json.dumps(LINE).encode()
    assert event.event_id == f"log:{hashlib.sha256(raw).hexdigest()[:24]}"
    assert (event.kind, event.app, event.model, event.text) == ("response", "billing", "gpt-4o", "All paid.")
    assert event.timestamp == datetime(2026, 1, 5, 9, 0, 0, 250000, tzinfo=timezone.utc)
    assert event.labels == {"team": "payments"}


def test_without_a_timestamp_mapping_the_kafka_time_is_used_and_ids_can_be_mapped():
    [event] = _run({**LINE, "rid": "req 42/a"}, event_id="$.rid")
    assert event.timestamp == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert event.event_id.startswith("gs:")  # not a valid id as it is: hashed, but stable
    [plain] = _run({**LINE, "rid": "req-42"}, event_id="$.rid")
    assert plain.event_id == "req-42"


def test_kind_values_default_and_where_filters():
    mapping = {"kind": {"path": "$.evt", "values": {"q": "prompt", "a": "response"}},
               "where": {"path": "$.evt", "in": ["q", "a", "x"]}}
    assert _run({**LINE, "evt": "q"}, **mapping)[0].kind == "prompt"
    assert _run({**LINE, "evt": "http"}, **mapping) == []       # filtered out: no event, no dead letter
    assert _run({k: v for k, v in LINE.items()}, **mapping) == []  # path absent: filtered out
    rejected = _run({**LINE, "evt": "x"}, **mapping)
    assert isinstance(rejected, Rejection) and rejected.reason == "adapter_error"
    assert "'x' at $.evt is not in mapping.kind.values" in rejected.detail
    with_default = {**mapping, "kind": {**mapping["kind"], "default": "response"}}
    assert _run({**LINE, "evt": "x"}, **with_default)[0].kind == "response"
    assert _run(LINE, where=[{"path": "$.llm.model"}, {"path": "$.svc", "in": ["billing"]}])
    assert _run(LINE, where=[{"path": "$.llm.model"}, {"path": "$.svc", "in": ["other"]}]) == []


def test_tool_calls_with_string_or_object_arguments():
    mapping = {"kind": {"const": "tool_call"}, "tool_name": "$.tool.n", "tool_arguments": "$.tool.a"}
    [call] = _run({**LINE, "tool": {"n": "refund", "a": '{"amount": 5}'}}, **mapping)
    assert call.tool.name == "refund" and call.tool.arguments == {"amount": 5}
    [call] = _run({**LINE, "tool": {"n": "refund", "a": {"amount": 6}}}, **mapping)
    assert call.tool.arguments == {"amount": 6}
    rejected = _run(LINE, **mapping)
    assert isinstance(rejected, Rejection) and "tool_name" in rejected.detail


@pytest.mark.parametrize("line,fragment", [
    ({**LINE, "llm": {"output": "x"}}, "model: nothing at $.llm.model"),
    ({**LINE, "llm": {"model": "m"}}, "text: a response needs text"),
    ({"svc": "billing", "llm": LINE["llm"]}, "timestamp: nothing at $.ts"),
    ({**LINE, "ts": "not a time"}, "timestamp: 'not a time' at $.ts"),
    ({**LINE, "svc": "bad\nname"}, "app"),
])
def test_unmappable_lines_name_the_field(line, fragment):
    result = _run(line, timestamp="$.ts")
    assert isinstance(result, Rejection) and result.reason == "adapter_error"
    assert fragment in result.detail


def test_non_string_values_become_text():
    [event] = _run({**LINE, "llm": {"model": 4, "output": {"answer": 42}}})
    assert event.model == "4" and event.text == '{"answer":42}'


@pytest.mark.parametrize("value,fmt,expected", [
    (1767603600, "auto", datetime(2026, 1, 5, 9, tzinfo=timezone.utc)),
    ("1767603600500", "auto", datetime(2026, 1, 5, 9, 0, 0, 500000, tzinfo=timezone.utc)),
    (1767603600123456789, "auto", datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=timezone.utc)),
    (1767603600.5, "epoch_s", datetime(2026, 1, 5, 9, 0, 0, 500000, tzinfo=timezone.utc)),
    ("1767603600000", "epoch_ms", datetime(2026, 1, 5, 9, tzinfo=timezone.utc)),
    (1767603600000000, "epoch_us", datetime(2026, 1, 5, 9, tzinfo=timezone.utc)),
    ("2026-01-05T10:00:00.123456789+01:00", "rfc3339", datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=timezone.utc)),
    ("2026-01-05T09:00:00Z", "auto", datetime(2026, 1, 5, 9, tzinfo=timezone.utc)),
    ("2026-01-05 09:00:00", "rfc3339", datetime(2026, 1, 5, 9, tzinfo=timezone.utc)),
    ("05/Jan/2026:10:00:00 +0100", "%d/%b/%Y:%H:%M:%S %z", datetime(2026, 1, 5, 9, tzinfo=timezone.utc)),
])
def test_timestamp_formats(value, fmt, expected):
    assert parse_timestamp(value, fmt) == expected


@pytest.mark.parametrize("value,fmt", [("soon", "auto"), (True, "auto"), ("x", "epoch_ms"), (5, "rfc3339")])
def test_bad_timestamps_raise_value_error(value, fmt):
    with pytest.raises(ValueError):
        parse_timestamp(value, fmt)


def _config_error(tmp_path, mapping) -> str:
    path = tmp_path / "c.yaml"
    path.write_text(json.dumps({"kafka": {"inputs": [{"topic": "genai.events"},
                                                     {"topic": "logs", "format": "mapped", "mapping": mapping}]}}))
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    return str(err.value)


@pytest.mark.parametrize("change,fragments", [
    ({"model": None}, ["kafka.inputs.1.mapping.model", "Field required"]),
    ({"app": "billing"}, ["kafka.inputs.1.mapping.app", "starts with '$'", "{const: billing}"]),
    ({"text": "$.a..b"}, ["kafka.inputs.1.mapping.text", "bad path"]),
    ({"timestamp": {"path": "$.ts", "format": "epoch_minutes"}}, ["mapping.timestamp.format", "epoch_ms"]),
    ({"kind": {"path": "$.e", "values": {"q": "question"}}}, ["kafka.inputs.1.mapping", "'question'"]),
    ({"text": None}, ["map 'text'"]),
    ({"app": {"path": "$.a", "const": "x"}}, ["mapping.app", "exactly one of"]),
    ({"model": {"const": "m", "format": "epoch_s"}}, ["model.format"]),
    ({"surprise": "$.x"}, ["kafka.inputs.1.mapping.surprise"]),
    ({"labels": {"x" * 65: "$.a"}}, ["kafka.inputs.1.mapping.labels", "1-64 characters"]),
])
def test_mapping_errors_at_start_up_name_the_key(tmp_path, change, fragments):
    mapping = {k: v for k, v in {**BASE, **change}.items() if v is not None}
    message = _config_error(tmp_path, mapping)
    for fragment in fragments:
        assert fragment in message, message
