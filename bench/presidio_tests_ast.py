"""Presidio's recognizer test cases, read from its test files with :mod:`ast` (never imported).

Used by :mod:`bench.presidio_cases`. Each ``pytest.mark.parametrize`` list whose columns include
``text`` (or ``iban``) and ``expected_len`` is one set of cases; nothing of Presidio is copied here.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Presidio's default phone leniency; rows testing another one are skipped.
PRESIDIO_DEFAULT_LENIENCY = 1

_TEXT_COLUMNS = ("text", "iban")
_POSITION_COLUMNS = ("expected_positions", "expected_res", "expected_position")


@dataclass
class Case:
    """One parametrized row: the text, Presidio's expected spans (with entity and expected score)."""

    text: str
    expected_len: int
    spans: list[tuple[int, int, str, float | None]]  # start, end, Presidio entity, expected score
    line: int


def _literal(node: ast.AST) -> Any:
    """``ast.literal_eval`` that also takes f-strings without placeholders (Presidio writes a few)."""
    if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
        return "".join(str(v.value) for v in node.values)
    return ast.literal_eval(node)


def _value(node: ast.AST) -> Any:
    """A literal value (nested tuples and lists of constants)."""
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [_value(e) for e in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    return _literal(node)


def _default_entities(tree: ast.Module) -> list[str]:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "entities":
            for stmt in ast.walk(node):
                if isinstance(stmt, ast.Return) and stmt.value is not None:
                    try:
                        return list(_value(stmt.value))
                    except (ValueError, TypeError):
                        return []
    return []


def _parametrize_calls(tree: ast.Module) -> list[ast.Call]:
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute)
                        and deco.func.attr == "parametrize" and len(deco.args) >= 2):
                    calls.append(deco)
    return calls


def _scores(columns: dict[str, Any], n: int) -> list[float | None]:
    """Presidio's expected score per span (low end of a range; None where the test states none)."""
    if "expected_score_ranges" in columns:
        ranges = list(columns["expected_score_ranges"] or ())
        out = []
        for i in range(n):
            low = ranges[i][0] if i < len(ranges) and ranges[i] else None
            out.append(float(low) if isinstance(low, (int, float)) else None)
        return out
    if "expected_scores" in columns and columns["expected_scores"]:
        return [float(s) for s in columns["expected_scores"]][:n] + [None] * max(0, n - len(columns["expected_scores"]))
    for key in ("expected_score", "score"):
        if isinstance(columns.get(key), (int, float)):
            return [float(columns[key])] * n
    return [None] * n


def parse_cases(path: Path) -> tuple[list[Case], int]:
    """The cases of one test file and the number of rows skipped (other leniency, not literal)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    default_entities = _default_entities(tree)
    cases, skipped, seen = [], 0, set()
    for call in _parametrize_calls(tree):
        try:
            names = [n.strip() for n in ast.literal_eval(call.args[0]).split(",")]
        except (ValueError, AttributeError):
            continue
        text_col = next((c for c in _TEXT_COLUMNS if c in names), None)
        if text_col is None or "expected_len" not in names or not isinstance(call.args[1], (ast.List, ast.Tuple)):
            continue
        for row in call.args[1].elts:
            try:
                values = _value(row)
            except (ValueError, TypeError, SyntaxError):
                skipped += 1
                continue
            if not isinstance(values, tuple) or len(values) != len(names):
                skipped += 1
                continue
            columns = dict(zip(names, values))
            if columns.get("leniency", PRESIDIO_DEFAULT_LENIENCY) != PRESIDIO_DEFAULT_LENIENCY:
                skipped += 1
                continue
            positions = next((columns[c] for c in _POSITION_COLUMNS if c in columns), ()) or ()
            if len(positions) == 2 and all(isinstance(p, int) for p in positions):
                positions = (positions,)
            entities = list(columns.get("entities") or default_entities)
            scores = _scores(columns, len(positions))
            spans = [(int(s), int(e), entities[min(i, len(entities) - 1)] if entities else "?", scores[i])
                     for i, (s, e) in enumerate(positions)]
            key = (columns[text_col], int(columns["expected_len"]), tuple(spans))
            if key in seen:
                continue
            seen.add(key)
            cases.append(Case(columns[text_col], int(columns["expected_len"]), spans, row.lineno))
    return cases, skipped
