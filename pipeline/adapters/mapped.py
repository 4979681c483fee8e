"""Any JSON log line, through the declarative field mapping of its input (``kafka.inputs[].mapping``).

The mapping (``pipeline.adapters.spec.MappingSpec``) was validated when the config was loaded; here
it is only applied. A line that ``where`` filters out yields no event (application logs carry much
more than GenAI traffic); a line that matches but lacks a required field, or whose kind, timestamp or
fields are unusable, is dead-lettered with reason ``adapter_error`` and a detail naming the field.
Without a mapped ``event_id`` (or when the line has none) the id is ``log:`` + a hash of the line's
bytes, so replaying the topic overwrites instead of duplicating.
"""
from __future__ import annotations

from typing import Any

from pipeline.adapters.base import (AdapterError, RecordContext, as_text, build_event, parse_timestamp,
                                    stable_id, tool_arguments)
from pipeline.adapters.spec import KINDS, FieldSpec, MappingSpec
from schemas.event import Event

_OPTIONAL = ("tenant", "conversation_id", "user_id")


class MappedAdapter:
    """One log line, at most one Event, as the mapping says."""

    name = "mapped"

    def __init__(self, mapping: MappingSpec):
        self.mapping = mapping

    def adapt(self, data: dict[str, Any], ctx: RecordContext) -> list[Event]:
        """The mapped Event, or none when a ``where`` condition does not match."""
        spec = self.mapping
        if not all(cond.matches(data) for cond in spec.where):
            return []
        kind = self._required("kind", spec.kind, data)
        if kind not in KINDS:
            raise AdapterError(f"kind: {str(kind)[:60]!r} from {spec.kind.describe()} is not one of "
                               f"{', '.join(KINDS)}; translate it with mapping.kind.values")
        event_id = as_text(spec.event_id.resolve(data)) if spec.event_id else None
        fields: dict[str, Any] = {
            "event_id": stable_id(event_id) if event_id else stable_id("log", ctx.record_id),
            "@timestamp": self._timestamp(data, ctx),
            "kind": kind,
            "app": as_text(self._required("app", spec.app, data)),
            "model": as_text(self._required("model", spec.model, data)),
            "text": as_text(spec.text.resolve(data)) if spec.text else None,
            "labels": {key: as_text(value)[:256] for key, field in spec.labels.items()
                       if (value := field.resolve(data)) is not None},
        }
        for name in _OPTIONAL:
            field = getattr(spec, name)
            fields[name] = as_text(field.resolve(data)) if field else None
        tool_name = as_text(spec.tool_name.resolve(data)) if spec.tool_name else None
        if tool_name:
            arguments = spec.tool_arguments.resolve(data) if spec.tool_arguments else None
            fields["tool"] = {"name": tool_name, "arguments": tool_arguments(arguments)}
        if kind == "tool_call" and not tool_name:
            where = spec.tool_name.describe() if spec.tool_name else "(mapping.tool_name is not set)"
            raise AdapterError(f"tool_name: a tool_call needs a tool name; nothing at {where}")
        if kind != "tool_call" and fields["text"] is None:
            where = spec.text.describe() if spec.text else "(mapping.text is not set)"
            raise AdapterError(f"text: a {kind} needs text; nothing at {where}")
        return [build_event(fields)]

    @staticmethod
    def _required(name: str, field: FieldSpec, data: dict[str, Any]) -> Any:
        value = field.resolve(data)
        if value is None:
            found = field.found(data)
            if found is not None and field.values is not None:
                raise AdapterError(f"{name}: {str(found)[:60]!r} at {field.describe()} is not in "
                                   f"mapping.{name}.values and there is no default")
            raise AdapterError(f"{name}: nothing at {field.describe()}")
        return value

    def _timestamp(self, data: dict[str, Any], ctx: RecordContext):
        field = self.mapping.timestamp
        if field is None:
            if ctx.timestamp is None:
                raise AdapterError("timestamp: not mapped and the Kafka record has no timestamp")
            return ctx.timestamp
        value = self._required("timestamp", field, data)
        try:
            return parse_timestamp(value, field.format or "auto")
        except (ValueError, OverflowError, OSError):
            raise AdapterError(f"timestamp: {str(value)[:40]!r} at {field.describe()} is not "
                               f"{field.format or 'auto'} (epoch number or RFC 3339)") from None
