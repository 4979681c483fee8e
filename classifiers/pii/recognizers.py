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
from collections.abc import Mapping
from typing import Any, ClassVar

from classifiers.pii.checks import IBAN_LENGTHS, card_ok, iban_ok, luhn_ok, ssn_parts_ok
from schemas.event import PiiEntity

#: Regex guards for token-shaped values (ids, keys): a match must not start or end inside a longer token.
TOKEN_START = r"(?<![A-Za-z0-9_\-])"
TOKEN_END = r"(?![A-Za-z0-9_\-])"


_IBAN_HEAD = re.compile(r"(?<![A-Za-z0-9])(?P<cc>[A-Z]{2})[0-9]{2}(?:[ \-][A-Z0-9]{4})*[ \-]\Z")


def after_iban_head(text: str, start: int) -> bool:
    """Whether the digits at ``start`` continue an IBAN-shaped token ("RS35 2600 0560 ...").

    Such digits are an IBAN's account part whatever its checksum says (a typo, a truncated
    copy), never a card or a phone number of their own.
    """
    head = _IBAN_HEAD.search(text, max(0, start - 45), start)
    return head is not None and head["cc"] in IBAN_LENGTHS


class Recognizer:
    """Base class: subclasses set ``name`` and ``entity_type`` and implement ``find``."""

    name: ClassVar[str]
    entity_type: ClassVar[str]

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> "Recognizer":
        """An instance for the detector's settings (e.g. ``phone_regions``); most recognizers take none."""
        return cls()

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
    """E-mail addresses with an ASCII local part and a dotted domain ending in a letter or punycode TLD."""

    name = "email_pattern"
    entity_type = "EMAIL"
    # The look-behind makes a match start only at the beginning of a run of address
    # characters, which also keeps the scan linear on long runs without an "@".
    _RE = re.compile(
        r"(?<![A-Za-z0-9._%+\-])"
        r"(?P<local>[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*)"
        r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9\-]{1,59}))"
        r"(?![A-Za-z0-9\-])"
    )

    def find(self, text: str) -> list[PiiEntity]:
        return [
            self._entity(m.start(), m.end(), 0.95)
            for m in self._RE.finditer(text)
            if len(m["local"]) <= 64 and len(m[0]) <= 254  # RFC 5321 limits
        ]


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
            if after_iban_head(text, run.start()):
                continue
            groups = [(g.start() + run.start(), g.end() + run.start()) for g in self._GROUP.finditer(run[0])]
            context = bool(self._CONTEXT.search(text, max(0, run.start() - 40), run.start()))
            for s, e in self._cards_in_run(text, groups, context):
                # UATP's prefix is a lone "1", shared by many 15-digit ids (tracking numbers):
                # without a card word it scores just above the threshold, so "tracking" drops it.
                uatp = text[s] == "1" and not context
                found.append(self._entity(s, e, 0.6 if uatp else 0.95))
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
            # Every issuer prefix starts with 1-6: a cheap reject that keeps long runs of
            # small numbers (tables, lists of ids) fast.
            if not cut(i) or (text[start] not in "123456" and not context):
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
    """IBANs, compact or printed in groups of four (spaces or dashes); country length table + mod-97 check."""

    name = "iban_mod97"
    entity_type = "IBAN"
    _START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}")

    def find(self, text: str) -> list[PiiEntity]:
        found = []
        for m in self._START.finditer(text):
            length = IBAN_LENGTHS.get(m[0][:2].upper())
            if length is None:
                continue
            # Take exactly as many characters as the country needs; a single space or dash (the
            # same one throughout) is allowed only between groups of four (the printed forms).
            # This stops the scan from eating the next word, and the boundary check below
            # rejects longer alphanumeric runs.
            chars, pos, sep = list(m[0]), m.end(), ""
            while len(chars) < length and pos < len(text):
                ch = text[pos]
                if ch.isascii() and ch.isalnum():
                    chars.append(ch)
                elif (ch in " -" and (sep or ch) == ch and len(chars) % 4 == 0 and pos + 1 < len(text)
                      and text[pos + 1].isalnum()):
                    sep = ch
                else:
                    break
                pos += 1
            if len(chars) != length or (pos < len(text) and (text[pos].isalnum() or (sep == "-" and text[pos] == "-"))):
                continue
            value = "".join(chars)
            # Banks print IBANs in capitals; a mixed-case one ("LV80 bANK ...") is a typo or not an IBAN.
            if value.upper() != value and value.lower() != value:
                continue
            if iban_ok(value):
                found.append(self._entity(m.start(), pos, 1.0))
        return found


class UsSsnRecognizer(Recognizer):
    """US Social Security numbers: ddd-dd-dddd, ddd dd dddd or ddd.dd.dddd; bare nine digits need context."""

    name = "us_ssn_pattern"
    entity_type = "US_SSN"
    # Same separator twice; not part of a longer run of digit groups on either side.
    _FORMATTED = re.compile(
        r"(?<![\w\-])(?<![0-9][ \-.])([0-9]{3})([ \-.])([0-9]{2})\2([0-9]{4})(?![\w\-])(?![ \-.][0-9])"
    )
    _BARE = re.compile(r"(?<![\w\-])([0-9]{3})([0-9]{2})([0-9]{4})(?![\w\-])")
    _CONTEXT = re.compile(r"\b(?:ssn|ss#|ssns|social[\s\-]+security|soc\.?\s*sec\.?)", re.IGNORECASE)

    def find(self, text: str) -> list[PiiEntity]:
        found = []
        for m in self._FORMATTED.finditer(text):
            if ssn_parts_ok(m[1], m[3], m[4]):
                # Dashes are the canonical form; spaced or dotted digits are more often something
                # else, but still above a guest region's phone number of the same digits (0.65):
                # no phone plan groups nine digits 3-2-4.
                score = 0.85 if m[2] == "-" else 0.7
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
    """IPv4 and IPv6 addresses, validated by the standard library's ``ipaddress``.

    A prefix length (``10.0.0.0/24``, ``2001:db8::/32``) and an IPv6 zone (``fe80::1%eth0``) are
    part of the address: masking the address alone would leave the network they name in the text.
    """

    name = "ip_address"
    entity_type = "IP_ADDRESS"
    # Four dotted parts, not inside a longer dotted run (1.2.3.4.5) nor glued to a word
    # (v1.2.3.4); a trailing sentence dot is fine. A colon before is fine: the IPv4 tail of
    # "text::ffff:192.0.2.1" is still an address (a whole IPv6 form outranks it where valid).
    _V4 = re.compile(r"(?<![\w.])[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?!\.?\w)")
    _V6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")
    _PREFIX = re.compile(r"/([0-9]{1,3})(?![\w/]|\.[0-9])")
    _ZONE = re.compile(r"%[A-Za-z0-9_\-]{1,32}(?:\.[0-9]{1,5})?")  # eth0, en0, 25, eth0.100
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
            end, _ = self._with_prefix(text, m.end(), 32)
            found.append(self._entity(m.start(), end, score))
        for m in self._V6.finditer(text):
            candidate = m[0].rstrip(".")
            end = m.start() + len(candidate)
            if end < len(text) and (text[end].isalnum() or text[end] == "_"):
                continue
            zone = self._ZONE.match(text, end)
            full_end, has_prefix = self._with_prefix(text, zone.end() if zone else end, 128)
            if self._plausible_v6(candidate, has_prefix):
                found.append(self._entity(m.start(), full_end, 0.95))
        return found

    def _with_prefix(self, text: str, end: int, longest: int) -> tuple[int, bool]:
        """``end`` moved past a valid "/prefix" (0..longest) if one follows, and whether one did."""
        prefix = self._PREFIX.match(text, end)
        if prefix is not None and int(prefix[1]) <= longest:
            return prefix.end(), True
        return end, False

    @staticmethod
    def _plausible_v6(candidate: str, has_prefix: bool = False) -> bool:
        # "::", "::2" or "a::b" (slices, C++ scopes) are valid addresses but rarely ones a
        # person wrote; ask for two groups and four hex digits at least, unless the form says
        # it is an address: loopback "::1", an embedded IPv4 ("::10.0.0.1"), a prefix ("fe80::/10").
        try:
            address = ipaddress.IPv6Address(candidate)
        except ValueError:
            return False
        if candidate == "::1" or "." in candidate or (has_prefix and not address.is_unspecified):
            return True
        groups = [g for g in candidate.split(":") if g]
        return candidate.count(":") >= 2 and len(groups) >= 2 and sum(len(g) for g in groups) >= 4
