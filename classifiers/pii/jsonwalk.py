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
