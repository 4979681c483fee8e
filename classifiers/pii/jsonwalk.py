"""Walking a JSON value (tool arguments) leaf by leaf, with a stable path for each leaf.

Paths look like ``tool.arguments.customer.email`` and ``tool.arguments.items[2]``; a key that
is not a plain identifier is quoted (``tool.arguments["first name"]``) so every path is
unambiguous. The detector and the masker both use :func:`iter_leaves` and :func:`map_leaves`,
which is what guarantees that a finding's ``field`` addresses the leaf it came from.

Both walks are iterative: a deeply nested payload must not end in a ``RecursionError``.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")


def child_path(parent: str, key: Any) -> str:
    """The path of ``parent[key]``: ``.key`` for identifiers, ``[3]`` for list items, ``["k"]`` else."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    key = str(key)
    return f"{parent}.{key}" if _PLAIN_KEY.match(key) else f"{parent}[{json.dumps(key)}]"


def leaf_text(value: Any) -> str | None:
    """The text scanned for a leaf: strings as they are, integers as digits, else ``None``.

    Integers are scanned because a card number or SSN sent as a JSON number is still one.
    Integral floats count too (``4111111111111111.0``); other floats and booleans cannot hold
    the entity types supported here.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e20:
        return str(int(value))
    return None


def _children(value: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(value, dict):
        return iter(value.items())
    if isinstance(value, (list, tuple)):
        return iter(enumerate(value))
    return iter(())


def iter_leaves(value: Any, prefix: str) -> Iterator[tuple[str, str]]:
    """Yield ``(path, text)`` for every scannable leaf of ``value``, in document order."""
    stack: list[tuple[str, Any]] = [(prefix, value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, (dict, list, tuple)):
            # Reversed so that popping visits children in document order.
            stack.extend(reversed([(child_path(path, k), v) for k, v in _children(node)]))
            continue
        text = leaf_text(node)
        if text is not None:
            yield path, text


def map_leaves(value: Any, prefix: str, fn: Callable[[str, Any], Any]) -> Any:
    """A copy of ``value`` with every leaf replaced by ``fn(path, leaf)``; containers are copied."""
    def shell(node: Any) -> Any:
        return {} if isinstance(node, dict) else [] if isinstance(node, (list, tuple)) else None

    root_shell = shell(value)
    if root_shell is None:
        return fn(prefix, value)
    stack: list[tuple[Any, str, Any]] = [(root_shell, prefix, value)]
    while stack:
        out, path, node = stack.pop()
        for key, child in _children(node):
            child_out = shell(child)
            child_value = fn(child_path(path, key), child) if child_out is None else child_out
            if isinstance(out, dict):
                out[key] = child_value
            else:
                out.append(child_value)
            if child_out is not None:
                stack.append((child_out, child_path(path, key), child))
    return root_shell


class RenderedLeaf(tuple):
    """Where a string leaf sits in :func:`render_json`'s output: ``(path, start, end, index)``;
    ``index`` maps each rendered character to the leaf's own offset, None when the two are the same
    (the leaf needed no JSON escape)."""

    __slots__ = ()

    def __new__(cls, path: str, start: int, end: int, index: list[int] | None) -> "RenderedLeaf":
        return super().__new__(cls, (path, start, end, index))

    @property
    def path(self) -> str:
        return self[0]

    def to_leaf(self, start: int, end: int) -> tuple[int, int] | None:
        """The part of rendered span ``[start, end)`` inside this leaf, in the leaf's own offsets."""
        s, e = max(start, self[1]), min(end, self[2])
        if s >= e:
            return None
        index = self[3]
        if index is None:
            return s - self[1], e - self[1]
        return index[s - self[1]], index[e - 1 - self[1]] + 1


def render_json(value: Any, prefix: str) -> tuple[str, list[RenderedLeaf]]:
    """``json.dumps(value, ensure_ascii=False)``, and where each leaf that :func:`iter_leaves` yields
    (same paths) sits in that text: a model that reads the whole rendering once can hand each leaf the
    findings that fall inside it."""
    parts: list[str] = []
    leaves: list[RenderedLeaf] = []
    at = 0

    def emit(chunk: str) -> None:
        nonlocal at
        parts.append(chunk)
        at += len(chunk)

    def string(path: str | None, text: str) -> None:
        escaped = json.dumps(text, ensure_ascii=False)
        emit('"')
        start = at
        index = None
        if len(escaped) != len(text) + 2:  # some character needed an escape: map each back
            index = [i for i, c in enumerate(text) for _ in range(len(json.dumps(c, ensure_ascii=False)) - 2)]
        emit(escaped[1:-1])
        if path is not None:
            leaves.append(RenderedLeaf(path, start, at, index))
        emit('"')

    # Iterative, like the walks above: a work list of ("value", path, node) and literal text to emit.
    work: list[tuple[str, str, Any]] = [("value", prefix, value)]
    while work:
        kind, path, node = work.pop()
        if kind == "text":
            emit(node)
        elif kind == "key":
            string(None, node)
        elif isinstance(node, str):
            string(path, node)
        elif isinstance(node, dict):
            items: list[tuple[str, str, Any]] = [("text", "", "{")]
            for n, (key, child) in enumerate(node.items()):
                items += [("text", "", ", ")] if n else []
                items += [("key", "", str(key)), ("text", "", ": "), ("value", child_path(path, key), child)]
            work.extend(reversed([*items, ("text", "", "}")]))
        elif isinstance(node, (list, tuple)):
            items = [("text", "", "[")]
            for n, child in enumerate(node):
                items += [("text", "", ", ")] if n else []
                items.append(("value", child_path(path, n), child))
            work.extend(reversed([*items, ("text", "", "]")]))
        else:
            rendered = json.dumps(node)
            text = leaf_text(node)
            if text is not None and rendered.startswith(text):  # a number the detector scans as digits
                leaves.append(RenderedLeaf(path, at, at + len(text), None))
            emit(rendered)
    return "".join(parts), leaves
