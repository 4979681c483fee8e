"""UK NHS numbers (mod 11) and US DEA registration numbers (DEA check digit): checks, forms, context.

The values are made up; their check digits are computed to be valid (or, where said, invalid).
"""
from __future__ import annotations

import pytest

from classifiers.pii import PiiDetector
from classifiers.pii.checks import dea_number_ok, nhs_number_ok


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    return PiiDetector().load()


def found(det: PiiDetector, text: str) -> list[tuple[str, str]]:
    return [(e.type, text[e.start:e.end]) for e in det.detect([text])[0]]


def test_nhs_check():
    assert nhs_number_ok("4655453656") and nhs_number_ok("2459965133")
    assert not nhs_number_ok("4655453657")          # wrong check digit
    assert not nhs_number_ok("465545365")           # nine digits
    assert not nhs_number_ok("46554536x6")
    # A remainder of 1 gives check digit 10: such a number is never issued, whatever its last digit.
    never = next(f"{n:09d}" for n in range(10**8, 10**9) if
                 sum(int(d) * w for d, w in zip(f"{n:09d}", range(10, 1, -1))) % 11 == 1)
    assert not any(nhs_number_ok(never + str(d)) for d in range(10))


@pytest.mark.parametrize("value", ["465 545 3656", "465-545-3656", "4655453656"])
def test_nhs_numbers_found_in_each_form(detector, value):
    text = f"Her NHS number is {value}, see the letter."
    assert found(detector, text) == [("UK_NHS", value)]


@pytest.mark.parametrize("text", [
    "Her NHS number is 465 545 3657.",    # bad check digit
    "Her NHS number is 465-545 3656.",    # mixed separators
    "ref 1-465-545-3656-2",               # inside a longer run of groups
])
def test_nhs_look_alikes_rejected(detector, text):
    assert "UK_NHS" not in [t for t, _ in found(detector, text)]


def test_nhs_vs_us_phone_of_the_same_shape(detector):
    # 785-230-0049 is a valid US phone number and passes the NHS check: as a phone it wins,
    # unless "NHS" stands next to it.
    assert found(detector, "Call 785-230-0049 today") == [("PHONE", "785-230-0049")]
    assert found(detector, "NHS no. 785 230 0049") == [("UK_NHS", "785 230 0049")]


def test_nhs_bare_block_needs_no_negative_context(detector):
    assert found(detector, "4655453656") == [("UK_NHS", "4655453656")]
    assert found(detector, "invoice 4655453656") == []


def test_dea_check():
    assert dea_number_ok("MS8665486") and dea_number_ok("FN2466351")
    assert not dea_number_ok("MS8665487") and not dea_number_ok("MS866548") and not dea_number_ok("MS86654x6")


@pytest.mark.parametrize("value", ["MS8665486", "FN2466351", "B91234563"])
def test_dea_numbers_found(detector, value):
    assert dea_number_ok(value)
    assert found(detector, f"Prescriber {value} signed it.") == [("MEDICAL_LICENSE", value)]


@pytest.mark.parametrize("text", [
    "Prescriber MS8665487 signed it.",   # bad check digit
    "Prescriber ms8665486 signed it.",   # DEA numbers are printed in capitals
    "Prescriber IS8665486 signed it.",   # I is no registrant type
    "part ABMS8665486 in stock",         # inside a longer token
])
def test_dea_look_alikes_rejected(detector, text):
    assert "MEDICAL_LICENSE" not in [t for t, _ in found(detector, text)]


def test_dea_context_raises_and_lowers(detector):
    plain, dea, order = (detector.detect([t])[0] for t in ("id MS8665486", "DEA MS8665486", "order MS8665486"))
    assert [e.score for e in plain] == [0.55] and [e.score for e in dea] == [0.9] and order == []
