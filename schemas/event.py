"""Event, verdict and dead-letter models: the wire format of GuardStream, version 1.

Field names follow Elastic Common Schema where one exists (``@timestamp``) and keep the
OpenTelemetry ``gen_ai.*`` meaning for ``model`` (``gen_ai.request.model``). The JSON Schema
files next to this module are generated from these models (``guardstream schema export``) so
producers in any language can validate before they send.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = "1"

#: The categories every verdict is scored on. Order is the order of ``Verdict.scores``.
CATEGORIES: tuple[str, ...] = ("toxicity", "bias", "pii")

EventKind = Literal["prompt", "response", "tool_call"]

_ID = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$"
_NAME = r"^[^\x00-\x1f]{1,128}$"


class ToolCall(BaseModel):
    """An agent's tool invocation: the tool name and its arguments (JSON object or raw string)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=_NAME)
    arguments: dict[str, Any] | str = Field(default_factory=dict)


class Event(BaseModel):
    """One prompt, response or tool call, as an application ships it to ``genai.events``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    event_id: str = Field(pattern=_ID, description="Unique id; the index document id.")
    timestamp: datetime = Field(alias="@timestamp", description="When the event happened (RFC 3339).")
    kind: EventKind
    app: str = Field(pattern=_NAME, description="The application (service.name).")
    model: str = Field(pattern=_NAME, description="The model that served it (gen_ai.request.model).")
    tenant: str | None = Field(default=None, pattern=_NAME)
    conversation_id: str | None = Field(default=None, pattern=_NAME)
    user_id: str | None = Field(default=None, pattern=_NAME, description="Already pseudonymous.")
    text: str | None = Field(default=None, description="Prompt or response text.")
    tool: ToolCall | None = None
    labels: dict[str, str] = Field(default_factory=dict, max_length=32)

    @field_validator("timestamp")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        # Naive timestamps are ambiguous across producers; read them as UTC.
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

    @field_validator("labels")
    @classmethod
    def _label_keys(cls, value: dict[str, str]) -> dict[str, str]:
        for key, val in value.items():
            if not 0 < len(key) <= 64 or len(val) > 256:
                raise ValueError("label keys must be 1-64 characters and values at most 256")
        return value

    @model_validator(mode="after")
    def _content(self) -> "Event":
        if self.kind == "tool_call" and self.tool is None:
            raise ValueError("kind 'tool_call' needs a 'tool' object")
        if self.kind != "tool_call" and self.text is None:
            raise ValueError(f"kind '{self.kind}' needs 'text'")
        return self

    def to_json_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data with wire names (``@timestamp``)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class PiiEntity(BaseModel):
    """One PII finding. Offsets refer to the original (unmasked) text of the field."""

    model_config = ConfigDict(extra="forbid")

    type: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    score: float = Field(ge=0.0, le=1.0)
    recognizer: str
    #: Where the value was found: ``text`` or a JSON path into ``tool.arguments``.
    field: str = "text"


class ClassifierInfo(BaseModel):
    """Which model produced the scores, so a verdict can be traced to weights."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    name: str
    revision: str


class Verdict(Event):
    """The event with ``text`` (and tool arguments) masked, plus what the classifiers found."""

    scores: dict[str, float] = Field(description="Per-category score in 0..1.")
    violations: list[str] = Field(description="Categories whose score crossed its threshold.")
    pii: list[PiiEntity] = Field(default_factory=list)
    classifier: ClassifierInfo
    latency_ms: float = Field(ge=0.0, description="Classification time of the batch, per event.")
    processed_at: datetime
    text_truncated: bool = False


class DeadLetterSource(BaseModel):
    """Where a dead letter came from in Kafka."""

    model_config = ConfigDict(extra="forbid")

    topic: str
    partition: int
    offset: int


class DeadLetter(BaseModel):
    """A record that could not be accepted, with the reason. The payload is PII-masked and capped."""

    model_config = ConfigDict(extra="forbid")

    reason: Literal["invalid_utf8", "malformed_json", "schema_violation", "oversize", "adapter_error",
                    "index_rejected"]
    detail: str
    source: DeadLetterSource
    received_at: datetime
    payload_bytes: int
    payload_sha256: str
    payload_preview: str = Field(description="Start of the payload with PII masked.")
    event_id: str | None = None
