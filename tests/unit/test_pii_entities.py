"""One planted value of every entity type, found with exact offsets; look-alikes of the new types rejected.

``PLANTED`` is also what tests/integration/test_pii_leak.py sends through the real pipeline. Every
value here is made up for these tests (checksums computed to be valid where the type has one).
"""
from __future__ import annotations

import pytest

from classifiers.pii import SUPPORTED_ENTITIES, PiiDetector
from classifiers.pii.checks import github_token_checksum_ok

PRIVATE_KEY = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAq7Zx0yLmVb3PnQwR8sTtUv2XyZ9aBcDeFgHiJkLm\n"
               "NoPqRsTuVwXyZaBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdef\n-----END RSA PRIVATE KEY-----")

#: type -> (text, planted value, needle searched for in stored output). The needle is the value
#: except where the value alone is too common a string (an age is a bare number).
PLANTED: dict[str, tuple[str, str, str]] = {
    "PERSON": ("Please forward the file to Margaret Thornbury before noon.", "Margaret Thornbury", "Thornbury"),
    "LOCATION": ("I will be travelling to Winnipeg next week.", "Winnipeg", "Winnipeg"),
    "ORGANIZATION": ("She now works for Halvorsen Maritime Holdings Inc. in sales.",
                     "Halvorsen Maritime Holdings Inc.", "Halvorsen"),
    "ADDRESS": ("Ship it to 1847 Birchwood Avenue, Apt 3B, Springfield, IL 62704 please.",
                "1847 Birchwood Avenue, Apt 3B, Springfield, IL 62704", "Birchwood"),
    "EMAIL": ("Write to margaret.thornbury@example.org for access.", "margaret.thornbury@example.org",
              "margaret.thornbury@example.org"),
    "PHONE": ("Her direct line is +44 20 7946 0321 during office hours.", "+44 20 7946 0321", "7946 0321"),
    "CREDIT_CARD": ("Charge the card 4539 1488 0343 6467 for the renewal.", "4539 1488 0343 6467", "4539 1488 0343 6467"),
    "IBAN": ("Wire the refund to GB33BUKB20201555555555 today.", "GB33BUKB20201555555555", "GB33BUKB20201555555555"),
    "US_SSN": ("Her SSN is 412-58-3390, do not share it.", "412-58-3390", "412-58-3390"),
    "US_BANK_ROUTING": ("Use routing number 011000015 for the transfer.", "011000015", "011000015"),
    "BANK_ACCOUNT": ("Deposit into account number 004417829305 at the branch.", "004417829305", "004417829305"),
    "US_PASSPORT": ("My passport number is C03004786, expiring soon.", "C03004786", "C03004786"),
    "US_DRIVER_LICENSE": ("His driver's license D4127735 was renewed.", "D4127735", "D4127735"),
    "TAX_ID": ("The contractor's ITIN is 912-78-4410 on the form.", "912-78-4410", "912-78-4410"),
    "NATIONAL_ID": ("Her national insurance number is JG 10 37 49 B, keep it safe.", "JG 10 37 49 B", "JG 10 37 49 B"),
    "MEDICAL_RECORD_NUMBER": ("Patient chart: MRN 70412398 admitted Tuesday.", "70412398", "70412398"),
    "UK_NHS": ("Her NHS number is 465 545 3656 on the referral.", "465 545 3656", "465 545 3656"),
    "MEDICAL_LICENSE": ("The prescriber's DEA number is FN2466351 on file.", "FN2466351", "FN2466351"),
    "DATE_OF_BIRTH": ("He was born on 07/21/1986 in a small town.", "07/21/1986", "07/21/1986"),
    "AGE": ("The patient is a 93-year-old retired teacher.", "93", "93-year-old"),
    "ZIP_CODE": ("Our postal code is 30318 for deliveries.", "30318", "code is 30318"),
    "IP_ADDRESS": ("The login came from 203.0.113.42 at night.", "203.0.113.42", "203.0.113.42"),
    "MAC_ADDRESS": ("The laptop's MAC is 3C:22:FB:9A:10:7E on the guest network.", "3C:22:FB:9A:10:7E",
                    "3C:22:FB:9A:10:7E"),
    "URL": ("Her file is at https://intranet.example.com/hr/records?id=88 for review.",
            "https://intranet.example.com/hr/records?id=88", "intranet.example.com/hr/records"),
    "CRYPTO_WALLET": ("Send the BTC to bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 tonight.",
                      "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
    "AWS_ACCESS_KEY": ("Set AWS_ACCESS_KEY_ID=AKIAQ7RZ5TLN3XW2VY6K in the runner.", "AKIAQ7RZ5TLN3XW2VY6K",
                       "AKIAQ7RZ5TLN3XW2VY6K"),
    "AWS_SECRET_KEY": ("aws_secret_access_key = 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",
                       "Zq8vN2rT5wY9bK3mP6sX1cF4hJ7lD0gA2eR5uI8o", "Zq8vN2rT5wY9bK3mP6sX1cF4hJ7lD0gA2eR5uI8o"),
    "GITHUB_TOKEN": ("Use 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 to push.", "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",
                     "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"),
    "SLACK_TOKEN": ("The bot token is xoxb-2093847561-4820193847-Kq8VzT3nR5wY9bM2xL7pD4sF okay.",
                    "xoxb-2093847561-4820193847-Kq8VzT3nR5wY9bM2xL7pD4sF", "Kq8VzT3nR5wY9bM2xL7pD4sF"),
    "STRIPE_KEY": ("Billing uses sk_live_51Hx9QzLmN8pR2tV6wY0aB4c in prod.", "sk_live_51Hx9QzLmN8pR2tV6wY0aB4c",
                   "sk_live_51Hx9QzLmN8pR2tV6wY0aB4c"),
    "JWT": ("Authorization: eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCJ9.eyJzdWIiOiAiMTIzNDU2Nzg5MCIsICJuYW1lIjogIlRlc3QgVXNlciJ9"
            ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c sent.",
            "eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCJ9.eyJzdWIiOiAiMTIzNDU2Nzg5MCIsICJuYW1lIjogIlRlc3QgVXNlciJ9"
            ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"),
    "PRIVATE_KEY": (f"Here is the key:\n{PRIVATE_KEY}\nthanks", PRIVATE_KEY, "MIIEowIBAAKCAQEAq7Zx0yLmVb3PnQwR8sTtUv2XyZ9aBcDeFgHiJkLm"),
    "API_KEY": ('config: api_key="Zx81kQm2Lp09VtR7nW4yB6cD" for the client', "Zx81kQm2Lp09VtR7nW4yB6cD",
                "Zx81kQm2Lp09VtR7nW4yB6cD"),
}

#: Types only the NER tagger finds (the rest must be found by patterns alone).
NER_TYPES = {"PERSON", "LOCATION"}


@pytest.fixture(scope="module")
def patterns() -> PiiDetector:
    return PiiDetector().load()


@pytest.fixture(scope="module", params=["minilm", "rampart"])
def full(request) -> PiiDetector:
    """Patterns plus each NER tagger."""
    return PiiDetector(ner=request.param).load()


def test_every_supported_type_has_a_planted_value():
    assert set(PLANTED) == set(SUPPORTED_ENTITIES)
    assert len(PLANTED) >= 25


@pytest.mark.parametrize("kind", sorted(set(PLANTED) - NER_TYPES))
def test_patterns_find_each_planted_value_exactly(patterns, kind):
    text, value, _ = PLANTED[kind]
    start = text.index(value)
    found = [(e.type, e.start, e.end) for e in patterns.detect([text])[0]]
    assert (kind, start, start + len(value)) in found, found


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_full_detector_finds_each_planted_value_exactly(full, kind):
    text, value, _ = PLANTED[kind]
    start = text.index(value)
    found = [(e.type, text[e.start:e.end]) for e in full.detect([text])[0]]
    assert (kind, value) in found, found
    assert full.detect([text])[0] == full.detect([text])[0]  # deterministic


NEGATIVES = {
    "US_BANK_ROUTING": "routing number 123456789",              # bad ABA checksum
    "CRYPTO_WALLET": "send to bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",  # bad bech32 checksum
    "MAC_ADDRESS": "time 12:30:45:10:22:33x",
    "GITHUB_TOKEN": "ghp_short",
    "JWT": "eyJub3QganNvbg.eyJub3QganNvbg.abc",                  # header is not JSON
    "API_KEY": "the commit 9fceb02d0ae598e95dc970b74767f19372d61af8 is fine",  # hex hash, no hint
    "DATE_OF_BIRTH": "the meeting is on 07/21/2021",            # a date without birth context
    "AGE": "it took 30 years to build",                         # a duration, not an age
    "US_PASSPORT": "order 123456789 shipped",                   # nine digits without context
    "AWS_SECRET_KEY": "blob Zq8vN2rT5wY9bK3mP6sX1cF4hJ7lD0gA2eR5uI8o",  # no AWS word near it
    "URL": "see report.pdf and main.py",
    "UK_NHS": "her NHS number 465 545 3657",                    # bad mod-11 check digit
    "MEDICAL_LICENSE": "DEA number FN2466352",                  # bad DEA check digit
}


@pytest.mark.parametrize("kind", sorted(NEGATIVES))
def test_look_alikes_of_new_types_are_not_reported(patterns, kind):
    text = NEGATIVES[kind]
    assert kind not in [e.type for e in patterns.detect([text])[0]]


def test_github_checksum_and_eth_checksum():
    assert github_token_checksum_ok(PLANTED["GITHUB_TOKEN"][1])
    assert not github_token_checksum_ok("ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW11ySowx")
    det = PiiDetector(entities=["CRYPTO_WALLET"]).load()
    good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    bad = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"   # one letter's case flipped
    assert [e.score for e in det.detect([f"pay {good}"])[0]] == [1.0]
    assert det.detect([f"pay {bad}"])[0] == []


def test_private_key_cut_off_is_masked_to_the_end(patterns):
    text = "key: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"
    found = patterns.detect([text])[0]
    assert [(e.type, e.end) for e in found] == [("PRIVATE_KEY", len(text))]
