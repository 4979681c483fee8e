"""Masking: replace, remove, shorten, pseudonymize or encrypt the spans a detector found.

Operators (per entity type through :class:`MaskPolicy`):

- ``replace``: ``<EMAIL>`` (the default);
- ``redact``: the value is removed;
- ``partial``: all but the last 4 characters become ``*`` (values under 8 characters are starred whole);
- ``hash``: ``<EMAIL:h:0123456789abcdef>``, a stable pseudonym from a salted HMAC;
- ``encrypt``: ``<EMAIL:enc:v1:KEYID:...>``, AES-GCM ciphertext that ``guardstream decrypt`` reverses.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from classifiers.pii.jsonwalk import leaf_text, map_leaves
from schemas.event import PiiEntity

if TYPE_CHECKING:
    from classifiers.pii.detector import PiiDetector

log = logging.getLogger(__name__)

#: Masking operators, in the order the docs list them.
OPERATORS: tuple[str, ...] = ("replace", "redact", "partial", "hash", "encrypt")
#: ``partial`` keeps this many trailing characters, and only of values at least twice as long.
PARTIAL_KEEP = 4


class MaskPolicy:
    """Which operator masks which entity type, with the secrets ``hash`` and ``encrypt`` need.

    ``pseudonymizer`` / ``cipher`` are :class:`~classifiers.pii.tokens.Pseudonymizer` and
    :class:`~classifiers.pii.tokens.TokenCipher`; an operator whose secret is missing fails
    here, at start-up, not on the first event that needs it.
    """

    def __init__(self, default: str = "replace", per_entity: Mapping[str, str] | None = None, *,
                 pseudonymizer: Any = None, cipher: Any = None) -> None:
        self.default = default
        self.per_entity = dict(per_entity or {})
        for op in {default, *self.per_entity.values()}:
            if op not in OPERATORS:
                raise ValueError(f"unknown masking operator {op!r}; valid: {', '.join(OPERATORS)}")
        used = {default, *self.per_entity.values()}
        if "hash" in used and pseudonymizer is None:
            raise ValueError("the hash operator needs a salt: set classifiers.pii.hash_salt (env or file)")
        if "encrypt" in used and cipher is None:
            raise ValueError("the encrypt operator needs a key: set classifiers.pii.encryption_key (env or file)")
        self.pseudonymizer, self.cipher = pseudonymizer, cipher

    @classmethod
    def from_config(cls, pii: Any, environ: dict[str, str] | None = None) -> "MaskPolicy":
        """The policy of a ``PiiConfig``; secrets are read only for operators in use."""
        from classifiers.pii.tokens import Pseudonymizer, TokenCipher, read_secret

        per_entity = {kind: c.operator for kind, c in pii.per_entity.items() if c.operator is not None}
        used = {pii.operator, *per_entity.values()}
        pseudonymizer = cipher = None
        if "hash" in used:
            pseudonymizer = Pseudonymizer(read_secret(pii.hash_salt, what="classifiers.pii.hash_salt",
                                                      environ=environ))
        if "encrypt" in used:
            cipher = TokenCipher(read_secret(pii.encryption_key, what="classifiers.pii.encryption_key",
                                             environ=environ))
        return cls(pii.operator, per_entity, pseudonymizer=pseudonymizer, cipher=cipher)

    def operator_for(self, entity_type: str) -> str:
        """The operator that masks ``entity_type``."""
        return self.per_entity.get(entity_type, self.default)

    def render(self, entity_type: str, value: str) -> str:
        """What replaces ``value`` (of type ``entity_type``) in masked text."""
        op = self.operator_for(entity_type)
        if op == "replace":
            return f"<{entity_type}>"
        if op == "redact":
            return ""
        if op == "partial":
            keep = PARTIAL_KEEP if len(value) >= 2 * PARTIAL_KEEP else 0
            return "*" * (len(value) - keep) + value[len(value) - keep:]
        if op == "hash":
            return self.pseudonymizer.token(entity_type, value)
        return self.cipher.token(entity_type, value)


def _policy(operator: "str | MaskPolicy") -> MaskPolicy:
    return operator if isinstance(operator, MaskPolicy) else MaskPolicy(operator)

#: What :func:`mask_untrusted` returns when masking itself failed: never the raw payload.
WITHHELD = "<payload withheld: PII masking failed>"

# Values are at most a few hundred characters (an e-mail is at most 254), so scanning this far
# past a preview's cut catches any value that straddles it.
_PREVIEW_MARGIN = 512


def _merged_spans(text: str, entities: Iterable[PiiEntity]) -> list[tuple[int, int, str]]:
    """Spans sorted by start, overlapping ones merged (the higher-scored type names the union)."""
    spans: list[tuple[int, int, float, str]] = []
    for ent in entities:
        if not 0 <= ent.start <= ent.end <= len(text):
            raise ValueError(
                f"{ent.type} span {ent.start}:{ent.end} is outside a text of {len(text)} characters; "
                "were the entities found in another text?"
            )
        if ent.end > ent.start:
            spans.append((ent.start, ent.end, ent.score, ent.type))
    merged: list[list[Any]] = []
    for start, end, score, kind in sorted(spans):
        if merged and start < merged[-1][1]:
            # Overlapping input (not from PiiDetector, which resolves overlaps): mask the union
            # so that no part of either value survives.
            last = merged[-1]
            last[1] = max(last[1], end)
            if score > last[2]:
                last[2], last[3] = score, kind
        else:
            merged.append([start, end, score, kind])
    return [(s, e, k) for s, e, _, k in merged]


def mask_text(text: str, entities: Iterable[PiiEntity], operator: "str | MaskPolicy" = "replace", *,
              field: str | None = None) -> str:
    """``text`` with every entity span masked by ``operator`` (a name, or a :class:`MaskPolicy`).

    ``field``, when given, keeps only the entities of that field (e.g. ``"text"`` out of a
    verdict's mixed list). Offsets must refer to ``text``; a span past its end raises
    ``ValueError`` rather than masking the wrong characters.
    """
    policy = _policy(operator)
    if field is not None:
        entities = [e for e in entities if e.field == field]
    out = text
    # Right to left: replacing a span never shifts the offsets of the spans before it.
    for start, end, kind in reversed(_merged_spans(text, entities)):
        out = out[:start] + policy.render(kind, text[start:end]) + out[end:]
    return out


def mask_json(value: Any, entities: Iterable[PiiEntity], operator: "str | MaskPolicy" = "replace", *,
              field_prefix: str = "tool.arguments") -> Any:
    """A masked copy of a JSON value, using entities whose ``field`` is a path into it.

    Entities outside ``field_prefix`` (e.g. ``field="text"``) are ignored; one whose path
    under the prefix matches no scannable leaf raises ``ValueError``: silently skipping it
    would store the value unmasked. A masked number becomes a string (``"<CREDIT_CARD>"``);
    tuples come back as lists.
    """
    operator = _policy(operator)
    by_field: dict[str, list[PiiEntity]] = defaultdict(list)
    for ent in entities:
        if ent.field == field_prefix or ent.field.startswith((field_prefix + ".", field_prefix + "[")):
            by_field[ent.field].append(ent)
    used: set[str] = set()

    def mask_leaf(path: str, leaf: Any) -> Any:
        found = by_field.get(path)
        text = leaf_text(leaf)
        if not found or text is None:
            return leaf
        used.add(path)
        return mask_text(text, found, operator)

    masked = map_leaves(value, field_prefix, mask_leaf)
    missing = sorted(set(by_field) - used)
    if missing:
        raise ValueError(f"entities refer to fields not found in the value: {missing}")
    return masked


def mask_untrusted(text: str, detector: PiiDetector, *, operator: "str | MaskPolicy" = "replace",
                   max_chars: int | None = None) -> str:
    """Detect and mask PII in a raw payload (dead letters, log lines) in one call.

    With ``max_chars`` only the first ``max_chars`` characters of the payload are kept (masks
    may change the length a little); detection scans a margin past the cut, and a value
    straddling the cut is dropped whole, never half-kept. It never raises on odd
    input: if detection or masking fails, the payload is withheld, not passed through.
    """
    try:
        if not isinstance(text, str):
            raise TypeError(f"mask_untrusted() needs str, got {type(text).__name__}")
        if max_chars is None:
            return mask_text(text, detector.detect([text])[0], operator)
        window = text[: max_chars + _PREVIEW_MARGIN]
        found = detector.detect([window])[0]
        # Cut in original offsets; a value straddling the cut is dropped whole, not half-kept.
        cut = min([max_chars] + [e.start for e in found if e.start < max_chars < e.end])
        return mask_text(text[:cut], [e for e in found if e.end <= cut], operator)
    except Exception:  # noqa: BLE001 - the caller is an error path; it must not fail or leak
        log.exception("PII masking of an untrusted payload failed; payload withheld")
        return WITHHELD
