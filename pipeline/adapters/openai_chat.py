"""OpenAI-style chat completion records: the request ``messages`` and the response ``choices``.

Two record shapes, as gateways and SDK wrappers log them:

- nested: ``{"request": {"model", "messages", "user", "metadata"}, "response": {"id", "created", "model",
  "choices"}, "metadata": {...}}``;
- flat: one object with ``messages`` and ``choices`` side by side (``id``, ``created``, ``model``).

One event per turn (``pipeline.adapters.messages``): the last user message is the prompt, each choice
is a response, each tool call in a choice is a tool call event (``function.arguments`` is a JSON
string in the API; it becomes an object when it parses as one). Ids come from the response ``id``
(``chatcmpl-...:prompt``, ``...:response0``, ``...:response0:tool0``), or from the record's bytes when it
has none. ``metadata`` keys ``app``, ``conversation_id``, ``user_id`` and ``tenant`` fill those fields
and its other string values become labels; the request's ``user`` (or ``safety_identifier``) is the
user id. Streaming chunks and the Responses API are not read.
"""
from __future__ import annotations

from typing import Any

from pipeline.adapters.base import AdapterError, RecordContext, build_event, parse_timestamp, stable_id
from pipeline.adapters.messages import newest_turn, to_messages, turn_events
from schemas.event import Event

_META_FIELDS = {"app": "app", "conversation_id": "conversation_id", "user_id": "user_id", "tenant": "tenant"}
_MAX_LABELS = 32


class OpenAIChatAdapter:
    """Chat completion request/response records; ``app``/``model`` fill in what a record lacks."""

    name = "openai_chat"

    def __init__(self, *, app: str | None = None, model: str | None = None):
        self.app = app
        self.model = model

    def adapt(self, data: dict[str, Any], ctx: RecordContext) -> list[Event]:
        """The newest turn of one chat completion as prompt, response and tool call events."""
        request = data["request"] if isinstance(data.get("request"), dict) else data
        response = data["response"] if isinstance(data.get("response"), dict) else data
        messages = request.get("messages")
        choices = response.get("choices")
        if not isinstance(messages, list) and not isinstance(choices, list):
            raise AdapterError("not a chat completion record: no request 'messages' and no response 'choices'")
        metadata = {**_strings(request.get("metadata")), **_strings(data.get("metadata"))}
        app = metadata.get("app") or self.app
        if not app:
            raise AdapterError("no application name: set metadata.app in the record or 'app' on this input "
                               "(kafka.inputs[].app)")
        model = _first_str(response.get("model"), request.get("model")) or self.model
        if not model:
            raise AdapterError("no model: the record has no 'model' and the input sets no 'model'")
        at = self._timestamp(data, response, ctx)
        common = {
            "app": app, "model": model,
            "conversation_id": metadata.get("conversation_id"),
            "user_id": metadata.get("user_id") or _first_str(request.get("user"), request.get("safety_identifier")),
            "tenant": metadata.get("tenant"),
            "labels": dict(list({k: v[:256] for k, v in metadata.items()
                                 if k not in _META_FIELDS and 0 < len(k) <= 64}.items())[:_MAX_LABELS]),
        }
        response_id = response.get("id") if isinstance(response.get("id"), str) else None
        prefix = stable_id(response_id) if response_id else stable_id("oai", ctx.record_id)
        prompt, responses = newest_turn(to_messages(messages) if isinstance(messages, list) else [],
                                        to_messages(choices, role="assistant") if isinstance(choices, list) else [])
        return [build_event(fields) for fields in
                turn_events(prefix, prompt, responses, common, prompt_at=at, response_at=at)]

    @staticmethod
    def _timestamp(data: dict[str, Any], response: dict[str, Any], ctx: RecordContext):
        for value in (response.get("created"), data.get("@timestamp"), data.get("timestamp")):
            if value is not None:
                try:
                    return parse_timestamp(value)
                except (ValueError, OverflowError, OSError):
                    raise AdapterError(f"unreadable timestamp {str(value)[:40]!r}") from None
        if ctx.timestamp is None:
            raise AdapterError("no timestamp: no response 'created', '@timestamp' or 'timestamp'")
        return ctx.timestamp


def _strings(value: Any) -> dict[str, str]:
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)} \
        if isinstance(value, dict) else {}


def _first_str(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, str) and value:
            return value
    return None
