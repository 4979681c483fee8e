"""Recognizers built from config: custom regular expressions and deny-lists.

They follow the same protocol as the built-in pattern recognizers (``name``, ``entity_type``,
``find``) but are instances with their own settings rather than registered classes.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from schemas.event import PiiEntity


class RegexRecognizer:
    """Reports every match of ``regex`` as ``entity_type`` with ``score`` (context words may raise it)."""

    def __init__(self, name: str, entity_type: str, regex: str, score: float = 0.8) -> None:
        self.name, self.entity_type, self.score = name, entity_type, score
        self._re = re.compile(regex)

    def find(self, text: str) -> list[PiiEntity]:
        """Non-empty matches of the expression."""
        return [PiiEntity(type=self.entity_type, start=m.start(), end=m.end(), score=self.score,
                          recognizer=self.name) for m in self._re.finditer(text) if m.end() > m.start()]


class DenyListRecognizer:
    """Values that are always PII of ``entity_type`` (e.g. code names, VIP names), matched as whole words.

    Case-insensitive; scores 1.0 so a deny-listed value wins over any other reading of it.
    """

    def __init__(self, entity_type: str, values: Iterable[str]) -> None:
        self.name, self.entity_type = f"deny_list_{entity_type.lower()}", entity_type
        words = sorted({v.strip() for v in values if v.strip()}, key=len, reverse=True)
        self._re = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)",
                              re.IGNORECASE) if words else None

    def find(self, text: str) -> list[PiiEntity]:
        """Every occurrence of a listed value."""
        if self._re is None:
            return []
        return [PiiEntity(type=self.entity_type, start=m.start(), end=m.end(), score=1.0, recognizer=self.name)
                for m in self._re.finditer(text)]
