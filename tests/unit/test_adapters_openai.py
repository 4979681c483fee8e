"""OpenAI-style chat completion records: one event per turn, tool calls with JSON-string arguments."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import pytest

from pipeline.adapters.openai_chat import OpenAIChatAdapter
from pipeline.decode import Rejection, decode_record

FLAT = {
    "id": "chatcmpl-AbC123", "object": "chat.completion", "created": 1767603600, "model": "gpt-4o-mini",
    "messages": [{"role": "developer", "content": "Be brief."},
                 {"role": "user", "content": "first question"},
                 {"role": "assistant", "content": "first answer"},
                 {"role": "user", "content": "Book a table for two at 8pm"}],
    "choices": [
        {"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": None,
            "tool_calls": [{"id": "call_a", "type": "function", "function": {
                "name": "book_table", "arguments": "{\"people\": 2, \"time\": \"20:00\"}"}},
                           {"id": "call_b", "type": "function", "function": {
                               "name": "notify", "arguments": "not json"}}]}},
        {"index": 1, "finish_reason": "stop", "message": {"role": "assistant", "content": "Done, table booked."}},
    ],
    "metadata": {"app": "resto-bot", "conversation_id": "c-9", "tenant": "acme", "region": "eu"},
    "user": "u-77",
}


def _decode(record, **options):
    return decode_record(json.dumps(record).encode(), OpenAIChatAdapter(**options), max_bytes=1 << 20)


def test_flat_record_gives_the_newest_turn():
    events = {e.event_id: e for e in _decode(FLAT)}
    assert sorted(events) == ["chatcmpl-AbC123:prompt", "chatcmpl-AbC123:response0:tool0",
                              "chatcmpl-AbC123:response0:tool1", "chatcmpl-AbC123:response1"]
    prompt = events["chatcmpl-AbC123:prompt"]
    assert prompt.text == "Book a table for two at 8pm"  # not the earlier user message
    assert (prompt.app, prompt.model, prompt.conversation_id, prompt.user_id, prompt.tenant) == \
        ("resto-bot", "gpt-4o-mini", "c-9", "u-77", "acme")
    assert prompt.labels == {"region": "eu"}
    assert prompt.timestamp == datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    book = events["chatcmpl-AbC123:response0:tool0"]
    assert book.kind == "tool_call" and book.tool.name == "book_table"
    assert book.tool.arguments == {"people": 2, "time": "20:00"}
    assert events["chatcmpl-AbC123:response0:tool1"].tool.arguments == "not json"  # kept as the raw string
    assert events["chatcmpl-AbC123:response1"].text == "Done, table booked."
    assert not any(e.text in ("first question", "first answer", "Be brief.") for e in events.values())


def test_nested_record_with_content_parts_and_response_model():
    record = {"request": {"model": "gpt-4o", "messages": [
                  {"role": "user", "content": [{"type": "text", "text": "Describe"}, {"type": "image_url",
                                                "image_url": {"url": "data:..."}}, {"type": "text", "text": "this"}]}],
                          "metadata": {"app": "vision-app"}},
              "response": {"id": "chatcmpl-Z", "created": 1767603601, "model": "gpt-4o-2024-08-06",
                           "choices": [{"index": 0, "message": {"role": "assistant", "content": "A cat."}}]}}
    events = {e.event_id: e for e in _decode(record)}
    assert events["chatcmpl-Z:prompt"].text == "Describe\nthis"
    assert events["chatcmpl-Z:response0"].model == "gpt-4o-2024-08-06"  # the response's model wins


def test_ids_from_the_record_hash_without_a_response_id_and_app_from_the_input():
    record = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "timestamp": "2026-01-05T09:00:00Z"}
    raw = json.dumps(record).encode()
    [event] = decode_record(raw, OpenAIChatAdapter(app="gateway"), max_bytes=10_000)
    assert event.event_id == f"oai:{hashlib.sha256(raw).hexdigest()[:24]}:prompt" and event.app == "gateway"
    [again] = decode_record(raw, OpenAIChatAdapter(app="gateway"), max_bytes=10_000)
    assert again.event_id == event.event_id


def test_legacy_function_call():
    record = {**FLAT, "choices": [{"index": 0, "message": {"role": "assistant", "content": None,
                                                           "function_call": {"name": "f", "arguments": "{}"}}}]}
    calls = [e for e in _decode(record) if e.kind == "tool_call"]
    assert [(c.tool.name, c.tool.arguments) for c in calls] == [("f", {})]


@pytest.mark.parametrize("change,fragment", [
    ({"metadata": {}}, "no application name"),
    ({"model": None}, "no model"),
    ({"messages": None, "choices": None}, "not a chat completion"),
    ({"created": "yesterday"}, "unreadable timestamp"),
])
def test_unmappable_records_are_adapter_errors(change, fragment):
    record = {k: v for k, v in {**FLAT, **change}.items() if v is not None}
    result = _decode(record)
    assert isinstance(result, Rejection) and result.reason == "adapter_error" and fragment in result.detail


def test_the_kafka_timestamp_is_the_last_fallback():
    from pipeline.adapters.base import RecordContext

    record = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "metadata": {"app": "a"}}
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    [event] = OpenAIChatAdapter().adapt(record, RecordContext("0" * 64, at))
    assert event.timestamp == at
    result = _decode(record)
    assert isinstance(result, Rejection) and "no timestamp" in result.detail


def test_an_image_only_last_user_message_is_not_replaced_by_an_older_one():
    record = {**FLAT, "messages": FLAT["messages"][:-1] + [
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.net/x.png"}}]}]}
    assert not any(e.kind == "prompt" for e in _decode(record))
