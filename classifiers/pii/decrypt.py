"""``guardstream decrypt``: turn encrypted PII tokens back into clear text, for holders of the key.

Input is a token, a text with tokens in it, or JSON (a verdict, an indexed document, JSON lines):
every string in it is decrypted in place and the same shape is printed back.
"""
from __future__ import annotations

import json
from typing import Any, TextIO

from classifiers.pii.tokens import TokenCipher


def decrypt_value(value: Any, cipher: TokenCipher) -> tuple[Any, int]:
    """A copy of a JSON value with every token in every string decrypted, and the count."""
    if isinstance(value, str):
        return cipher.decrypt_text(value)
    if isinstance(value, dict):
        total, out = 0, {}
        for key, item in value.items():
            out[key], n = decrypt_value(item, cipher)
            total += n
        return out, total
    if isinstance(value, list):
        total, items = 0, []
        for item in value:
            clear, n = decrypt_value(item, cipher)
            items.append(clear)
            total += n
        return items, total
    return value, 0


def decrypt_stream(source: str, cipher: TokenCipher, out: TextIO) -> int:
    """Decrypt ``source`` (JSON, JSON lines or plain text) to ``out``; returns the tokens decrypted."""
    stripped = source.strip()
    if stripped[:1] in ("{", "["):
        try:
            values = [json.loads(stripped)]
        except json.JSONDecodeError:
            try:
                values = [json.loads(line) for line in stripped.splitlines() if line.strip()]
            except json.JSONDecodeError:
                values = []
        if values:
            total = 0
            for value in values:
                clear, n = decrypt_value(value, cipher)
                total += n
                out.write(json.dumps(clear, ensure_ascii=False) + "\n")
            return total
    clear, n = cipher.decrypt_text(source)
    out.write(clear if clear.endswith("\n") else clear + "\n")
    return n
