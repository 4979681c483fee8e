"""Turn one raw Kafka record into an Event, or into the reason it cannot be one.

Nothing here raises on bad input: every failure becomes a ``Rejection`` that the classify agent
dead-letters, so a hostile record can never stop the worker.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from pydantic import ValidationError

from pipeline.adapters.base import Adapter, AdapterError, RecordContext, summarise
from schemas.event import DeadLetter, DeadLetterSource, Event

log = logging.getLogger(__name__)

#: Deepest JSON nesting accepted (a tool's arguments rarely go past 5 levels).
MAX_JSON_DEPTH = 64

#: How much of a rejected payload the dead letter keeps (after PII masking).
PREVIEW_CHARS = 2000


@dataclass(frozen=True)
class Rejection:
    """Why a record was refused: a ``DeadLetter.reason`` code and a readable detail."""

    reason: str
    detail: str
    event_id: str | None = None


def decode_event(raw: bytes | None, *, max_bytes: int) -> Event | Rejection:
    """Parse and validate one record's value. Returns the Event or a Rejection."""
    data = _json_object(raw, max_bytes=max_bytes)
    if isinstance(data, Rejection):
        return data
    event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
    try:
        return Event.model_validate(data)
    except ValidationError as err:
        return Rejection("schema_violation", _summarise(err), event_id)


def decode_record(raw: bytes | None, adapter: Adapter, *, max_bytes: int,
                  timestamp: datetime | None = None) -> list[Event] | Rejection:
    """Parse one record's value and map it with its input's adapter: the Events (maybe none) or a Rejection.

    The checks before the adapter are the native ones (size, UTF-8, JSON object). An adapter that cannot
    map the record says why (``adapter_error``; ``schema_violation`` for native events); ``timestamp`` is
    the Kafka record's, for formats whose records may carry none. Duplicate ids within one record
    keep their first event.
    """
    data = _json_object(raw, max_bytes=max_bytes)
    if isinstance(data, Rejection):
        return data
    ctx = RecordContext(hashlib.sha256(raw).hexdigest(), timestamp)  # type: ignore[arg-type]
    try:
        events = adapter.adapt(data, ctx)
    except AdapterError as exc:
        return Rejection(exc.reason, exc.detail, exc.event_id)
    except Exception as exc:  # noqa: BLE001 -- an adapter bug must cost one record, never the worker
        log.warning("input adapter %s failed on a record: %s", adapter.name, type(exc).__name__)
        return Rejection("adapter_error", f"{adapter.name} adapter failed: {type(exc).__name__}")
    unique: dict[str, Event] = {}
    for event in events:
        unique.setdefault(event.event_id, event)
    return list(unique.values())


def _json_object(raw: bytes | None, *, max_bytes: int) -> dict | Rejection:
    """The record's value as a JSON object, or why it is not one (empty, oversize, not UTF-8, not JSON)."""
    if raw is None or len(raw) == 0:
        return Rejection("malformed_json", "empty record value")
    if len(raw) > max_bytes:
        return Rejection("oversize", f"record is {len(raw)} bytes; the limit is {max_bytes} "
                                     "(worker.max_event_bytes, or the input's max_record_bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejection("invalid_utf8", f"not UTF-8 at byte {exc.start}")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        detail = str(exc) if isinstance(exc, json.JSONDecodeError) else "JSON nested too deeply"
        return Rejection("malformed_json", detail)
    if not isinstance(data, dict):
        return Rejection("malformed_json", f"expected a JSON object, got {type(data).__name__}")
    if _depth(data) > MAX_JSON_DEPTH:
        # Deep nesting parses, but every later step that walks it (serialising, indexing) could not.
        return Rejection("malformed_json", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return data


def _depth(value: object) -> int:
    """Nesting depth of a parsed JSON value, without recursion (hostile input can be deep)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in node if isinstance(child, (dict, list)))
    return deepest


_summarise = summarise  # one wording of schema errors for native events and adapters


def dead_letter(raw: bytes | None, rejection: Rejection, source: DeadLetterSource,
                mask: Callable[[str], str]) -> DeadLetter:
    """Build the dead-letter record. ``mask`` removes PII from the payload preview (rule: no PII in clear)."""
    raw = raw or b""
    preview = raw[: PREVIEW_CHARS * 4].decode("utf-8", errors="replace")[:PREVIEW_CHARS]
    return DeadLetter(
        reason=rejection.reason,
        detail=mask(rejection.detail),
        source=source,
        received_at=datetime.now(timezone.utc),
        payload_bytes=len(raw),
        payload_sha256=hashlib.sha256(raw).hexdigest(),
        payload_preview=mask(preview),
        event_id=rejection.event_id,
    )
