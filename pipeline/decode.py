"""Turn one raw Kafka record into an Event, or into the reason it cannot be one.

Nothing here raises on bad input: every failure becomes a ``Rejection`` that the classify agent
dead-letters, so a hostile record can never stop the worker.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from pydantic import ValidationError

from schemas.event import DeadLetter, DeadLetterSource, Event

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
    if raw is None or len(raw) == 0:
        return Rejection("malformed_json", "empty record value")
    if len(raw) > max_bytes:
        return Rejection("oversize", f"record is {len(raw)} bytes; the limit is {max_bytes} "
                                     "(worker.max_event_bytes)")
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
    event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
    try:
        return Event.model_validate(data)
    except ValidationError as err:
        return Rejection("schema_violation", _summarise(err), event_id)


def _summarise(err: ValidationError, limit: int = 5) -> str:
    parts = []
    for item in err.errors()[:limit]:
        where = ".".join(str(p) for p in item["loc"]) or "(event)"
        parts.append(f"{where}: {item['msg']}")
    more = err.error_count() - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


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
