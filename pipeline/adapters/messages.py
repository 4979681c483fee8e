"""Chat messages in the shapes producers write them, reduced to one form, and the "newest turn" rule.

Shapes understood (all seen in the wild):

- OpenAI chat: ``{"role", "content": str | [{"type": "text", "text"}], "tool_calls": [{"id",
  "function": {"name", "arguments"}}]}``, legacy ``function_call``, and a choice ``{"index",
  "message": {...}}``;
- OpenTelemetry GenAI events (semconv 1.28-1.35): ``{"content", "tool_calls"}`` bodies, and
  ``gen_ai.choice`` bodies ``{"index", "finish_reason", "message": {...}}``;
- OpenTelemetry GenAI messages (semconv 1.36+): ``{"role", "parts": [{"type": "text", "content"},
  {"type": "tool_call", "id", "name", "arguments"}], "finish_reason"}``.

The rule for what becomes an event (one turn per call): the **last user message** of the input is the
prompt -- earlier user messages are history a chat client resends on every call and were already seen
with the call that introduced them; every **output** message (choice) is a response, and each tool call
it requests is a tool call event. System, developer and tool-result messages are not events.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeline.adapters.base import stable_id, tool_arguments

_TEXT_PARTS = {"text", "input_text", "output_text"}
_NOT_OUTPUT = {"user", "system", "developer", "tool"}


@dataclass
class ToolRequest:
    """A tool call a model asked for."""

    name: str
    arguments: dict[str, Any] | str
    call_id: str | None = None


@dataclass
class Message:
    """One chat message reduced to what GuardStream classifies."""

    role: str
    text: str | None
    tool_calls: list[ToolRequest] = field(default_factory=list)
    at: datetime | None = None


def text_of(content: Any) -> str | None:
    """The text of a message's content: a string, or the text parts of a list joined by newlines."""
    if content is None:
        return None
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return text_of(content.get("text", content.get("content")))
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and part.get("type", "text") in _TEXT_PARTS:
                value = part.get("text", part.get("content"))
                if isinstance(value, str):
                    texts.append(value)
        return "\n".join(texts) if texts else None
    return None


def tool_requests(message: dict[str, Any]) -> list[ToolRequest]:
    """The tool calls a message requests, in every shape listed in the module docstring."""
    found: list[ToolRequest] = []
    calls = message.get("tool_calls")
    for call in calls if isinstance(calls, list) else []:
        if isinstance(call, dict):
            fn = call.get("function") if isinstance(call.get("function"), dict) else call
            _add(found, fn.get("name"), fn.get("arguments"), call.get("id"))
    legacy = message.get("function_call")
    if isinstance(legacy, dict):
        _add(found, legacy.get("name"), legacy.get("arguments"), None)
    parts = message.get("parts")
    for part in parts if isinstance(parts, list) else []:
        if isinstance(part, dict) and part.get("type") == "tool_call":
            _add(found, part.get("name"), part.get("arguments"), part.get("id"))
    return found


def _add(found: list[ToolRequest], name: Any, arguments: Any, call_id: Any) -> None:
    if isinstance(name, str) and name:
        found.append(ToolRequest(name, tool_arguments(arguments), call_id if isinstance(call_id, str) else None))


def to_message(obj: Any, *, role: str | None = None, at: datetime | None = None) -> Message | None:
    """Normalise one message (or choice); ``role`` is used when the object names none."""
    if isinstance(obj, str):
        return Message(role or "user", obj, [], at)
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("message"), dict):  # a choice wraps the assistant message
        return to_message(obj["message"], role=obj["message"].get("role") or "assistant", at=at)
    role = obj.get("role") if isinstance(obj.get("role"), str) else (role or "user")
    if "content" in obj:
        text = text_of(obj.get("content"))
    else:
        text = text_of([p for p in obj.get("parts") or [] if isinstance(p, dict)]) \
            if isinstance(obj.get("parts"), list) else None
    return Message(role, text, tool_requests(obj), at)


def to_messages(value: Any, *, role: str | None = None, at: datetime | None = None) -> list[Message]:
    """A list of messages (or a single one) normalised; unusable entries are skipped."""
    items = value if isinstance(value, list) else [value]
    return [m for m in (to_message(item, role=role, at=at) for item in items) if m is not None]


def newest_turn(inputs: list[Message], outputs: list[Message]) -> tuple[Message | None, list[Message]]:
    """The prompt and responses of the newest turn (see the module docstring).

    Without any output (a producer that logged the exchange as a list of messages), the assistant
    messages after the last user message are the responses.
    """
    last_user = None
    for i, message in enumerate(inputs):
        if message.role == "user":
            last_user = i  # even without text (an image): an older message must not stand in for it
    prompt = inputs[last_user] if last_user is not None else None
    if not outputs:
        after = inputs[last_user + 1:] if last_user is not None else []
        outputs = [m for m in after if m.role == "assistant"]
    return prompt, [m for m in outputs if m.role not in _NOT_OUTPUT]


def turn_events(prefix: str, prompt: Message | None, responses: list[Message], common: dict[str, Any], *,
                prompt_at: datetime | None, response_at: datetime | None) -> list[dict[str, Any]]:
    """Event field dicts for one turn; ids are ``prefix:prompt``, ``prefix:response{i}``, ``...:tool{j}``."""
    events: list[dict[str, Any]] = []
    if prompt is not None and prompt.text:
        events.append({**common, "event_id": stable_id(prefix, "prompt"), "kind": "prompt",
                       "text": prompt.text, "@timestamp": prompt.at or prompt_at})
    for i, response in enumerate(responses):
        at = response.at or response_at
        if response.text:
            events.append({**common, "event_id": stable_id(prefix, f"response{i}"), "kind": "response",
                           "text": response.text, "@timestamp": at})
        for j, call in enumerate(response.tool_calls):
            events.append({**common, "event_id": stable_id(prefix, f"response{i}", f"tool{j}"),
                           "kind": "tool_call", "tool": {"name": call.name, "arguments": call.arguments},
                           "@timestamp": at})
    return events
