"""Phone number recognizers: ``phonenumbers`` validation per configured region, and a loose fallback.

Numbers written with ``+`` (or an international dialling prefix) are read in their own country
whatever the regions. A number in national format has no country, so it is read in the regions of
``classifiers.pii.phone_regions``. The first is the home region: its national numbers are found by
``phonenumbers``' matcher and score as before (formatted 0.9, bare digits 0.6). The others are
guests, and with a dozen of them almost any run of 8-11 digits is valid somewhere, so a guest's
national number counts only when it is written exactly as that country writes it in national
format: with its trunk prefix where it uses one (``030 1234567``, ``090-1234-5678``, ``09-7625400``),
without one where it does not (Chinese mobiles, ``13812345678``). Guest numbers score lower
(formatted 0.65, bare 0.5), so a negative context word ("order", "invoice") drops them, and a
checksummed identifier of the same shape outranks them.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import phonenumbers
from phonenumbers import CountryCodeSource, PhoneNumberFormat, PhoneNumberType

from classifiers.pii.recognizers import Recognizer, after_iban_head
from schemas.event import PiiEntity

#: Regions read by default (phonenumbers region codes, ISO 3166-1 alpha-2), home region first.
#: Chosen by measurement (docs/pii.md): each one found its own national numbers in Presidio's
#: cases or presidio-synth, and none raised false alarms on the PII-free sets or on a probe set of
#: dates, amounts, versions, IP addresses and ids. US also covers every +1 (NANP) number, Canada's too.
DEFAULT_PHONE_REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR", "IL", "IN", "JP", "CN", "AU", "IE", "ZA", "BE", "CH", "AT", "SE")

_INTERNATIONAL = (CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN, CountryCodeSource.FROM_NUMBER_WITH_IDD)
# A person's number: pagers, premium-rate, shared-cost and "universal access" numbers are valid
# in some plans for digit runs that are far more often amounts or ids ("16 443 000" is a German pager).
_PERSONAL_TYPES = frozenset({PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE,
                             PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.VOIP})
# Nine digits grouped 3-2-4 are laid out like a US Social Security number, and a lone last digit
# is a check digit (a routing number 0402-4815-2, an ISBN); no guest plan groups numbers so.
_NOT_A_PHONE_LAYOUT = re.compile(r"[0-9]{3}([ .\-])[0-9]{2}\1[0-9]{4}|.*[ .\-/][0-9]")
_COUNTRY_CODE_BEFORE = re.compile(r"\+[0-9]{1,3}[ .\-]?\Z")
# A national number as people write it: digit groups joined by one separator (a space, or "-", "/"
# or "." with optional spaces around), an area code in parentheses allowed. Not inside a longer
# token. The groups are bounded, so a failed match backtracks over a few dozen positions at most.
_NATIONAL = re.compile(r"(?<![\w+.,/\-])(?:\([0-9]{1,5}\)[ \-]?)?[0-9]{1,12}(?:(?:[ ]?[\-/.][ ]?|[ ])[0-9]{1,12}){0,6}"
                       r"(?![\w\-/]|[.,:][0-9])")


def validate_phone_regions(regions: Iterable[str]) -> tuple[str, ...]:
    """Region codes upper-cased, duplicates dropped (order kept); ValueError names an unknown one."""
    out: list[str] = []
    for region in regions:
        code = str(region).strip().upper()
        if code not in phonenumbers.SUPPORTED_REGIONS:
            hint = " (the United Kingdom is GB)" if code == "UK" else ""
            raise ValueError(f"unknown phone region {region!r}{hint}; use ISO 3166-1 alpha-2 codes that "
                             f"phonenumbers supports, e.g. US, GB, DE, IN")
        if code not in out:
            out.append(code)
    if not out:
        raise ValueError("give at least one phone region (to turn phone numbers off, set "
                         "per_entity: {PHONE: {enabled: false}})")
    return tuple(out)


def _is_ipv4(raw: str) -> bool:
    try:
        ipaddress.IPv4Address(raw.strip())
    except ValueError:
        return False
    return True


# Numbers that a region's plan accepts but that are written as something else: a decimal
# (3.1415926535), digits grouped by thousands (64.500.474, 1,234,567), a calendar date
# (02.09.1965, 2024-01-15), or the tail of a longer dotted number (the matcher skips "3." in
# "3.2056174833" and "12." in a version string).
_DECIMAL = re.compile(r"[0-9]+[.,][0-9]+")
_THOUSANDS = re.compile(r"[0-9]{1,3}(?:([.,])[0-9]{3})(?:\1[0-9]{3})*")
_DATE = re.compile(r"(?P<a>[0-9]{1,4})(?P<s>[./\-])(?P<b>[0-9]{1,2})(?P=s)(?P<c>[0-9]{2,4})")


def _calendar_date(raw: str) -> bool:
    m = _DATE.fullmatch(raw)
    if m is None:
        return False
    a, b, c = int(m["a"]), int(m["b"]), int(m["c"])
    if len(m["a"]) == 4:
        return 1 <= b <= 12 and 1 <= c <= 31
    return len(m["c"]) in (2, 4) and ((1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31))


def _written_as_number(text: str, start: int, end: int) -> bool:
    """True when the match is a decimal, a thousands-grouped amount, a date or part of a dotted run."""
    raw = text[start:end]
    if _DECIMAL.fullmatch(raw) or _THOUSANDS.fullmatch(raw) or _calendar_date(raw) or _is_ipv4(raw):
        return True
    before, after = text[max(0, start - 2):start], text[end:end + 2]
    return bool(re.fullmatch(r"[0-9][.,]", before) or re.fullmatch(r"[.,][0-9]", after))


class _GuestPlan:
    """What a guest region's national numbers can start with, from its ``phonenumbers`` metadata.

    A number counts only as that country writes it (see the module docstring), so its digits start
    with the trunk prefix, or with the leading digits of a format written without it (Chinese
    mobiles: "1"), or with the country code ("91-415-555-0132"). Runs that cannot are not parsed.
    """

    def __init__(self, region: str) -> None:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        self.region = region
        self.idd_00 = re.fullmatch(f"(?:{meta.international_prefix})", "00") is not None
        starts = [re.escape(meta.national_prefix)] if meta.national_prefix else []
        for fmt in meta.number_format:
            if not fmt.national_prefix_formatting_rule or not meta.national_prefix:
                # The first leading-digits pattern of a format is its broadest one.
                starts.append(f"(?:{fmt.leading_digits_pattern[0]})" if fmt.leading_digits_pattern else "")
        starts.append(str(meta.country_code))
        self._start = re.compile("|".join(starts))

    def may_start(self, digits: str) -> bool:
        """Whether a national number of this region, as written there, may begin like ``digits``."""
        return self._start.match(digits) is not None


class PhoneRecognizer(Recognizer):
    """Phone numbers found and validated by ``phonenumbers``, national ones read in ``regions``.

    A bare run of digits scores lower than a formatted number: order ids are often 10 digits too.
    A dotted quad that is a valid IPv4 address is never a phone number, whatever a region's plan says.
    """

    name = "phone_numbers"
    entity_type = "PHONE"

    def __init__(self, regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> None:
        self.regions = validate_phone_regions(regions)
        self._guests = tuple(_GuestPlan(region) for region in self.regions[1:])
        # A run starting "00" can only be an international call in a guest region (no national
        # number there starts so): one region whose dialling prefix is "00" reads it for all.
        self._idd_reader = next((g for g in self._guests if g.idd_00), None)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> "PhoneRecognizer":
        """An instance for the detector's settings (``phone_regions``)."""
        return cls(regions=settings.get("phone_regions") or DEFAULT_PHONE_REGIONS)

    def find(self, text: str) -> list[PiiEntity]:
        best: dict[tuple[int, int], float] = {}
        home, guests = self.regions[0], self._guests
        for match in phonenumbers.PhoneNumberMatcher(text, home, leniency=phonenumbers.Leniency.VALID):
            raw = match.raw_string
            if (phonenumbers.is_valid_number(match.number) and not _written_as_number(text, match.start, match.end)
                    and not after_iban_head(text, match.start)):
                best[(match.start, match.end)] = 0.6 if raw.isdigit() else 0.9
        if guests:
            # Guests read only the digit runs the home pass left unexplained, each parsed in the
            # regions where it can be a number: a matcher pass per region would cost several times more.
            for m in _NATIONAL.finditer(text):
                if not any(s <= m.start() and m.end() <= e for s, e in best):
                    self._read_as_guest(text, m.start(), m.end(), best)
        return [self._entity(start, end, score) for (start, end), score in sorted(best.items())]

    def _read_as_guest(self, text: str, start: int, end: int, best: dict[tuple[int, int], float]) -> None:
        raw = text[start:end]
        digits = "".join(c for c in raw if c.isdigit())
        if (not 7 <= len(digits) <= 15 or _written_as_number(text, start, end) or after_iban_head(text, start)
                or _NOT_A_PHONE_LAYOUT.fullmatch(raw)):
            return
        # "+41 (0)96 471 07 95" that no plan validates must not become a guest's national
        # number "(0)96 471 07 95": the "+41" says whose it is.
        if _COUNTRY_CODE_BEFORE.search(text, max(0, start - 6), start):
            return
        if digits.startswith("00"):
            readers = (self._idd_reader,) if self._idd_reader is not None else self._guests
        else:
            readers = tuple(g for g in self._guests if g.may_start(digits))
        # The first guest that reads it decides: the score depends on how it is written, not on
        # which of the countries it belongs to.
        score = next((s for s in (self._guest_score(raw, g.region) for g in readers) if s is not None), None)
        if score is not None:
            best[(start, end)] = score

    @staticmethod
    def _guest_score(raw: str, region: str) -> float | None:
        """A guest region's score for ``raw``; None when it is not a number of that country as written there."""
        try:
            number = phonenumbers.parse(raw, region, keep_raw_input=True)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in _PERSONAL_TYPES:
            return None
        formatted = not raw.isdigit()
        source = number.country_code_source
        if source in _INTERNATIONAL:  # "0044 20 7946 0958": an international dialling prefix
            return 0.9 if formatted else 0.6
        if source == CountryCodeSource.FROM_NUMBER_WITHOUT_PLUS_SIGN:
            # "91-415-555-0132": a country code without "+", as a group of its own; a run of
            # digits that merely starts with one is far more often something else.
            code = str(number.country_code)
            return 0.65 if raw.startswith(code) and raw[len(code):len(code) + 1] in (" ", "-", ".") else None
        national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
        if [c for c in national if c.isdigit()] != [c for c in raw if c.isdigit()]:
            return None  # trunk prefix missing (or extra): not how that country writes it
        return 0.65 if formatted else 0.5


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
            if 7 <= digits <= 15 and not _is_ipv4(m[0]):
                found.append(self._entity(m.start(), m.end(), 0.3))
        return found
