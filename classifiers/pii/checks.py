"""Checksums and tables that turn a pattern match into a validated PII finding.

Kept apart from the recognizers so each check can be tested on its own and reused
(e.g. by a later NER post-filter that validates a tagged span).
"""
from __future__ import annotations

import hashlib
import math
import zlib

#: IBAN length per country (SWIFT IBAN registry). A country missing here is not accepted:
#: an unknown code is far more often an ordinary word than an IBAN.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

# Card issuer prefixes (IIN ranges) with the lengths each network issues. Each row:
# (lowest prefix, highest prefix, allowed lengths); prefixes compare as integers of the
# same number of digits, so (2221, 2720) covers the Mastercard 2-series.
_CARD_IIN: tuple[tuple[int, int, frozenset[int]], ...] = (
    (4, 4, frozenset({13, 16, 19})),                  # Visa
    (51, 55, frozenset({16})),                        # Mastercard
    (2221, 2720, frozenset({16})),                    # Mastercard 2-series
    (34, 34, frozenset({15})), (37, 37, frozenset({15})),  # American Express
    (6011, 6011, frozenset(range(16, 20))),           # Discover
    (644, 649, frozenset(range(16, 20))),             # Discover
    (65, 65, frozenset(range(16, 20))),               # Discover / RuPay
    (62, 62, frozenset(range(16, 20))),               # UnionPay
    (3528, 3589, frozenset(range(16, 20))),           # JCB
    (300, 305, frozenset(range(14, 20))),             # Diners Club
    (3095, 3095, frozenset(range(14, 20))),           # Diners Club
    (36, 36, frozenset(range(14, 20))),               # Diners Club
    (38, 39, frozenset(range(14, 20))),               # Diners Club
    (2200, 2204, frozenset(range(16, 20))),           # Mir
    (5018, 5018, frozenset(range(13, 20))),           # Maestro
    (5020, 5020, frozenset(range(13, 20))),           # Maestro
    (5038, 5038, frozenset(range(13, 20))),           # Maestro
    (5893, 5893, frozenset(range(13, 20))),           # Maestro
    (6304, 6304, frozenset(range(13, 20))),           # Maestro
    (6759, 6759, frozenset(range(13, 20))),           # Maestro
    (6761, 6763, frozenset(range(13, 20))),           # Maestro
    (1, 1, frozenset({15})),                          # UATP (airline cards)
    (5019, 5019, frozenset({16})),                    # Dankort
)

# With the prefix width precomputed: this check runs for every candidate digit run.
_CARD_IIN_W = tuple((low, high, len(str(low)), lengths) for low, high, lengths in _CARD_IIN)


def luhn_ok(digits: str) -> bool:
    """True when the digit string passes the Luhn (mod 10) checksum."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def known_card_prefix(digits: str) -> bool:
    """True when the number starts with a known issuer prefix and has a length that issuer uses."""
    for low, high, width, lengths in _CARD_IIN_W:
        if len(digits) in lengths and low <= int(digits[:width]) <= high:
            return True
    return False


def card_ok(digits: str) -> bool:
    """A plausible payment card number: 13-19 digits, known issuer prefix, valid Luhn."""
    return 13 <= len(digits) <= 19 and digits.isdigit() and known_card_prefix(digits) and luhn_ok(digits)


def iban_ok(compact: str) -> bool:
    """True for an IBAN without spaces whose length fits its country and whose mod-97 is 1."""
    compact = compact.upper()
    if len(compact) < 5 or not compact.isascii() or not compact.isalnum():
        return False
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    # int(ch, 36) maps 0-9 to themselves and A..Z to 10..35, as ISO 13616 requires.
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def ssn_parts_ok(area: str, group: str, serial: str) -> bool:
    """SSA rules: area not 000, 666 or 9xx; group not 00; serial not 0000."""
    return (
        area != "000" and area != "666" and not area.startswith("9")
        and group != "00" and serial != "0000"
    )


def aba_routing_ok(digits: str) -> bool:
    """US bank routing (ABA) number: nine digits, weights 3-7-1 sum to a multiple of 10.

    The first two digits must be a Federal Reserve routing symbol (00-12, 21-32, 61-72, 80);
    that rule rejects most nine-digit look-alikes the checksum alone would let through.
    """
    if len(digits) != 9 or not digits.isdigit() or digits == "000000000":  # a placeholder, never issued
        return False
    prefix = int(digits[:2])
    if not (prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return False
    d = [ord(c) - 48 for c in digits]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 == 0


def nhs_number_ok(digits: str) -> bool:
    """UK NHS number: ten digits, weights 10..2 on the first nine, check digit 11 - (sum mod 11).

    A remainder giving check 10 means the number was never issued; 11 becomes 0.
    """
    if len(digits) != 10 or not digits.isdigit():
        return False
    check = 11 - sum(int(d) * w for d, w in zip(digits, range(10, 1, -1))) % 11
    return check != 10 and check % 11 == int(digits[9])


def dea_number_ok(value: str) -> bool:
    """US DEA registration number: two characters + seven digits; (d1+d3+d5) + 2*(d2+d4+d6) ends in d7."""
    digits = value[2:]
    if len(value) != 9 or not digits.isdigit():
        return False
    d = [int(c) for c in digits]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value`` (0 for an empty string); random keys score high."""
    if not value:
        return 0.0
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58check_ok(value: str) -> bool:
    """Base58Check (Bitcoin legacy addresses): the last 4 bytes are the double-SHA-256 of the rest."""
    num = 0
    for ch in value:
        idx = _B58.find(ch)
        if idx < 0:
            return False
        num = num * 58 + idx
    raw = num.to_bytes((num.bit_length() + 7) // 8, "big")
    raw = b"\x00" * (len(value) - len(value.lstrip("1"))) + raw  # leading '1's are zero bytes
    if len(raw) < 5:
        return False
    payload, checksum = raw[:-4], raw[-4:]
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] == checksum


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def bech32_ok(value: str) -> bool:
    """Bech32 / Bech32m (BIP-173 / BIP-350, SegWit addresses such as ``bc1q...``) checksum."""
    if value.lower() != value and value.upper() != value:
        return False  # mixed case is invalid by the spec
    value = value.lower()
    pos = value.rfind("1")
    if pos < 1 or pos + 7 > len(value) or len(value) > 90:
        return False
    hrp, data = value[:pos], value[pos + 1:]
    if any(c not in _BECH32 for c in data):
        return False
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    return _bech32_polymod(expanded + [_BECH32.index(c) for c in data]) in (1, 0x2BC830A3)


def eth_checksum_ok(address: str) -> bool:
    """EIP-55 mixed-case checksum of an Ethereum address (``0x`` + 40 hex digits).

    Only a mixed-case address carries a checksum; all-lower or all-upper ones return False
    here (the recognizer scores those lower instead).
    """
    from classifiers.pii.keccak import keccak256

    body = address[2:]
    if len(body) != 40 or body.lower() == body or body.upper() == body:
        return False
    digest = keccak256(body.lower().encode()).hex()
    return all((ch.upper() if int(h, 16) >= 8 else ch.lower()) == ch
               for ch, h in zip(body, digest) if ch.isalpha())


_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def github_token_checksum_ok(token: str) -> bool:
    """GitHub's classic tokens (``ghp_`` + 36): the last 6 characters are the base62 CRC32 of the 30 before."""
    body = token.split("_", 1)[-1]
    if len(body) != 36:
        return False
    crc = zlib.crc32(body[:30].encode())
    encoded = ""
    while crc:
        crc, rem = divmod(crc, 62)
        encoded = _B62[rem] + encoded
    return encoded.rjust(6, "0") == body[30:]
