"""OTLP JSON: the samples are valid OpenTelemetry protobuf JSON, and become the expected Events."""
from __future__ import annotations

import base64
import copy
import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from pipeline.adapters.base import RecordContext
from pipeline.adapters.otlp_json import OtlpJsonAdapter, any_value
from pipeline.decode import Rejection, decode_record

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "otlp"
REQUESTS = {"traces_chat.json": ExportTraceServiceRequest, "traces_span_events.json": ExportTraceServiceRequest,
            "logs_events.json": ExportLogsServiceRequest}
ID_KEYS = {"traceId": 16, "spanId": 8, "parentSpanId": 8}
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def _ids(node, convert):
    """Apply ``convert`` to every trace/span id (OTLP/JSON writes them as hex, protobuf JSON as base64)."""
    if isinstance(node, dict):
        return {k: convert(v, k) if k in ID_KEYS and v else _ids(v, convert) for k, v in node.items()}
    if isinstance(node, list):
        return [_ids(item, convert) for item in node]
    return node


def _events(doc, **options):
    raw = json.dumps(doc).encode()
    result = decode_record(raw, OtlpJsonAdapter(**options), max_bytes=1 << 20)
    assert not isinstance(result, Rejection), result
    return {e.event_id: e for e in result}


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_samples_parse_as_opentelemetry_protobuf(name):
    """json_format.Parse rejects unknown fields and wrong types, so the structure is OTLP's own."""
    doc = json.loads((SAMPLES / name).read_text())
    as_protobuf_json = _ids(doc, lambda v, _k: base64.b64encode(bytes.fromhex(v)).decode())
    message = json_format.Parse(json.dumps(as_protobuf_json), REQUESTS[name]())
    resources = message.resource_spans if "traces" in name else message.resource_logs
    assert len(resources) == 1
    items = [s for scope in resources[0].scope_spans for s in scope.spans] if "traces" in name else \
        [r for scope in resources[0].scope_logs for r in scope.log_records]
    assert items
    for item in items:  # hex ids of the right width survive the round trip
        assert len(item.trace_id) in (0, 16) and len(item.span_id) in (0, 8)
    round_trip = _ids(json_format.MessageToDict(message), lambda v, _k: base64.b64decode(v).hex())
    # The adapter reads what protobuf itself writes (int64 as strings, enums as names) the same way.
    assert _events(round_trip) == _events(doc)


def test_chat_trace_newest_turn_tool_request_and_execute_tool_span():
    events = _events(json.loads((SAMPLES / "traces_chat.json").read_text()))
    base = "otel:5b8efff798038103d269b633813fc60c:eee19b7ec3c1b174"
    tool_span = "otel:5b8efff798038103d269b633813fc60c:1a2b3c4d5e6f7081:tool"
    assert sorted(events) == sorted([f"{base}:prompt", f"{base}:response0", f"{base}:response0:tool0", tool_span])
    prompt = events[f"{base}:prompt"]
    # Only the last user message: the first one is history resent with every call.
    assert prompt.kind == "prompt" and prompt.text.startswith("From Lisbon to Tenerife")
    assert (prompt.app, prompt.model, prompt.conversation_id, prompt.user_id) == \
        ("travel-agent", "gpt-4o-mini", "conv-7f3a", "u-42")
    assert prompt.timestamp == datetime(2026, 1, 5, 9, 0, 1, tzinfo=timezone.utc)  # span start
    assert prompt.labels == {"otel.trace_id": "5b8efff798038103d269b633813fc60c", "otel.span_id": "eee19b7ec3c1b174",
                             "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                             "deployment.environment": "prod"}
    response = events[f"{base}:response0"]
    assert response.text == "Let me look up flights for March 3."
    assert response.timestamp == datetime(2026, 1, 5, 9, 0, 2, 500000, tzinfo=timezone.utc)  # span end
    requested = events[f"{base}:response0:tool0"]
    assert requested.kind == "tool_call" and requested.tool.name == "search_flights"
    assert requested.tool.arguments == {"origin": "LIS", "destination": "TFS", "date": "2026-03-03"}
    executed = events[tool_span]
    # execute_tool spans carry no model: the chat span of the same trace supplies it.
    assert executed.model == "gpt-4o-mini" and executed.tool.name == "search_flights"
    assert executed.tool.arguments["notify"] == "ana.lopes@example.com"  # JSON string parsed to an object
    assert executed.labels["gen_ai.tool.call.id"] == "call_VSPygqKTWdrhaFErNvMV18Yl"
    assert not any("GET" in (e.text or "") for e in events.values())  # the HTTP span yields nothing


def test_span_events_of_every_convention_generation():
    events = _events(json.loads((SAMPLES / "traces_span_events.json").read_text()))
    trace = "otel:0af7651916cd43dd8448eb211c80319c"
    by_text = {e.text: e for e in events.values() if e.text}
    # 1.28-1.35 span events with gen_ai.event.content; the system message is not an event.
    assert by_text["Where is my order A-1009?"].event_id == f"{trace}:b7ad6b7169203331:prompt"
    assert by_text["Where is my order A-1009?"].timestamp == T0.replace(second=10, microsecond=2000)
    call = events[f"{trace}:b7ad6b7169203331:response0:tool0"]
    assert call.tool.name == "lookup_order" and call.tool.arguments == {"order_id": "A-1009"}
    assert f"{trace}:b7ad6b7169203331:response0" not in events  # the choice had no text content
    # 1.26-1.27 gen_ai.content.prompt / completion events.
    assert by_text["And when will it arrive?"].kind == "prompt"
    assert by_text["Order A-1009 arrives on Friday."].event_id == f"{trace}:00f067aa0ba902b7:response0"
    # 1.36+ messages as structured AnyValue arrays; the model falls back to gen_ai.response.model.
    insult = by_text["Thanks, you useless bot."]
    assert insult.model == "claude-3-5-haiku-20241022" and insult.app == "shop-assistant"
    assert by_text["Happy to help!"].kind == "response"
    assert not any("customers with orders" in t for t in by_text)
    assert len(events) == 6


def test_log_records_grouped_by_span_with_event_name_in_either_place():
    events = _events(json.loads((SAMPLES / "logs_events.json").read_text()))
    trace = "otel:4bf92f3577b34da6a3ce929d0e0e4736"
    assert sorted(events) == sorted([f"{trace}:00f067aa0ba902b7:prompt", f"{trace}:00f067aa0ba902b7:response0:tool0",
                                     f"{trace}:1111111111111111:prompt", f"{trace}:1111111111111111:response0"])
    call = events[f"{trace}:00f067aa0ba902b7:response0:tool0"]
    assert call.tool.name == "get_leave_balance" and call.tool.arguments == {"employee_id": "E-2231"}
    assert call.timestamp == T0.replace(second=21)
    sick = events[f"{trace}:1111111111111111:response0"]  # event.name attribute (older emitters)
    assert sick.text == "You have 6 sick days left this year." and sick.model == "gpt-4.1-mini"
    assert events[f"{trace}:00f067aa0ba902b7:prompt"].text == "How many vacation days do I have left?"
    assert sick.app == "hr-helper" and sick.labels["deployment.environment"] == "staging"
    assert sick.labels["gen_ai.provider.name"] == "openai"


def test_model_fallbacks_input_option_then_unknown():
    doc = json.loads((SAMPLES / "logs_events.json").read_text())
    for record in doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"]:  # no model anywhere
        record["attributes"] = [a for a in record["attributes"] if a["key"] != "gen_ai.request.model"]
    assert {e.model for e in _events(doc).values()} == {"unknown"}
    assert {e.model for e in _events(doc, model="gpt-4o").values()} == {"gpt-4o"}


def test_same_record_same_ids_and_records_without_trace_ids_use_the_record_hash():
    doc = json.loads((SAMPLES / "logs_events.json").read_text())
    assert list(_events(doc)) == list(_events(copy.deepcopy(doc)))
    bare = _ids(doc, lambda _v, _k: "")
    raw = json.dumps(bare).encode()
    events = decode_record(raw, OtlpJsonAdapter(), max_bytes=1 << 20)
    digest = hashlib.sha256(raw).hexdigest()[:24]
    assert events and all(e.event_id.startswith(f"otel:{digest}:") for e in events)
    assert len({e.event_id for e in events}) == len(events) == 4


def test_missing_timestamps_fall_back_to_the_kafka_record_time():
    doc = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "a"}}]},
                              "scopeSpans": [{"spans": [{"traceId": "ab" * 16, "spanId": "cd" * 8, "name": "chat",
                                                         "attributes": [{"key": "gen_ai.input.messages", "value": {
                                                             "stringValue": '[{"role":"user","content":"hi"}]'}}]}]}]}]}
    kafka_time = datetime(2026, 2, 1, tzinfo=timezone.utc)
    [event] = OtlpJsonAdapter().adapt(doc, RecordContext("0" * 64, kafka_time))
    assert event.timestamp == kafka_time and event.model == "unknown" and event.text == "hi"


def test_any_value_unions():
    assert any_value({"stringValue": "x"}) == "x"
    assert any_value({"intValue": "9007199254740993"}) == 9007199254740993  # int64 as a string, exact
    assert any_value({"boolValue": True}) is True and any_value({"doubleValue": 0.5}) == 0.5
    assert any_value({"arrayValue": {"values": [{"intValue": "1"}, {"stringValue": "b"}]}}) == [1, "b"]
    assert any_value({"kvlistValue": {"values": [{"key": "k", "value": {"arrayValue": {}}}]}}) == {"k": []}
    assert any_value({"bytesValue": "AAE="}) == "AAE=" and any_value({}) is None


@pytest.mark.parametrize("doc,fragment", [
    ({"spans": []}, "resourceSpans"),
    ({"resourceSpans": {"not": "a list"}}, "must be a list"),
    ({"resourceLogs": [{"scopeLogs": [{"logRecords": "x"}]}]}, "logRecords"),
    ({"resourceSpans": [{"resource": "x", "scopeSpans": []}]}, "resource must be an object"),
    ({"resourceSpans": [{"scopeSpans": [{"spans": [1, 2]}]}]}, "every entry of 'spans' must be an object"),
])
def test_records_that_are_not_otlp_are_adapter_errors(doc, fragment):
    result = decode_record(json.dumps(doc).encode(), OtlpJsonAdapter(), max_bytes=10_000)
    assert isinstance(result, Rejection) and result.reason == "adapter_error" and fragment in result.detail


def test_telemetry_without_genai_content_yields_no_events():
    doc = json.loads((SAMPLES / "traces_chat.json").read_text())
    spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
    doc["resourceSpans"][0]["scopeSpans"][0]["spans"] = [s for s in spans if s["name"] == "GET"]
    assert decode_record(json.dumps(doc).encode(), OtlpJsonAdapter(), max_bytes=1 << 20) == []
