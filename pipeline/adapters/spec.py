"""The declarative field mapping of the ``mapped`` input format, validated at start-up.

Only pydantic and the standard library here: ``schemas.config`` imports this module, so it must not
pull in the adapters (or anything heavy). Paths are compiled once, when the config is loaded, so a
typo in a path is a start-up error that names the key, never a dead letter per record.

Path syntax (a small JSONPath subset):

- ``$.a.b[0].c`` -- JSONPath: ``$`` is the record, ``.name`` a key, ``[N]`` a list index (``-1`` = last),
  ``['odd key']`` a key with dots or spaces;
- ``a.b[0].c`` -- the same without ``$`` (only inside ``{path: ...}``).

A dotted name also finds keys that contain dots, as flat ECS-style logs write them:
``$.service.name`` finds both ``{"service": {"name": "x"}}`` and ``{"service.name": "x"}``.
"""
from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

#: Timestamp formats a mapping may name; anything containing ``%`` is a ``strptime`` pattern.
TIMESTAMP_FORMATS: tuple[str, ...] = ("auto", "rfc3339", "epoch_s", "epoch_ms", "epoch_us", "epoch_ns")

#: Event kinds, repeated here so this module stays free of the event model.
KINDS: tuple[str, ...] = ("prompt", "response", "tool_call")

_STEP = re.compile(r"""\.(?P<name>[^.\[\]'"]+)|\[(?P<index>-?\d+)\]|\[(?P<quoted>'[^']*'|"[^"]*")\]""")
MISSING: Any = object()


def parse_path(path: str) -> tuple[str | int, ...]:
    """Compile ``$.a.b[0]`` or ``a.b[0]`` into steps (``("a", "b", 0)``); ValueError says where it breaks."""
    text = path.strip()
    if not text:
        raise ValueError("empty path")
    rest = text[1:] if text.startswith("$") else "." + text
    steps: list[str | int] = []
    pos = 0
    while pos < len(rest):
        match = _STEP.match(rest, pos)
        if match is None:
            column = pos + 2 if text.startswith("$") else max(pos, 1)  # 1-based, in the path as written
            raise ValueError(f"bad path {path!r} at character {column}: expected .name, [N] or ['key']")
        if match["name"] is not None:
            steps.append(match["name"])
        elif match["index"] is not None:
            steps.append(int(match["index"]))
        else:
            steps.append(match["quoted"][1:-1])
        pos = match.end()
    return tuple(steps)


def lookup(data: Any, steps: tuple[str | int, ...]) -> Any:
    """The value at ``steps`` in ``data``, or ``MISSING``."""
    return _lookup(data, steps, 0)


def _lookup(node: Any, steps: tuple[str | int, ...], i: int) -> Any:
    if i == len(steps):
        return node
    step = steps[i]
    if isinstance(step, int):
        if isinstance(node, list) and -len(node) <= step < len(node):
            return _lookup(node[step], steps, i + 1)
        return MISSING
    if not isinstance(node, dict):
        return MISSING
    if step in node:
        found = _lookup(node[step], steps, i + 1)
        if found is not MISSING:
            return found
    # Flat keys with dots ("service.name") as ECS loggers write them: try the longer joins.
    for j in range(i + 2, len(steps) + 1):
        if not all(isinstance(s, str) for s in steps[i:j]):
            break
        joined = ".".join(steps[i:j])  # type: ignore[arg-type]
        if joined in node:
            found = _lookup(node[joined], steps, j)
            if found is not MISSING:
                return found
    return MISSING


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldSpec(_Strict):
    """Where one Event field comes from: a ``path`` into the record or a ``const``.

    A plain string in the config is a JSONPath and must start with ``$``; write ``{const: value}`` for
    a constant and ``{path: a.b}`` for a dotted path. ``values`` translates what was found (e.g. a log
    event name to a kind); ``default`` is used when the path finds nothing or ``values`` has no entry.
    ``format`` is for ``timestamp`` only.
    """

    path: str | None = None
    const: Any = None
    default: Any = None
    values: dict[str, Any] | None = None
    format: str | None = None
    _steps: tuple[str | int, ...] | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip().startswith("$"):
                raise ValueError(f"{value!r}: a plain string is a JSONPath and starts with '$' "
                                 f"(e.g. $.{value}); write {{const: {value}}} for a constant "
                                 f"or {{path: {value}}} for a dotted path")
            return {"path": value}
        if isinstance(value, (int, float, bool)) or value is None:
            raise ValueError("expected a JSONPath string or a mapping with 'path' or 'const'")
        return value

    @field_validator("format")
    @classmethod
    def _format(cls, value: str | None) -> str | None:
        if value is not None and "%" not in value and value not in TIMESTAMP_FORMATS:
            raise ValueError(f"unknown timestamp format {value!r}; valid: {', '.join(TIMESTAMP_FORMATS)} "
                             "or a strptime pattern such as '%d/%b/%Y:%H:%M:%S %z'")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> "FieldSpec":
        has_const = "const" in self.model_fields_set
        if (self.path is None) == (not has_const):
            raise ValueError("give exactly one of 'path' or 'const'")
        if self.path is not None:
            self._steps = parse_path(self.path)
        return self

    def found(self, data: Any) -> Any:
        """What the path finds (or the constant), before ``values`` and ``default``; None if nothing."""
        value = self.const if self._steps is None else lookup(data, self._steps)
        return None if value is MISSING else value

    def resolve(self, data: Any) -> Any:
        """The value for one record: found (or constant), translated by ``values``; None if absent."""
        value = self.found(data)
        if value is None:
            return self.default
        if self.values is not None:
            key = value if isinstance(value, str) else _scalar_key(value)
            return self.values.get(key, self.default)
        return value

    def describe(self) -> str:
        """How the config names this source, for error messages."""
        return self.path if self.path is not None else f"const {self.const!r}"


def _scalar_key(value: Any) -> str:
    # YAML keys of `values` are strings: match JSON's spelling of true/false/numbers.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class WhereSpec(_Strict):
    """A record filter: it matches when ``path`` holds a value (one of ``in`` when given)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    path: str
    in_: list[Any] | None = Field(default=None, alias="in")
    _steps: tuple[str | int, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _compile(self) -> "WhereSpec":
        self._steps = parse_path(self.path)
        return self

    def matches(self, data: Any) -> bool:
        value = lookup(data, self._steps)
        if value is MISSING or value is None:
            return False
        return self.in_ is None or value in self.in_


class MappingSpec(_Strict):
    """How one JSON log line becomes one Event (or none, when ``where`` does not match)."""

    kind: FieldSpec
    app: FieldSpec
    model: FieldSpec
    text: FieldSpec | None = None
    timestamp: FieldSpec | None = Field(
        default=None, description="Unset: the Kafka record's timestamp.")
    event_id: FieldSpec | None = Field(
        default=None, description="Unset or absent: derived from the record's bytes (replays keep it).")
    tenant: FieldSpec | None = None
    conversation_id: FieldSpec | None = None
    user_id: FieldSpec | None = None
    tool_name: FieldSpec | None = None
    tool_arguments: FieldSpec | None = None
    labels: dict[str, FieldSpec] = Field(default_factory=dict, max_length=32)
    where: list[WhereSpec] = Field(default_factory=list, description="All must match, else no event.")

    @field_validator("labels")
    @classmethod
    def _label_names(cls, value: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
        for name in value:
            if not 0 < len(name) <= 64:
                raise ValueError(f"label name {name[:70]!r} must be 1-64 characters")
        return value

    @field_validator("where", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _consistent(self) -> "MappingSpec":
        if self.text is None and self.tool_name is None:
            raise ValueError("map 'text' (prompts and responses) or 'tool_name' (tool calls), or both")
        for name in type(self).model_fields:
            spec = getattr(self, name)
            if name != "timestamp" and isinstance(spec, FieldSpec) and spec.format is not None:
                raise ValueError(f"{name}.format: only 'timestamp' takes a format")
        kinds = [self.kind.const] if self.kind.path is None else []
        kinds += list((self.kind.values or {}).values()) + [self.kind.default]
        for kind in kinds:
            if kind is not None and kind not in KINDS:
                raise ValueError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
        return self
