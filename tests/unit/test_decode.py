"""Every kind of bad record becomes a Rejection with a reason; good ones become Events."""
from __future__ import annotations

import json

import pytest

from pipeline.decode import Rejection, dead_letter, decode_event
from schemas.event import DeadLetterSource, Event

GOOD = {"event_id": "e-1", "@timestamp": "2026-01-01T00:00:00Z", "kind": "prompt", "app": "a",
        "model": "m", "text": "hello"}


def _raw(**changes) -> bytes:
    doc = {**GOOD, **changes}
    return json.dumps({k: v for k, v in doc.items() if v is not ...}).encode()


def test_a_valid_event_decodes():
    event = decode_event(_raw(), max_bytes=10_000)
    assert isinstance(event, Event) and event.text == "hello" and event.timestamp.tzinfo is not None


@pytest.mark.parametrize("raw,reason,fragment", [
    (b"", "malformed_json", "empty"),
    (None, "malformed_json", "empty"),
    (b"\xff\xfe{}", "invalid_utf8", "byte 0"),
    (b'{"event_id": "e', "malformed_json", "line 1"),
    (b'"just a string"', "malformed_json", "got str"),
    (b"[1, 2]", "malformed_json", "got list"),
    (b"[" * 100_000 + b"]" * 100_000, "malformed_json", ""),
    (_raw(kind="banana"), "schema_violation", "kind"),
    (_raw(kind=...), "schema_violation", "kind"),
    (_raw(text=42), "schema_violation", "text"),
    (_raw(surprise=1), "schema_violation", "surprise"),
    (_raw(event_id=""), "schema_violation", "event_id"),
    (_raw(kind="tool_call", text=...), "schema_violation", "tool"),
    (_raw(text=...), "schema_violation", "text"),
    (_raw(labels={"k": "v" * 300}), "schema_violation", "labels"),
])
def test_bad_records_are_rejected_with_a_reason(raw, reason, fragment):
    result = decode_event(raw, max_bytes=10_000_000)
    assert isinstance(result, Rejection)
    assert result.reason == reason
    assert fragment in result.detail


def test_oversize_is_checked_before_parsing():
    result = decode_event(_raw(text="x" * 5000), max_bytes=1024)
    assert isinstance(result, Rejection) and result.reason == "oversize" and "1024" in result.detail


def test_schema_violation_keeps_the_event_id_for_operators():
    result = decode_event(_raw(kind="banana"), max_bytes=10_000)
    assert result.event_id == "e-1"


def test_dead_letter_masks_and_caps_the_payload():
    raw = b'{"text": "mail me at someone@example.com" ' + b"y" * 10_000
    letter = dead_letter(raw, Rejection("malformed_json", "bad"), DeadLetterSource(
        topic="t", partition=1, offset=7), mask=lambda s: s.replace("someone@example.com", "<EMAIL>"))
    assert "someone@example.com" not in letter.payload_preview
    assert "<EMAIL>" in letter.payload_preview
    assert len(letter.payload_preview) <= 2000 and letter.payload_bytes == len(raw)
    assert letter.source.offset == 7 and len(letter.payload_sha256) == 64
