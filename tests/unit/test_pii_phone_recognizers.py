"""Phone numbers per region: home vs guest regions, how a country writes its numbers, look-alikes.

Every number here is made up (valid per ``phonenumbers``' plans, assigned to nobody we know of).
"""
from __future__ import annotations

import pytest

from classifiers.pii import PiiDetector
from classifiers.pii.phone_recognizers import (DEFAULT_PHONE_REGIONS, LoosePhoneRecognizer, PhoneRecognizer,
                                               validate_phone_regions)
from schemas.config import ConfigError, PiiConfig, load_config


def phones(rec: PhoneRecognizer, text: str) -> list[tuple[str, float]]:
    return [(text[e.start:e.end], e.score) for e in rec.find(text)]


def found(det: PiiDetector, text: str) -> list[tuple[str, str]]:
    return [(e.type, text[e.start:e.end]) for e in det.detect([text])[0]]


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    return PiiDetector().load()


# National numbers of the default guest regions, as each country writes them.
NATIONAL = [
    ("DE", "089 4412 7730"),
    ("JP", "080-4127-3396"),
    ("CN", "13912874460"),      # a Chinese mobile: written without the trunk prefix
    ("IL", "03-6418852"),
    ("GB", "020 3318 4472"),
    ("FR", "01 53 27 84 19"),
    ("IN", "022 4312 8876"),
]


@pytest.mark.parametrize(("region", "number"), NATIONAL)
def test_guest_region_numbers_found_only_with_their_region(region, number):
    text = f"Reach her at {number} after six."
    assert phones(PhoneRecognizer(("US",)), text) == []
    [(value, score)] = phones(PhoneRecognizer(("US", region)), text)
    assert value == number and score in (0.5, 0.65)
    # As the home region the same number scores like a home number.
    assert phones(PhoneRecognizer((region,)), text)[0][1] in (0.6, 0.9)


@pytest.mark.parametrize(("region", "number"), NATIONAL)
def test_default_detector_reads_the_default_regions(detector, region, number):
    assert region in DEFAULT_PHONE_REGIONS
    assert found(detector, f"Reach her at {number} after six.") == [("PHONE", number)]


def test_guest_number_without_its_trunk_prefix_is_not_read():
    # "089 4412 7730" is a Munich number; without the "0" no German writes it so, and a run of
    # digits valid in some plan without its prefix is far more often something else.
    assert phones(PhoneRecognizer(("US", "DE")), "see 89 4412 7730") == []
    # The Chinese plan accepts a Shenzhen landline without its "0" (and mobiles start with a
    # digit too, so the number is parsed): its national format has the "0", so it is not read.
    rec = PhoneRecognizer(("US", "CN"))
    assert phones(rec, "tel 0755 2381 4467") == [("0755 2381 4467", 0.65)]
    assert phones(rec, "tel 755 2381 4467") == []


def test_country_code_without_plus_as_its_own_group():
    rec = PhoneRecognizer(("US", "IN"))
    assert phones(rec, "call 91-22-4312-8876") == [("91-22-4312-8876", 0.65)]
    assert phones(rec, "call 912243128876") == []   # bare digits that merely start with 91


def test_home_numbers_keep_their_scores_and_guest_numbers_score_lower():
    rec = PhoneRecognizer()
    assert phones(rec, "(415) 555-2671") == [("(415) 555-2671", 0.9)]
    assert phones(rec, "4155552671") == [("4155552671", 0.6)]
    assert phones(rec, "089 4412 7730") == [("089 4412 7730", 0.65)]
    assert phones(rec, "13912874460") == [("13912874460", 0.5)]
    assert phones(rec, "+49 89 4412 7730") == [("+49 89 4412 7730", 0.9)]


def test_context_words_decide_bare_guest_numbers(detector):
    assert found(detector, "order 13912874460 shipped") == []          # "order": below the threshold
    assert found(detector, "电话 13912874460") == [("PHONE", "13912874460")]
    scored = detector.detect(["Telefon 089 4412 7730"])[0]
    assert [e.score for e in scored] == [0.95]                         # 0.65 + a phone word


# Numbers that some plan accepts but that are written as something else.
WRITTEN_AS_NUMBERS = [
    "born 02.09.1965 in Kiel",        # a date (valid in the German and Italian plans)
    "pi is 3.1415926535",             # a decimal (the Indian plan reads the tail after "3.")
    "total 64.500.474 EUR",           # thousands (valid in the Polish and Singaporean plans)
    "gateway 192.168.100.200",        # an IPv4 address
]


@pytest.mark.parametrize("text", WRITTEN_AS_NUMBERS)
@pytest.mark.parametrize("home", ["US", "DE", "IT", "IN", "PL", "SG", "BR"])
def test_numbers_written_as_something_else_are_not_phones(text, home):
    assert phones(PhoneRecognizer((home,)), text) == []


@pytest.mark.parametrize("text", [
    "at 11/28/2018 12:30",            # a date and a time, not one number
    "id 078 05 1123",                 # laid out like an SSN: no guest plan groups nine digits 3-2-4
    "step 00117/99999 done",          # a counter in a log
    *WRITTEN_AS_NUMBERS,
])
def test_guest_regions_do_not_read_look_alikes(text):
    assert phones(PhoneRecognizer(DEFAULT_PHONE_REGIONS + ("BR", "IT", "ES")), text) == []


def test_an_ipv4_address_is_never_a_phone_even_as_home_region():
    assert phones(PhoneRecognizer(("IN",)), "from 192.168.100.200 today") == []
    assert LoosePhoneRecognizer().find("10.20.30.40") == []


def test_a_country_code_before_claims_the_number():
    # No plan validates this Swiss number, and its tail "(0)96 318 27 40" is a valid French
    # national number; the "+41" says it is not French.
    text = "Desk: +41 (0)96 318 27 40"
    assert phones(PhoneRecognizer(("FR",)), "(0)96 318 27 40")          # valid on its own
    assert phones(PhoneRecognizer(("US", "FR")), text) == []


def test_digits_after_an_iban_head_are_no_phone():
    # An IBAN with a wrong check digit: its account part must not become a phone number.
    assert phones(PhoneRecognizer(), "IBAN BE71 0961 2345 6761") == []


def test_validate_phone_regions():
    assert validate_phone_regions(["gb", "US", "GB"]) == ("GB", "US")
    with pytest.raises(ValueError, match="the United Kingdom is GB"):
        validate_phone_regions(["UK"])
    with pytest.raises(ValueError, match="unknown phone region 'XX'"):
        validate_phone_regions(["US", "XX"])
    with pytest.raises(ValueError, match="at least one"):
        validate_phone_regions([])


def test_phone_regions_config_threads_to_the_detector(tmp_path):
    assert PiiConfig().phone_regions == list(DEFAULT_PHONE_REGIONS)
    text = "Reach her at 089 4412 7730 after six."
    only_us = PiiDetector.from_config(PiiConfig(phone_regions=["us"]))
    assert only_us.phone_regions == ("US",) and found(only_us.load(), text) == []
    with_de = PiiDetector.from_config(PiiConfig(phone_regions=["US", "DE"])).load()
    assert found(with_de, text) == [("PHONE", "089 4412 7730")]
    path = tmp_path / "c.yaml"
    path.write_text("classifiers:\n  pii:\n    phone_regions: [US, XX]\n")
    with pytest.raises(ConfigError, match="classifiers.pii.phone_regions.*unknown phone region 'XX'"):
        load_config(path, environ={})
    with pytest.raises(ValueError, match="unknown phone region"):
        PiiDetector(phone_regions=["ZZ"])


def test_hostile_digit_runs_finish():
    # Long runs of short digit groups: the guest scan is linear (bounded groups, no nested repeats).
    rec = PhoneRecognizer()
    for text in ("1 " * 20_000, "12-" * 20_000, "(1) " * 10_000, "0" * 50_000, "00123/99999 " * 2_000):
        rec.find(text)
