"""Pattern recognizers: a regular expression finds candidates, a check validates them.

Every recognizer is a small class with ``name``, ``entity_type`` and ``find(text)``; all are
registered in :data:`RECOGNIZERS`. Offsets are Python ``str`` indices (code points) into the
text given to ``find``. Scores: checksum-validated matches 0.95-1.0, validated but easily
confused patterns lower, so the detector's threshold can drop the weak ones.

All patterns use ``[0-9]`` rather than ``\\d`` on purpose: ``\\d`` also matches non-ASCII
digits, which the checksums below do not understand.
"""
from __future__ import annotations

import ipaddress
import re
from typing import ClassVar

import phonenumbers

from classifiers.pii.checks import IBAN_LENGTHS, card_ok, iban_ok, luhn_ok, ssn_parts_ok
from schemas.event import PiiEntity

#: Regex guards for token-shaped values (ids, keys): a match must not start or end inside a longer token.
TOKEN_START = r"(?<![A-Za-z0-9_\-])"
TOKEN_END = r"(?![A-Za-z0-9_\-])"


class Recognizer:
    """Base class: subclasses set ``name`` and ``entity_type`` and implement ``find``."""

    name: ClassVar[str]
    entity_type: ClassVar[str]

    def find(self, text: str) -> list[PiiEntity]:
        """All findings of this recognizer in ``text`` (may overlap other recognizers)."""
        raise NotImplementedError

    def _entity(self, start: int, end: int, score: float) -> PiiEntity:
        return PiiEntity(type=self.entity_type, start=start, end=end, score=score, recognizer=self.name)


class MatchRecognizer(Recognizer):
    """A recognizer whose every match of ``_RE`` is a finding, scored ``match_score`` (context may adjust it)."""

    _RE: ClassVar[re.Pattern[str]]
    match_score: ClassVar[float]

    def find(self, text: str) -> list[PiiEntity]:
        return [self._entity(m.start(), m.end(), self.match_score) for m in self._RE.finditer(text)]


class EmailRecognizer(Recognizer):
    """E-mail addresses with an ASCII local part and a dotted domain ending in a letter TLD."""

    name = "email_pattern"
    entity_type = "EMAIL"
    # The look-behind makes a match start only at the beginning of a run of address
    # characters, which also keeps the scan linear on long runs without an "@".
    _RE = re.compile(
        r"(?<![A-Za-z0-9._%+\-])"
        r"(?P<local>[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*)"
        r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
        r"(?![A-Za-z0-9\-])"
    )

    def find(self, text: str) -> list[PiiEntity]:
        return [
            self._entity(m.start(), m.end(), 0.95)
            for m in self._RE.finditer(text)
            if len(m["local"]) <= 64 and len(m[0]) <= 254  # RFC 5321 limits
        ]


class PhoneRecognizer(Recognizer):
    """Phone numbers found and validated by ``phonenumbers`` (national ones read as ``region``).

    Numbers written with ``+`` are read in their own country whatever the region. A bare run of
    digits scores lower than a formatted number: order ids and the like are often 10 digits too.
    """

    name = "phone_numbers"
    entity_type = "PHONE"

    def __init__(self, region: str = "US") -> None:
        self.region = region

    def find(self, text: str) -> list[PiiEntity]:
        found = []
        for match in phonenumbers.PhoneNumberMatcher(text, self.region, leniency=phonenumbers.Leniency.VALID):
            if not phonenumbers.is_valid_number(match.number):
                continue
            formatted = not match.raw_string.isdigit()
            found.append(self._entity(match.start, match.end, 0.9 if formatted else 0.6))
        return found


class LoosePhoneRecognizer(Recognizer):
    """Phone-like digit groups (7-15 digits, separators, optional + and (0)) that ``phonenumbers``
    cannot validate: fictional or foreign national numbers. Scores 0.3, so only a context word
    ("call", "phone", "office", "fax", "mobile") makes them a finding."""

    name = "phone_loose"
    entity_type = "PHONE"
    _RE = re.compile(r"(?<![\w+.\-/])(?:\+[0-9]{1,3}[ .\-]?)?(?:\(0\)[ ]?|\([0-9]{1,4}\)[ ]?)?[0-9]{2,5}"
                     r"(?:[ .\-][0-9]{2,5}){0,4}(?![\w/]|[.\-][0-9])")

    def find(self, text: str) -> list[PiiEntity]:
        found = []
        for m in self._RE.finditer(text):
            digits = sum(c.isdigit() for c in m[0])
            if 7 <= digits <= 15:
                found.append(self._entity(m.start(), m.end(), 0.3))
        return found


class CreditCardRecognizer(Recognizer):
    """Payment card numbers: 13-19 digits, optionally grouped by spaces or dashes; IIN + Luhn."""

    name = "credit_card_luhn"
    entity_type = "CREDIT_CARD"
    # A maximal run of digit groups joined by single spaces or dashes, not touching letters.
    _RUN = re.compile(r"(?<!\w)[0-9]+(?:[ \-][0-9]+)*(?!\w)")
    _GROUP = re.compile(r"[0-9]+")
    # Cards are printed as one block or 3-5 groups (4-4-4-4, 4-6-5, 4-4-4-4-3); allowing more
    # groups would cost a lot on long runs of small numbers and catch mostly noise.
    _MAX_GROUPS = 6

    # After "card", "cc", "visa" ... any Luhn-valid 12-19 digits count: issuers outside the prefix
    # table (legacy JCB 1800/2131, 12-digit Maestro, new ranges) are still cards there.
    _CONTEXT = re.compile(r"(?<![A-Za-z])(?:card|cc|credit|debit|visa|master\s?card|amex|maestro|jcb|discover|"
                          r"diners|pan)(?![A-Za-z])", re.IGNORECASE)

    def find(self, text: str) -> list[PiiEntity]:
        found: list[PiiEntity] = []
        for run in self._RUN.finditer(text):
            groups = [(g.start() + run.start(), g.end() + run.start()) for g in self._GROUP.finditer(run[0])]
            context = bool(self._CONTEXT.search(text, max(0, run.start() - 40), run.start()))
            found.extend(self._entity(s, e, 0.95) for s, e in self._cards_in_run(text, groups, context))
        return found

    def _cards_in_run(self, text: str, groups: list[tuple[int, int]],
                      context: bool = False) -> list[tuple[int, int]]:
        # A run may hold a card next to other numbers ("qty 2 4111 1111 1111 1111"), so try
        # every sub-run of whole groups. A sub-run may only be cut at a space: a dash-joined
        # longer number (an id, a tracking code) is one token and must not yield a card.
        def cut(i: int) -> bool:  # may a sub-run start at group i / end before group i?
            return i == 0 or i == len(groups) or text[groups[i][0] - 1] == " "

        candidates = []  # (first group, last group)
        for i, (start, _) in enumerate(groups):
            # Every issuer prefix starts with 2-6: a cheap reject that keeps long runs of
            # small numbers (tables, lists of ids) fast.
            if not cut(i) or (text[start] not in "23456" and not context):
                continue
            digits = ""
            for j in range(i, min(i + self._MAX_GROUPS, len(groups))):
                digits += text[groups[j][0]:groups[j][1]]
                if len(digits) > 19:
                    break
                if not cut(j + 1):
                    continue
                if (len(digits) >= 13 and card_ok(digits)) or (context and len(digits) >= 12 and luhn_ok(digits)):
                    candidates.append((i, j))
        # Longest first, then leftmost; a sub-run spans at most _MAX_GROUPS groups, so the
        # overlap test against the taken groups is cheap.
        taken = bytearray(len(groups))
        chosen = []
        for i, j in sorted(candidates, key=lambda c: (c[0] - c[1], c[0])):
            if not any(taken[i:j + 1]):
                taken[i:j + 1] = b"\x01" * (j + 1 - i)
                chosen.append((groups[i][0], groups[j][1]))
        return sorted(chosen)


class IbanRecognizer(Recognizer):
    """IBANs, compact or printed in groups of four; country length table + mod-97 check."""

    name = "iban_mod97"
    entity_type = "IBAN"
    _START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}")

    def find(self, text: str) -> list[PiiEntity]:
        found = []
        for m in self._START.finditer(text):
            length = IBAN_LENGTHS.get(m[0][:2].upper())
            if length is None:
                continue
            # Take exactly as many characters as the country needs; a single space is allowed
            # only between groups of four (the printed form). This stops the scan from eating
            # the next word, and the boundary check below rejects longer alphanumeric runs.
            chars, pos = list(m[0]), m.end()
            while len(chars) < length and pos < len(text):
                ch = text[pos]
                if ch.isascii() and ch.isalnum():
                    chars.append(ch)
                elif not (ch == " " and len(chars) % 4 == 0 and pos + 1 < len(text) and text[pos + 1] != " "):
                    break
                pos += 1
            if len(chars) != length or (pos < len(text) and text[pos].isalnum()):
                continue
            if iban_ok("".join(chars)):
                found.append(self._entity(m.start(), pos, 1.0))
        return found


class UsSsnRecognizer(Recognizer):
    """US Social Security numbers: ddd-dd-dddd or ddd dd dddd; bare nine digits need context."""

    name = "us_ssn_pattern"
    entity_type = "US_SSN"
    # Same separator twice; not part of a longer run of digit groups on either side.
    _FORMATTED = re.compile(
        r"(?<![\w\-])(?<![0-9][ \-])([0-9]{3})([ \-])([0-9]{2})\2([0-9]{4})(?![\w\-])(?![ \-][0-9])"
    )
    _BARE = re.compile(r"(?<![\w\-])([0-9]{3})([0-9]{2})([0-9]{4})(?![\w\-])")
    _CONTEXT = re.compile(r"\b(?:ssn|ss#|ssns|social[\s\-]+security|soc\.?\s*sec\.?)", re.IGNORECASE)

    def find(self, text: str) -> list[PiiEntity]:
        found = []
        for m in self._FORMATTED.finditer(text):
            if ssn_parts_ok(m[1], m[3], m[4]):
                # Dashes are the canonical form; spaced digits are more often something else.
                score = 0.85 if m[2] == "-" else 0.6
                if self._has_context(text, m.start(), m.end()):
                    score += 0.1
                found.append(self._entity(m.start(), m.end(), round(score, 2)))
        for m in self._BARE.finditer(text):
            if ssn_parts_ok(m[1], m[2], m[3]) and self._has_context(text, m.start(), m.end()):
                found.append(self._entity(m.start(), m.end(), 0.8))
        return found

    def _has_context(self, text: str, start: int, end: int) -> bool:
        return bool(self._CONTEXT.search(text, max(0, start - 50), start) or self._CONTEXT.search(text[end:end + 25]))


class IpAddressRecognizer(Recognizer):
    """IPv4 and IPv6 addresses, validated by the standard library's ``ipaddress``."""

    name = "ip_address"
    entity_type = "IP_ADDRESS"
    # Four dotted parts, not inside a longer dotted run (1.2.3.4.5) nor glued to a word
    # (v1.2.3.4); a trailing sentence dot is fine.
    _V4 = re.compile(r"(?<![\w.:])[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?!\.?\w)")
    _V6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")
    _VERSION = re.compile(r"(?:\bversion|\bver\.?|\brelease|\bv)\s*$", re.IGNORECASE)

    def find(self, text: str) -> list[PiiEntity]:
        found = []
        for m in self._V4.finditer(text):
            try:
                ipaddress.IPv4Address(m[0])  # rejects parts > 255 and leading zeros
            except ValueError:
                continue
            # "version 1.2.3.4" is a valid address but most likely a version: keep it
            # below the default threshold instead of dropping it outright.
            score = 0.3 if self._VERSION.search(text, max(0, m.start() - 12), m.start()) else 0.9
            found.append(self._entity(m.start(), m.end(), score))
        for m in self._V6.finditer(text):
            candidate = m[0].rstrip(".")
            end = m.start() + len(candidate)
            if end < len(text) and (text[end].isalnum() or text[end] == "_"):
                continue
            if self._plausible_v6(candidate):
                found.append(self._entity(m.start(), end, 0.95))
        return found

    @staticmethod
    def _plausible_v6(candidate: str) -> bool:
        # "::", "::2" or "a::b" (slices, C++ scopes) are valid addresses but rarely ones a
        # person wrote; ask for two groups and four hex digits at least.
        groups = [g for g in candidate.split(":") if g]
        if candidate.count(":") < 2 or len(groups) < 2 or sum(len(g) for g in groups) < 4:
            return False
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            return False
        return True
