"""Recognizers for personal details written in words: dates of birth, ages, street addresses,
and organisation names that announce themselves with a legal or institutional suffix.

The NER tagger (:mod:`.ner`) finds names and addresses in free form; these patterns add the
shapes it tags less reliably (a "42-year-old", "Acme Holdings Inc.") and give a finding a second
opinion when both agree.
"""
from __future__ import annotations

import re
from datetime import date

from classifiers.pii.recognizers import Recognizer
from schemas.event import PiiEntity

_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_MONTH_WORD = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
               r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")


def _plausible_birth_date(year: int, month: int, day: int) -> bool:
    if year < 100:
        year += 1900 if year > 30 else 2000
    if not 1900 <= year <= date.today().year:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


class DateOfBirthRecognizer(Recognizer):
    """Calendar dates that could be a birth date; "born", "DOB" or "birthday" nearby makes them one.

    A date alone scores 0.3 (most dates are not birth dates); :mod:`.context` adds the rest.
    """

    name = "date_of_birth"
    entity_type = "DATE_OF_BIRTH"
    _NUMERIC = re.compile(r"(?<![\w/.\-])(?P<a>[0-9]{1,4})(?P<s>[/.\-])(?P<b>[0-9]{1,2})(?P=s)(?P<c>[0-9]{2,4})(?![\w/\-]|\.[0-9])")
    _WORDY = re.compile(
        r"(?<!\w)(?:(?P<d1>[0-9]{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>" + _MONTH_WORD + r"),?\s+(?P<y1>[0-9]{4})"
        r"|(?P<m2>" + _MONTH_WORD + r")\s+(?P<d2>[0-9]{1,2})(?:st|nd|rd|th)?,?\s+(?P<y2>[0-9]{4}))(?!\w)",
        re.IGNORECASE)

    def find(self, text: str) -> list[PiiEntity]:
        found = []
        for m in self._NUMERIC.finditer(text):
            a, b, c = int(m["a"]), int(m["b"]), int(m["c"])
            if len(m["a"]) == 4:
                ok = _plausible_birth_date(a, b, c)                     # ISO: 1985-03-14
            else:  # US month/day/year or European day/month/year
                ok = len(m["c"]) in (2, 4) and (_plausible_birth_date(c, a, b) or _plausible_birth_date(c, b, a))
            if ok:
                found.append(self._entity(m.start(), m.end(), 0.3))
        for m in self._WORDY.finditer(text):
            month = _MONTHS[(m["m1"] or m["m2"])[:3].lower()]
            day, year = int(m["d1"] or m["d2"]), int(m["y1"] or m["y2"])
            if _plausible_birth_date(year, month, day):
                found.append(self._entity(m.start(), m.end(), 0.3))
        return found


class AgeRecognizer(Recognizer):
    """Ages: the number in "42 years old", "a 42-year-old", "aged 42", "age: 42", "turned 42"."""

    name = "age_pattern"
    entity_type = "AGE"
    _RE = re.compile(
        r"(?<![\w.])(?P<n1>[0-9]{1,3})(?:\s*|-)(?:years?|yrs?|y/?o\b)(?:[\s\-]+old)?(?![\w])"
        r"|\b(?:aged|age(?:\s+(?:of|is))?\s*[:=]?|turn(?:ed|s|ing)?|is\s+now)\s+(?P<n2>[0-9]{1,3})(?![\w.,][0-9]|\w)",
        re.IGNORECASE)
    _OLD = re.compile(r"old|y/?o", re.IGNORECASE)

    def find(self, text: str) -> list[PiiEntity]:
        found = []
        for m in self._RE.finditer(text):
            group = "n1" if m["n1"] else "n2"
            if not 0 < int(m[group]) <= 120:
                continue
            # "30 years" alone is as often a duration as an age; "years old" / "aged" are ages.
            score = 0.85 if group == "n2" or self._OLD.search(m[0]) else 0.35
            found.append(self._entity(m.start(group), m.end(group), score))
        return found


_STREET_TYPES = (r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|"
                 r"Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq|Trail|Trl|Alley|Plaza|Crescent|Close|Row|Loop|Run|"
                 r"Pike|Walk|Path")


class StreetAddressRecognizer(Recognizer):
    """US-style street addresses: number, street name, street type, optional unit, city, state and ZIP."""

    name = "street_address_pattern"
    entity_type = "ADDRESS"
    _RE = re.compile(
        r"(?<![\w\-])[0-9]{1,6}[A-Za-z]?(?:-[0-9]+)?\s+(?:[NSEW]\.?\s+|North\s+|South\s+|East\s+|West\s+)?"
        r"(?:[A-Z0-9][A-Za-z0-9'.\-]*\s+){0,3}(?:" + _STREET_TYPES + r")\b\.?"
        r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|Fl(?:oor)?|#)\.?\s*#?[A-Za-z0-9\-]+)?"
        r"(?:,?\s+(?:[A-Z][A-Za-z.\-]+\s?){1,3},?\s+[A-Z]{2}\.?(?:\s+[0-9]{5}(?:-[0-9]{4})?)?)?"
    )

    def find(self, text: str) -> list[PiiEntity]:
        return [self._entity(m.start(), m.start() + len(m[0].rstrip(" ,")), 0.7) for m in self._RE.finditer(text)]


_ORG_SUFFIX = (r"Inc|Incorporated|Corp|Corporation|LLC|L\.L\.C|Ltd|Limited|GmbH|AG|S\.A|SA|SAS|SE|NV|N\.V|BV|B\.V|"
               r"PLC|plc|Co|Company|Group|Holdings|Bank|University|College|Institute|Foundation|Association|"
               r"Agency|Ministry|Council|Committee|Commission|Partners|LLP|LP|Trust|Capital|Technologies|"
               r"Systems|Solutions|Labs|Laboratories|Airlines|Airways|Motors|Pharmaceuticals|Industries|"
               r"Enterprises|Ventures|Hospital|Clinic|Society|Federation|Union|Party|Press|Times|News")
_ORG_OF = r"University|Bank|Ministry|Department|Institute|College|Museum|Church|School|Federation|Union|Office"


class OrganizationSuffixRecognizer(Recognizer):
    """Organisation names that carry a legal or institutional word: "Acme Widgets Inc.", "University of Leeds"."""

    name = "organization_suffix"
    entity_type = "ORGANIZATION"
    # Words are bounded (41 characters): unbounded, a long hyphenated run ("GB82-GB82-...") was
    # re-scanned to its end from every piece, quadratic in its length.
    _CAP = r"(?:[A-Z][A-Za-z0-9&'\-]{0,40}|&|of|de|du|der|la)"
    _RE = re.compile(
        r"(?<![\w])(?:(?:[A-Z][A-Za-z0-9&'\-]{0,40})(?:\s+" + _CAP + r"){0,4},?\s+(?:" + _ORG_SUFFIX + r")\b\.?"
        r"|(?:" + _ORG_OF + r")\s+of\s+(?:the\s+)?[A-Z][A-Za-z\-]+(?:\s+[A-Z][A-Za-z\-]+){0,2})"
    )
    _CAPS = re.compile(r"(?<![\w])[A-Z][A-Z0-9&'\-]{0,40}(?:\s+[A-Z][A-Z0-9&'\-]{0,40}){0,4},?\s+(?:INC|CORP|CORPORATION|LLC|"
                       r"LTD|LIMITED|GMBH|AG|SA|SAS|PLC|CO|COMPANY|GROUP|HOLDINGS|BANK|LLP|LP|TRUST)\b\.?")

    def find(self, text: str) -> list[PiiEntity]:
        found = []
        for pattern in (self._RE, self._CAPS):
            for m in pattern.finditer(text):
                value = m[0]
                # Drop a sentence-initial article or a connective the pattern swallowed ("The Acme Corp").
                lead = re.match(r"(?:The|A|An|And|Of)\s+", value)
                start = m.start() + (lead.end() if lead else 0)
                end = m.start() + len(value.rstrip(" ,"))
                if end - start >= 4:
                    found.append(self._entity(start, end, 0.6))
        return found
