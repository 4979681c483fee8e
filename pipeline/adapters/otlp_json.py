"""OpenTelemetry GenAI telemetry as the Collector's Kafka exporter writes it with ``encoding: otlp_json``.

One Kafka record is one ``ExportTraceServiceRequest`` (``resourceSpans`` -> ``scopeSpans`` -> ``spans``)
or ``ExportLogsServiceRequest`` (``resourceLogs`` -> ``scopeLogs`` -> ``logRecords``) in the OTLP/JSON
encoding: lowerCamelCase keys, trace and span ids as hex, int64 as strings, attributes as ``AnyValue``
unions. Spans and log records without GenAI content yield nothing (a Collector ships HTTP spans too).

Where the ``gen_ai.*`` semantic conventions put the content, oldest to newest, all read:

- span events ``gen_ai.content.prompt`` / ``gen_ai.content.completion`` (attributes ``gen_ai.prompt`` /
  ``gen_ai.completion``, JSON strings), and flattened ``gen_ai.prompt.N.content`` span attributes;
- events ``gen_ai.user.message``, ``gen_ai.assistant.message``, ``gen_ai.system.message``,
  ``gen_ai.tool.message`` and ``gen_ai.choice``, as log records (body = the message, name in
  ``eventName`` or the ``event.name`` attribute) or as span events (``gen_ai.event.content`` attribute);
- attributes ``gen_ai.input.messages`` / ``gen_ai.output.messages`` on the span or on the
  ``gen_ai.client.inference.operation.details`` event;
- ``execute_tool`` spans: ``gen_ai.tool.name`` and ``gen_ai.tool.call.arguments`` become a tool call.

Per span (or per trace/span pair of log records) the newest-turn rule of ``pipeline.adapters.messages``
applies. Fields: app = resource ``service.name``; model = ``gen_ai.request.model``, else
``gen_ai.response.model``, else another span of the same trace in the record, else the input's ``model``,
else ``unknown``; conversation = ``gen_ai.conversation.id``; user = ``user.id`` / ``enduser.id``.
Ids: ``otel:<traceId>:<spanId>:prompt|response0|response0:tool0|tool``, so replays overwrite.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeline.adapters.base import (AdapterError, RecordContext, build_event, from_unix_nano, stable_id,
                                    tool_arguments)
from pipeline.adapters.messages import Message, ToolRequest, newest_turn, to_messages, turn_events
from schemas.event import Event

_INPUT_EVENTS = {"gen_ai.system.message": "system", "gen_ai.user.message": "user",
                 "gen_ai.assistant.message": "assistant", "gen_ai.tool.message": "tool"}
_CHOICE_EVENT = "gen_ai.choice"
_DETAILS_EVENT = "gen_ai.client.inference.operation.details"
_FLAT = re.compile(r"^gen_ai\.(prompt|completion)\.(\d+)\.(role|content|tool_calls\.(\d+)\.(name|arguments))$")
_ZERO_ID = re.compile(r"^0*$")


def any_value(value: Any) -> Any:
    """Decode an OTLP ``AnyValue`` (``stringValue``, ``intValue`` as a string, ``kvlistValue``, ...)."""
    if not isinstance(value, dict):
        return value
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            return None
    if "doubleValue" in value:
        try:
            return float(value["doubleValue"])
        except (TypeError, ValueError):
            return None
    if "arrayValue" in value:
        items = (value["arrayValue"] or {}).get("values") or []
        return [any_value(item) for item in items] if isinstance(items, list) else None
    if "kvlistValue" in value:
        return attributes((value["kvlistValue"] or {}).get("values"))
    if "bytesValue" in value:
        return value["bytesValue"]  # base64, kept as text
    return None


def attributes(items: Any) -> dict[str, Any]:
    """A list of OTLP ``KeyValue`` as a plain dict."""
    if not isinstance(items, list):
        return {}
    return {kv["key"]: any_value(kv.get("value")) for kv in items
            if isinstance(kv, dict) and isinstance(kv.get("key"), str)}


@dataclass
class _Group:
    """The GenAI content of one span (or of the log records of one trace/span pair)."""

    resource: dict[str, Any]
    attrs: dict[str, Any]
    trace_id: str | None
    span_id: str | None
    ordinal: int
    start: datetime | None = None
    end: datetime | None = None
    inputs: list[Message] = field(default_factory=list)
    outputs: list[Message] = field(default_factory=list)


class OtlpJsonAdapter:
    """OTLP/JSON trace and log export requests; ``app``/``model`` fill in what the telemetry lacks."""

    name = "otlp_json"

    def __init__(self, *, app: str | None = None, model: str | None = None):
        self.app = app
        self.model = model

    def adapt(self, data: dict[str, Any], ctx: RecordContext) -> list[Event]:
        """Every prompt, response and tool call in one export request."""
        trace_models: dict[str | None, str] = {}
        if "resourceSpans" in data:
            groups, tools = self._spans(data, trace_models)
        elif "resourceLogs" in data:
            groups, tools = self._logs(data, trace_models), []
        else:
            raise AdapterError("not OTLP JSON: expected 'resourceSpans' (ExportTraceServiceRequest) or "
                               "'resourceLogs' (ExportLogsServiceRequest)")
        events: list[Event] = []
        for group in groups:
            prefix = self._prefix(group, ctx)
            prompt, responses = newest_turn(group.inputs, group.outputs)
            fallback = group.start or group.end or ctx.timestamp
            for fields in turn_events(prefix, prompt, responses, self._common(group, trace_models),
                                      prompt_at=fallback, response_at=group.end or fallback):
                events.append(build_event(fields))
        for group in tools:
            events.append(build_event({
                **self._common(group, trace_models), "event_id": stable_id(self._prefix(group, ctx), "tool"),
                "kind": "tool_call", "@timestamp": group.start or group.end or ctx.timestamp,
                "tool": {"name": str(group.attrs["gen_ai.tool.name"]),
                         "arguments": tool_arguments(group.attrs.get("gen_ai.tool.call.arguments"))}}))
        return events

    # -- traces ---------------------------------------------------------------------------------

    def _spans(self, data: dict[str, Any], trace_models: dict[str | None, str]
               ) -> tuple[list[_Group], list[_Group]]:
        groups, tools = [], []
        for rs in _items(data, "resourceSpans"):
            resource = attributes(_obj(rs.get("resource"), "resource").get("attributes"))
            for ss in _items(rs, "scopeSpans"):
                for span in _items(ss, "spans"):
                    attrs = attributes(span.get("attributes"))
                    group = _Group(resource, attrs, _hex(span.get("traceId")), _hex(span.get("spanId")),
                                   len(groups) + len(tools), from_unix_nano(span.get("startTimeUnixNano")),
                                   from_unix_nano(span.get("endTimeUnixNano")))
                    if group.trace_id and _model(attrs):
                        trace_models.setdefault(group.trace_id, _model(attrs))
                    if attrs.get("gen_ai.operation.name") == "execute_tool" and attrs.get("gen_ai.tool.name"):
                        tools.append(group)
                        continue
                    _collect_attributes(attrs, group)
                    for event in _items(span, "events"):
                        event_attrs = attributes(event.get("attributes"))
                        _collect(event.get("name"), _span_event_body(event_attrs), event_attrs,
                                 from_unix_nano(event.get("timeUnixNano")), group)
                    if group.inputs or group.outputs:
                        groups.append(group)
        return groups, tools

    # -- logs -----------------------------------------------------------------------------------

    def _logs(self, data: dict[str, Any], trace_models: dict[str | None, str]) -> list[_Group]:
        groups: dict[Any, _Group] = {}
        for rl in _items(data, "resourceLogs"):
            resource = attributes(_obj(rl.get("resource"), "resource").get("attributes"))
            for sl in _items(rl, "scopeLogs"):
                for record in _items(sl, "logRecords"):
                    attrs = attributes(record.get("attributes"))
                    name = record.get("eventName") or attrs.get("event.name")
                    if not isinstance(name, str) or not name.startswith("gen_ai."):
                        continue
                    trace_id, span_id = _hex(record.get("traceId")), _hex(record.get("spanId"))
                    key = (trace_id, span_id) if trace_id and span_id else len(groups)
                    group = groups.get(key)
                    if group is None:
                        group = groups[key] = _Group(resource, {}, trace_id, span_id, len(groups))
                    group.attrs.update({k: v for k, v in attrs.items() if k != "event.name"})
                    if trace_id and _model(attrs):
                        trace_models.setdefault(trace_id, _model(attrs))
                    at = from_unix_nano(record.get("timeUnixNano")) or from_unix_nano(
                        record.get("observedTimeUnixNano"))
                    if at is not None:
                        group.start = min(group.start or at, at)
                        group.end = max(group.end or at, at)
                    _collect(name, _parsed(any_value(record.get("body"))), attrs, at, group)
        return [g for g in groups.values() if g.inputs or g.outputs]

    # -- fields ---------------------------------------------------------------------------------

    def _prefix(self, group: _Group, ctx: RecordContext) -> str:
        if group.trace_id and group.span_id:
            return stable_id("otel", group.trace_id, group.span_id)
        return stable_id("otel", ctx.record_id, group.ordinal)

    def _common(self, group: _Group, trace_models: dict[str | None, str]) -> dict[str, Any]:
        attrs, resource = group.attrs, group.resource
        labels = {
            "otel.trace_id": group.trace_id, "otel.span_id": group.span_id,
            "gen_ai.operation.name": attrs.get("gen_ai.operation.name"),
            "gen_ai.provider.name": attrs.get("gen_ai.provider.name") or attrs.get("gen_ai.system"),
            "gen_ai.tool.call.id": attrs.get("gen_ai.tool.call.id"),
            "deployment.environment": resource.get("deployment.environment.name")
            or resource.get("deployment.environment"),
        }
        return {
            "app": _str(resource.get("service.name")) or self.app or "unknown_service",
            "model": _model(attrs) or trace_models.get(group.trace_id) or self.model or "unknown",
            "conversation_id": _str(attrs.get("gen_ai.conversation.id")),
            "user_id": _str(attrs.get("user.id") or attrs.get("enduser.id")),
            "labels": {k: str(v)[:256] for k, v in labels.items() if v not in (None, "")},
        }


def _collect(name: Any, body: Any, attrs: dict[str, Any], at: datetime | None, group: _Group) -> None:
    """Add what one event (span event or log record) says to the group's inputs and outputs."""
    if name in _INPUT_EVENTS:
        group.inputs += to_messages(body, role=_INPUT_EVENTS[name], at=at)
    elif name == _CHOICE_EVENT:
        group.outputs += to_messages(body, role="assistant", at=at)
    elif name == _DETAILS_EVENT:
        _collect_attributes(attrs, group, at=at)
    elif name == "gen_ai.content.prompt":
        group.inputs += _messages(attrs.get("gen_ai.prompt"), "user", at)
    elif name == "gen_ai.content.completion":
        group.outputs += _messages(attrs.get("gen_ai.completion"), "assistant", at)


def _collect_attributes(attrs: dict[str, Any], group: _Group, at: datetime | None = None) -> None:
    """Messages carried as attributes: the 1.36+ input/output messages and OpenLLMetry's flat keys."""
    group.inputs += _messages(attrs.get("gen_ai.input.messages"), "user", at or group.start)
    group.outputs += _messages(attrs.get("gen_ai.output.messages"), "assistant", at or group.end)
    flat: dict[tuple[str, int], dict[str, Any]] = {}
    for key, value in attrs.items():
        match = _FLAT.match(key)
        if match is None:
            continue
        entry = flat.setdefault((match[1], int(match[2])), {})
        if match[4] is None:
            entry[match[3]] = value
        else:
            entry.setdefault("calls", {}).setdefault(int(match[4]), {})[match[5]] = value
    for (side, _), entry in sorted(flat.items()):
        role = entry.get("role") or ("user" if side == "prompt" else "assistant")
        message = Message(str(role), _str(entry.get("content")), [], group.start if side == "prompt" else group.end)
        for _, call in sorted(entry.get("calls", {}).items()):
            if call.get("name"):
                message.tool_calls.append(ToolRequest(str(call["name"]), tool_arguments(call.get("arguments"))))
        (group.inputs if side == "prompt" else group.outputs).append(message)


def _messages(value: Any, role: str, at: datetime | None) -> list[Message]:
    """Messages from an attribute that holds them as a JSON string or as structured AnyValue data."""
    if value is None:
        return []
    parsed = _parsed(value)
    if isinstance(parsed, str):
        return [Message(role, parsed, [], at)] if parsed else []
    return to_messages(parsed, role=role, at=at)


def _span_event_body(attrs: dict[str, Any]) -> Any:
    """A span event's message: ``gen_ai.event.content`` (JSON) or the attributes themselves."""
    if "gen_ai.event.content" in attrs:
        return _parsed(attrs["gen_ai.event.content"])
    return {k: v for k, v in attrs.items() if not k.startswith("gen_ai.")}


def _parsed(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def _items(obj: Any, key: str) -> list[Any]:
    value = _obj(obj, "entry").get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise AdapterError(f"OTLP JSON: '{key}' must be a list, got {type(value).__name__}")
    if not all(isinstance(item, dict) for item in value):
        raise AdapterError(f"OTLP JSON: every entry of '{key}' must be an object")
    return value


def _obj(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AdapterError(f"OTLP JSON: {what} must be an object, got {type(value).__name__}")
    return value


def _hex(value: Any) -> str | None:
    return value if isinstance(value, str) and value and not _ZERO_ID.match(value) else None


def _str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _model(attrs: dict[str, Any]) -> str | None:
    return _str(attrs.get("gen_ai.request.model") or attrs.get("gen_ai.response.model"))
