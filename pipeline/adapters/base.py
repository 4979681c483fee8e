"""What every input adapter shares: the interface, the error it raises, and helpers for ids and events.

An adapter turns one decoded JSON record into zero or more Events. It raises ``AdapterError`` for a
record it cannot map; ``pipeline.decode.decode_record`` turns that into a dead letter with the reason.
Event ids are derived from the source (trace/span ids, response ids, the record's bytes), never drawn
at random, so replaying a topic overwrites the same documents instead of adding new ones.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

from pydantic import ValidationError

from schemas.event import Event

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")
_HEAD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,31}$")


class AdapterError(Exception):
    """A record an adapter cannot map. ``reason`` is the ``DeadLetter.reason``; ``detail`` says why."""

    def __init__(self, detail: str, *, reason: str = "adapter_error", event_id: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.reason = reason
        self.event_id = event_id


@dataclass(frozen=True)
class RecordContext:
    """What an adapter may know about the Kafka record besides its value."""

    sha256: str
    #: The Kafka record's timestamp: the fallback for records that carry none.
    timestamp: datetime | None = None

    @property
    def record_id(self) -> str:
        """A short stable id of the record's bytes (same bytes, same id)."""
        return self.sha256[:24]


class Adapter(Protocol):
    """One input format. ``adapt`` must be deterministic: same record, same events, same ids."""

    name: str

    def adapt(self, data: dict[str, Any], ctx: RecordContext) -> list[Event]:
        ...


def stable_id(prefix: str, *parts: str | int) -> str:
    """``prefix:part:part`` when that is a valid event id, else ``prefix:`` + a hash of the parts."""
    candidate = ":".join([prefix, *map(str, parts)])
    if _ID.match(candidate):
        return candidate
    head = prefix.split(":", 1)[0]
    head = head if _HEAD.match(head) else "gs"
    return f"{head}:{hashlib.sha256(candidate.encode()).hexdigest()[:40]}"


def summarise(err: ValidationError, limit: int = 5) -> str:
    """Pydantic's errors as ``field: message; ...`` (first ``limit``)."""
    parts = []
    for item in err.errors()[:limit]:
        where = ".".join(str(p) for p in item["loc"]) or "(event)"
        parts.append(f"{where}: {item['msg']}")
    more = err.error_count() - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def build_event(fields: dict[str, Any]) -> Event:
    """Validate an adapter's output as an Event; None values are left out. Raises AdapterError."""
    data = {k: v for k, v in fields.items() if v is not None}
    try:
        return Event.model_validate(data)
    except ValidationError as err:
        event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
        raise AdapterError(f"mapped event is invalid: {summarise(err)}", event_id=event_id) from None


def as_text(value: Any) -> str | None:
    """A field value as text: strings as they are, other JSON as compact JSON, None stays None."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def tool_arguments(value: Any) -> dict[str, Any] | str:
    """Tool arguments as the Event wants them: a JSON object, or the raw string when it is not one."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            return value
        return parsed if isinstance(parsed, dict) else value
    return as_text(value) or ""


#: Units per second of the epoch formats.
EPOCH_UNITS = {"epoch_s": 1, "epoch_ms": 1_000, "epoch_us": 1_000_000, "epoch_ns": 1_000_000_000}
_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_timestamp(value: Any, fmt: str = "auto") -> datetime:
    """A timestamp in one of ``pipeline.adapters.spec.TIMESTAMP_FORMATS`` (or a strptime pattern).

    ``auto`` reads numbers (and numeric strings) as epoch seconds, millis, micros or nanos by their
    magnitude and anything else as RFC 3339 / ISO 8601. Naive results are UTC. Raises ValueError.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a timestamp: {value!r}")
    if fmt == "auto":
        number = _number(value)
        if number is None:
            return _iso(value)
        size = abs(number)
        unit = 1 if size < 1e11 else 1_000 if size < 1e14 else 1_000_000 if size < 1e17 else 1_000_000_000
        return _epoch(number, unit)
    if fmt == "rfc3339":
        return _iso(value)
    if fmt in EPOCH_UNITS:
        number = _number(value)
        if number is None:
            raise ValueError(f"not an epoch number: {value!r}")
        return _epoch(number, EPOCH_UNITS[fmt])
    parsed = datetime.strptime(str(value), fmt)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _number(value: Any) -> int | float | None:
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return None
    return None


def _epoch(number: int | float, unit: int) -> datetime:
    if isinstance(number, int):  # exact for nanoseconds, where a float would round
        whole, rest = divmod(number, unit)
        return datetime.fromtimestamp(whole, tz=timezone.utc).replace(microsecond=rest * 1_000_000 // unit)
    return datetime.fromtimestamp(number / unit, tz=timezone.utc)


def _iso(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}")
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    # Python before 3.11 reads at most 6 fraction digits; nanosecond stamps are common in logs.
    parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", text))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def from_unix_nano(value: Any) -> datetime | None:
    """OTLP's ``timeUnixNano`` (a string int64 in JSON, sometimes a number); 0 or absent means unknown."""
    try:
        nanos = int(value)
    except (TypeError, ValueError):
        return None
    return _epoch(nanos, 1_000_000_000) if nanos > 0 else None
