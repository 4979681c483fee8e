"""Pattern recognizers, checks and the detector: exact offsets, look-alikes rejected, overlaps, JSON paths."""
from __future__ import annotations

import random

import pytest

from classifiers.pii import RECOGNIZERS, SUPPORTED_ENTITIES, PiiDetector, get_recognizer, resolve_overlaps
from classifiers.pii.checks import card_ok, iban_ok, luhn_ok, ssn_parts_ok
from schemas.event import PiiEntity


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    return PiiDetector().load()


def spans(detector: PiiDetector, text: str) -> list[tuple[str, str, int, int]]:
    """(type, value, start, end) of each finding, so a failure shows what was found."""
    return [(e.type, text[e.start:e.end], e.start, e.end) for e in detector.detect([text])[0]]


def found_in(detector: PiiDetector, text: str, value: str, kind: str) -> bool:
    start = text.index(value)
    return (kind, value, start, start + len(value)) in spans(detector, text)


# --- valid values, exact offsets -------------------------------------------------------------

VALID = [
    ("EMAIL", "john.doe+tag@mail.example.co.uk"),
    ("EMAIL", "a_b%c-d@sub-domain.example.org"),
    ("PHONE", "(415) 555-2671"),
    ("PHONE", "415-555-2671"),
    ("PHONE", "+44 20 7946 0958"),
    ("PHONE", "+33 1 42 68 53 00"),
    ("PHONE", "+1 415 555 2671"),
    ("CREDIT_CARD", "4111 1111 1111 1111"),      # Visa, spaced
    ("CREDIT_CARD", "5555-5555-5555-4444"),      # Mastercard, dashed
    ("CREDIT_CARD", "378282246310005"),          # Amex, 15 digits
    ("CREDIT_CARD", "3782 822463 10005"),        # Amex printed 4-6-5
    ("CREDIT_CARD", "6011111111111117"),         # Discover
    ("CREDIT_CARD", "3530111333300000"),         # JCB
    ("CREDIT_CARD", "30569309025904"),           # Diners, 14 digits
    ("CREDIT_CARD", "2223003122003222"),         # Mastercard 2-series
    ("CREDIT_CARD", "4222222222222"),            # Visa, 13 digits
    ("IBAN", "DE89 3704 0044 0532 0130 00"),
    ("IBAN", "DE89370400440532013000"),
    ("IBAN", "GB82WEST12345698765432"),
    ("IBAN", "GB82 WEST 1234 5698 7654 32"),
    ("IBAN", "FR1420041010050500013M02606"),
    ("IBAN", "NO9386011117947"),                 # shortest length in the table
    ("US_SSN", "123-45-6789"),
    ("US_SSN", "665-01-0001"),
    ("IP_ADDRESS", "192.168.1.10"),
    ("IP_ADDRESS", "8.8.8.8"),
    ("IP_ADDRESS", "2001:db8::1"),
    ("IP_ADDRESS", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
    ("IP_ADDRESS", "fe80::1"),
    ("IP_ADDRESS", "::ffff:192.0.2.1"),
    # Pattern breadth (issue 17): forms written in the wild that were missed.
    ("EMAIL", "user@xn--bcher-kva.xn--tckwe"),   # punycode domain and TLD
    ("CREDIT_CARD", "5019453451290836"),         # Dankort
    ("CREDIT_CARD", "166446857806157"),          # UATP (prefix 1, 15 digits)
    ("IBAN", "GB82-WEST-1234-5698-7654-32"),     # dashes between the groups
    ("US_SSN", "123.45.6789"),                   # dots
    ("US_BANK_ROUTING", "0402-4815-2"),          # the 4-4-1 check-writer form
    ("US_BANK_ROUTING", "040248152"),            # bare, at the threshold without a routing word
    ("NATIONAL_ID", "jg 10 37 49 b"),            # UK NINO typed in lower case
    ("MAC_ADDRESS", "AA:BB:CC:DD:EE:0F"),        # hex pairs made of letters
    ("MAC_ADDRESS", "aabb.ccdd.ee0f"),
    ("IP_ADDRESS", "10.0.0.0/24"),               # a prefix length is part of the address
    ("IP_ADDRESS", "2001:db8::/32"),
    ("IP_ADDRESS", "fe80::/10"),
    ("IP_ADDRESS", "fe80::1%eth0"),              # an IPv6 zone
    ("IP_ADDRESS", "fe80::1%eth0/64"),
    ("IP_ADDRESS", "::1"),                       # loopback
    ("IP_ADDRESS", "::10.0.0.1"),                # IPv4-compatible
]


@pytest.mark.parametrize(("kind", "value"), VALID)
def test_valid_value_found_with_exact_offsets(detector, kind, value):
    text = f"Re: ticket. Value: {value}. Thanks!"
    start = text.index(value)
    assert spans(detector, text) == [(kind, value, start, start + len(value))]


@pytest.mark.parametrize(("kind", "value"), VALID)
def test_valid_value_alone_and_at_edges(detector, kind, value):
    assert spans(detector, value) == [(kind, value, 0, len(value))]


def test_several_types_in_one_text_sorted_by_start(detector):
    text = "mail ann@example.com, card 4111111111111111, ip 10.0.0.1 and ssn 123-45-6789"
    assert [(k, v) for k, v, _, _ in spans(detector, text)] == [
        ("EMAIL", "ann@example.com"), ("CREDIT_CARD", "4111111111111111"),
        ("IP_ADDRESS", "10.0.0.1"), ("US_SSN", "123-45-6789"),
    ]


def test_offsets_are_code_points_after_non_ascii(detector):
    text = "Grüße 🙂 — écrivez à zoë@example.fr"
    assert spans(detector, text) == []  # a non-ASCII local part is not matched (documented gap)
    text = "Grüße 🙂 — écrivez à zoe@example.fr"
    # 20 code points precede the address (UTF-16 would count 21 for the emoji, UTF-8 more).
    assert spans(detector, text) == [("EMAIL", "zoe@example.fr", 20, 34)]


# --- look-alikes rejected ----------------------------------------------------------------

INVALID = [
    "john@localhost", "a@b", "john@@example.com", "x@-bad.com", "john@example.c0m",
    "555-0100", "123-456-7890",                               # too short / impossible area code
    "4111 1111 1111 1112", "4111-1111-1111-1111-1111",        # bad Luhn; dash-joined longer id
    "41111111111111111111", "1234 5678 9012 3452",            # 20 digits; Luhn-valid, no issuer
    "DE89 3704 0044 0532 0130 01", "DE89370400440532013001",  # bad IBAN checksum
    "DE89 3704 0044 0532 0130", "XX89370400440532013000",     # too short; unknown country
    "000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000",
    "123-45 6789", "1-123-45-6789", "123-45-6789-1",          # mixed separators; longer runs
    "1.2.3.4.5", "1.2.3", "256.1.1.1", "01.2.3.4", "v1.2.3.4", "10.0.0.1.5",
    "12:30:45", "::", "list[::2]",
    "http://intranet/x", "www.example", "https://www.example/",  # a host without a TLD is no URL
    "GB82/WEST/1234/5698/7654/32", "GB82-WEST 1234-5698-7654-32",  # slashes; mixed separators
    "gb82 WEST 1234 5698 7654 32",                            # mixed case (valid once upper-cased)
    "123.45-6789", "0402-4815-3", "000000000",                 # mixed separators; bad ABA check; zeros
    "FF:FF:FF:FF:FF:FF", "00-00-00-00-00-00", "Jg 10 37 49 b",  # broadcast; all-zero; mixed-case NINO
    "::/0",                                                    # the default route names no host
]


@pytest.mark.parametrize("value", INVALID)
def test_look_alike_rejected(detector, value):
    assert spans(detector, f"value {value} end") == []


def test_random_order_numbers_failing_luhn_are_not_cards(detector):
    rng = random.Random(20240611)
    numbers = []
    while len(numbers) < 300:
        candidate = "".join(rng.choice("0123456789") for _ in range(16))
        if not luhn_ok(candidate):
            numbers.append(candidate)
    results = detector.detect([f"order {n} shipped" for n in numbers])
    assert [r for r in results if r] == []


def test_version_strings_are_not_ip_addresses(detector):
    text = "upgraded to version 1.2.3.4 (build 2.10.3, ver. 10.0.0.1)"
    assert spans(detector, text) == []
    # Still reported below the default threshold, so a stricter deployment can lower it.
    low = PiiDetector(threshold=0.2).load()
    assert [k for k, *_ in spans(low, text)] == ["IP_ADDRESS", "IP_ADDRESS"]


def test_ssn_bare_nine_digits_need_context(detector):
    assert spans(detector, "ref 123456789 attached") == []
    text = "Social Security: 123456789"
    assert spans(detector, text) == [("US_SSN", "123456789", 17, 26)]
    assert spans(detector, "my SSN is 000123456") == []  # context does not rescue a bad area


def test_ssn_context_raises_score():
    rec = get_recognizer("us_ssn_pattern")
    plain = rec.find("id 123-45-6789")[0].score
    with_context = rec.find("SSN 123-45-6789")[0].score
    spaced = rec.find("id 123 45 6789")[0].score
    assert with_context > plain > spaced


def test_numbers_inside_longer_runs_do_not_match(detector):
    assert spans(detector, "ID4111111111111111") == []
    assert spans(detector, "x 99123-45-6789 x") == []
    assert spans(detector, "serial 004155552671009988") == []


def test_card_next_to_other_numbers_in_a_spaced_run(detector):
    text = "qty 2 4111 1111 1111 1111 2024"
    assert spans(detector, text) == [("CREDIT_CARD", "4111 1111 1111 1111", 6, 25)]


def test_iban_does_not_swallow_the_next_word(detector):
    text = "IBAN GB82 WEST 1234 5698 7654 32 ABCD please"
    assert spans(detector, text) == [("IBAN", "GB82 WEST 1234 5698 7654 32", 5, 32)]


def test_email_trailing_dot_not_included(detector):
    assert spans(detector, "write to x@example.com.") == [("EMAIL", "x@example.com", 9, 22)]


def test_an_iban_with_a_bad_check_digit_is_not_a_card(detector):
    # Its account part holds a Luhn-valid Visa number; an IBAN-shaped token is never a card.
    text = "IBAN DE12 4111 1111 1111 1111 11 attached"
    assert not iban_ok("DE12411111111111111111") and card_ok("4111111111111111")
    assert spans(detector, text) == []
    assert [k for k, *_ in spans(detector, "card 4111 1111 1111 1111 11")] == ["CREDIT_CARD"]


def test_uatp_prefix_scores_at_the_threshold_and_tracking_drops_it(detector):
    [uatp] = detector.detect(["pay with 166446857806157"])[0]
    assert (uatp.type, uatp.score) == ("CREDIT_CARD", 0.6)
    assert spans(detector, "tracking 166446857806157") == []
    assert detector.detect(["card 166446857806157"])[0][0].score == 0.95
    assert spans(detector, "code 1748503543012") == []   # Luhn-valid, 13 digits: UATP has 15


def test_prefix_length_out_of_range_leaves_the_address_alone(detector):
    assert spans(detector, "net 10.0.0.0/33 ok") == [("IP_ADDRESS", "10.0.0.0", 4, 12)]
    assert spans(detector, "net 2001:db8::/129 ok") == [("IP_ADDRESS", "2001:db8::", 4, 14)]
    # The IPv4 tail of a malformed IPv6 form is still an address.
    assert spans(detector, "x text::ffff:192.0.2.1") == [("IP_ADDRESS", "192.0.2.1", 13, 22)]


def test_bank_routing_context_decides_bare_numbers(detector):
    assert spans(detector, "order 040248152 shipped") == []
    assert [k for k, *_ in spans(detector, "ABA 040248152")] == ["US_BANK_ROUTING"]


def test_url_hosts(detector):
    for url in ("http://intranet.example.com/a", "https://www.example.com/", "http://10.1.2.3:8080/x",
                "http://[2001:db8::5]/x", "https://shop.example.webcam/"):
        assert get_recognizer("url_pattern").find(url)[0].end == len(url), url
    assert get_recognizer("url_pattern").find("http://localhost:8080/x") == []


# --- checks on their own ----------------------------------------------------------------------

def test_checks():
    assert luhn_ok("79927398713") and not luhn_ok("79927398710") and not luhn_ok("12a4")
    assert card_ok("4111111111111111") and not card_ok("4111111111111112")
    assert card_ok("4222222222222")  # 13-digit Visa
    assert luhn_ok("411111111111116") and not card_ok("411111111111116")  # Visa is never 15 digits
    assert not card_ok("9111111111111119")  # no issuer starts with 9 here
    assert iban_ok("de89370400440532013000") and not iban_ok("DE8937040044053201300")
    assert ssn_parts_ok("123", "45", "6789") and not ssn_parts_ok("999", "45", "6789")


# --- overlap resolution ---------------------------------------------------------------------

def _ent(kind: str, start: int, end: int, score: float, field: str = "text") -> PiiEntity:
    return PiiEntity(type=kind, start=start, end=end, score=score, recognizer="test", field=field)


def test_overlap_higher_score_wins_then_longer_span():
    a, b = _ent("PHONE", 0, 10, 0.6), _ent("CREDIT_CARD", 5, 21, 0.95)
    assert resolve_overlaps([a, b]) == [b]
    short, long_ = _ent("A", 0, 5, 0.9), _ent("B", 2, 12, 0.9)
    assert resolve_overlaps([short, long_]) == [long_]
    assert resolve_overlaps([long_, short]) == [long_]


def test_overlap_keeps_disjoint_sorted_and_fields_apart():
    x, y, z = _ent("A", 10, 12, 0.7), _ent("B", 0, 3, 0.9), _ent("C", 0, 3, 0.5, field="tool.arguments.q")
    assert resolve_overlaps([x, y, z]) == [y, x, z]
    touching = [_ent("A", 0, 3, 0.9), _ent("B", 3, 6, 0.9)]
    assert resolve_overlaps(touching) == touching


def test_threshold_applies_before_overlap_resolution(detector):
    # A below-threshold finding must not hide a stronger one it overlaps.
    text = "see 4155552671"  # bare digits, no context word: PHONE at 0.6
    assert spans(PiiDetector(threshold=0.7).load(), text) == []
    assert spans(detector, text) == [("PHONE", "4155552671", 4, 14)]


def test_an_ip_address_outranks_a_phone_number_whatever_the_scores():
    ip, phone = _ent("IP_ADDRESS", 4, 16, 0.6), _ent("PHONE", 2, 18, 0.99)
    assert resolve_overlaps([phone, ip]) == [ip]
    mac = _ent("MAC_ADDRESS", 0, 17, 0.5)
    assert resolve_overlaps([_ent("PHONE", 3, 11, 0.9), mac]) == [mac]
    # Only where they overlap, and only per field.
    far, other_field = _ent("PHONE", 20, 30, 0.9), _ent("PHONE", 4, 16, 0.9, field="tool.arguments.x")
    assert resolve_overlaps([ip, far, other_field]) == [ip, far, other_field]


def test_on_a_tie_a_validated_type_wins_over_a_longer_guess():
    guess, card = _ent("ORGANIZATION", 0, 30, 0.9), _ent("CREDIT_CARD", 5, 21, 0.9)
    assert resolve_overlaps([guess, card]) == [card]


def test_overlap_resolution_is_fast_on_thousands_of_findings():
    many = [_ent("IP_ADDRESS", i * 10, i * 10 + 8, 0.9) for i in range(20_000)]
    many += [_ent("PHONE", i * 10 + 2, i * 10 + 12, 0.9) for i in range(20_000)]
    assert len(resolve_overlaps(many)) == 20_000   # quadratic code would take minutes here


def test_a_phone_finding_holding_an_ipv4_address_is_dropped():
    # Even when IP_ADDRESS is not reported (so no IP finding outranks it), e.g. an NER phone span.
    det = PiiDetector(entities=["PHONE"]).load()
    ner = [PiiEntity(type="PHONE", start=5, end=19, score=0.85, recognizer="ner")]
    assert det._combine("from 192.168.10.20 x", [], ner) == []


# --- detector API -----------------------------------------------------------------------------

def test_detector_entity_filter_and_errors():
    only_email = PiiDetector(entities=["EMAIL"]).load()
    text = "a@example.com 4111111111111111"
    assert [e.type for e in only_email.detect([text])[0]] == ["EMAIL"]
    with pytest.raises(ValueError, match="supported: EMAIL, PHONE"):
        PiiDetector(entities=["EMAIL", "PASSPORT"])
    with pytest.raises(TypeError):
        PiiDetector(entities="EMAIL")
    with pytest.raises(ValueError, match="threshold"):
        PiiDetector(threshold=1.5)
    with pytest.raises(TypeError):
        only_email.detect("a@example.com")


def test_registry_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as err:
        get_recognizer("passport")
    for name in RECOGNIZERS:
        assert name in str(err.value)
    assert len(SUPPORTED_ENTITIES) >= 25 and len(set(SUPPORTED_ENTITIES)) == len(SUPPORTED_ENTITIES)
    assert {"EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "PERSON", "LOCATION",
            "ORGANIZATION", "ADDRESS", "JWT", "PRIVATE_KEY"} <= set(SUPPORTED_ENTITIES)
    for name, cls in RECOGNIZERS.items():
        assert cls.name == name and cls.entity_type in SUPPORTED_ENTITIES


def test_detect_is_batch_first_and_lazy_loads():
    det = PiiDetector()
    assert not det.loaded
    out = det.detect(["nothing here", "a@example.com", ""])
    assert det.loaded and [len(r) for r in out] == [0, 1, 0]
    assert det.name and det.revision
    assert det.detect([]) == []


# --- JSON -----------------------------------------------------------------------------------------

def test_detect_json_paths(detector):
    value = {
        "customer": {"email": "ann@example.com", "first name": "card 4111111111111111"},
        "items": ["ok", 7, 4111111111111111, True, None, 3.5, {"ip": ["10.0.0.1"]}],
        "ssn": "123-45-6789",
        "amount": 4111111111111111.0,
    }
    found = {(e.field, e.type, e.start, e.end) for e in detector.detect_json(value)}
    assert found == {
        ("tool.arguments.customer.email", "EMAIL", 0, 15),
        ('tool.arguments.customer["first name"]', "CREDIT_CARD", 5, 21),
        ("tool.arguments.items[2]", "CREDIT_CARD", 0, 16),
        ("tool.arguments.items[6].ip[0]", "IP_ADDRESS", 0, 8),
        ("tool.arguments.ssn", "US_SSN", 0, 11),
        ("tool.arguments.amount", "CREDIT_CARD", 0, 16),
    }


def test_detect_json_many_finds_what_one_value_at_a_time_finds(detector):
    values = [{"a": "a@example.com", "b": [1, "4111 1111 1111 1111"]}, "ssn 123-45-6789", {}, None, ["10.0.0.1"]]
    assert detector.detect_json_many(values) == [detector.detect_json(v) for v in values]
    assert detector.detect_json_many([]) == []


def test_detect_json_raw_string_and_prefix(detector):
    assert [(e.field, e.type) for e in detector.detect_json("mail a@example.com")] == [("tool.arguments", "EMAIL")]
    assert [e.field for e in detector.detect_json({"a": "a@example.com"}, field_prefix="x")] == ["x.a"]
    assert detector.detect_json({"n": True, "m": None, "f": 1.5}) == []


def test_detect_json_survives_deep_nesting(detector):
    value: object = "a@example.com"
    for _ in range(5000):
        value = [value]
    [entity] = detector.detect_json(value)
    assert entity.field == "tool.arguments" + "[0]" * 5000
