"""Recognizers for health identifiers with a check digit: UK NHS numbers and US DEA registrations.

Both checksums pass about one random number in ten, so the scores stay near the threshold and
:mod:`.context` decides the close cases ("NHS", "DEA", "prescriber" lift them; "order", "invoice"
drop them). Medical record numbers, which carry no checksum, are in :mod:`.identifier_recognizers`.
"""
from __future__ import annotations

import re

from classifiers.pii.checks import dea_number_ok, nhs_number_ok
from classifiers.pii.recognizers import TOKEN_END, TOKEN_START, Recognizer
from schemas.event import PiiEntity


class NhsNumberRecognizer(Recognizer):
    """UK NHS numbers: ten digits as 3-3-4 (spaces or dashes, the same one twice) or one block; mod 11.

    The printed 3-3-4 form scores 0.6, a bare block 0.5. A US phone number in the same 3-3-4 shape
    scores 0.9 and wins the span, unless "NHS" stands next to it.
    """

    name = "uk_nhs_mod11"
    entity_type = "UK_NHS"
    # Not part of a longer run of digit groups on either side (like the SSN pattern).
    _RE = re.compile(r"(?<![\w\-])(?<![0-9][ \-])([0-9]{3})([ \-]?)([0-9]{3})\2([0-9]{4})(?![\w\-])(?![ \-][0-9])")

    def find(self, text: str) -> list[PiiEntity]:
        return [self._entity(m.start(), m.end(), 0.6 if m[2] else 0.5) for m in self._RE.finditer(text)
                if nhs_number_ok(m[1] + m[3] + m[4])]


class MedicalLicenseRecognizer(Recognizer):
    """US DEA registration numbers (the licence a prescriber quotes): two characters + seven digits.

    The first letter is the registrant type (A-U, X), the second the registrant's initial or "9";
    the last digit is the DEA check digit. Printed in capitals.
    """

    name = "us_dea_number"
    entity_type = "MEDICAL_LICENSE"
    _RE = re.compile(TOKEN_START + r"[ABCDEFGHJKLMPRSTUX][A-Z9][0-9]{7}" + TOKEN_END)

    def find(self, text: str) -> list[PiiEntity]:
        return [self._entity(m.start(), m.end(), 0.55) for m in self._RE.finditer(text) if dea_number_ok(m[0])]
