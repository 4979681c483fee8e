"""The native GuardStream event: the record is one Event as ``schemas/event.v1.schema.json`` describes.

Behaviour is the one ``decode_event`` always had: a record that breaks the schema is a dead letter
with reason ``schema_violation`` (not ``adapter_error``) and keeps its ``event_id`` for operators.
"""
from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from pipeline.adapters.base import AdapterError, RecordContext, summarise
from schemas.event import Event


class NativeAdapter:
    """One record, one Event, validated as it is."""

    name = "native"

    def adapt(self, data: dict[str, Any], ctx: RecordContext) -> list[Event]:
        """The record as an Event; AdapterError(reason="schema_violation") when it breaks the schema."""
        event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
        try:
            return [Event.model_validate(data)]
        except ValidationError as err:
            raise AdapterError(summarise(err), reason="schema_violation", event_id=event_id) from None
