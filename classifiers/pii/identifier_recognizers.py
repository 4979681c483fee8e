"""Recognizers for account numbers, document numbers, network and wallet addresses.

Those with a checksum (ABA routing, wallets) are validated; the rest (passport, driver's
licence, medical record and bank account numbers) are plain digit runs that only context can
tell apart from order numbers, so they score below the default threshold on their own and
:mod:`.context` lifts them when a word such as "passport" stands next to them.
"""
from __future__ import annotations

import ipaddress
import re

from classifiers.pii.checks import aba_routing_ok, base58check_ok, bech32_ok, eth_checksum_ok
from classifiers.pii.recognizers import TOKEN_END, TOKEN_START, MatchRecognizer, Recognizer
from schemas.event import PiiEntity

_B, _E = TOKEN_START, TOKEN_END


class UsBankRoutingRecognizer(Recognizer):
    """US bank routing (ABA) numbers: nine digits passing the 3-7-1 checksum and Fed prefix rule.

    Written bare (``121000358``) or in the check-writer's 4-4-1 grouping (``3222-7162-7``). The
    checksum and prefix pass about 4 % of random nine-digit numbers, so a bare one scores just at
    the default threshold: a routing word lifts it, "order" or "invoice" drops it. The dashed
    grouping is not used by other numbers and scores higher.
    """

    name = "us_bank_routing_aba"
    entity_type = "US_BANK_ROUTING"
    _RE = re.compile(r"(?<![\w\-])(?:[0-9]{9}|(?P<dashed>[0-9]{4}-[0-9]{4}-[0-9]))(?![\w\-])")

    def find(self, text: str) -> list[PiiEntity]:
        return [self._entity(m.start(), m.end(), 0.8 if m["dashed"] else 0.5) for m in self._RE.finditer(text)
                if aba_routing_ok(m[0].replace("-", ""))]


class UsPassportRecognizer(MatchRecognizer):
    """US passport numbers: nine digits, or a letter and eight digits (next-generation books)."""

    name = "us_passport_pattern"
    entity_type = "US_PASSPORT"
    _RE = re.compile(_B + r"(?:[A-Z][0-9]{8}|[0-9]{9})" + _E)
    match_score = 0.3


class UsDriverLicenseRecognizer(MatchRecognizer):
    """US driver's licence numbers: the state formats (1-2 letters + 4-14 digits, 7-13 digits, dashed)."""

    name = "us_driver_license_pattern"
    entity_type = "US_DRIVER_LICENSE"
    _RE = re.compile(_B + r"(?:[A-Z]{1,2}[0-9]{4,14}|[0-9]{7,13}|[0-9]{3,4}-[0-9]{2,3}-[0-9]{3,4}|"
                     r"[A-Z][0-9]{3}-[0-9]{3,4}-[0-9]{2,4}(?:-[0-9]{1,3})?)" + _E)
    match_score = 0.25


class MedicalRecordRecognizer(Recognizer):
    """Medical record numbers: an id of 5-12 digits (optional letter prefix) after "MRN" or similar."""

    name = "medical_record_number"
    entity_type = "MEDICAL_RECORD_NUMBER"
    _RE = re.compile(
        r"(?:\bMRN|medical\s+record(?:\s+(?:number|no\.?|#))?|patient\s+(?:id|no\.?|number|#)|chart\s+(?:number|no\.?|#))"
        r"\s*(?:is|:|#|=)?\s*(?P<id>[A-Z]{0,3}-?[0-9]{5,12})" + _E, re.IGNORECASE)

    def find(self, text: str) -> list[PiiEntity]:
        return [self._entity(m.start("id"), m.end("id"), 0.5) for m in self._RE.finditer(text)]


class BankAccountRecognizer(MatchRecognizer):
    """Bank account numbers: 8-17 digits; only with context ("account number", "acct") are they reported."""

    name = "bank_account_pattern"
    entity_type = "BANK_ACCOUNT"
    _RE = re.compile(r"(?<![\w\-])[0-9]{8,17}(?![\w\-])")
    match_score = 0.2


class MacAddressRecognizer(Recognizer):
    """MAC addresses: six hex pairs with one separator (``:`` or ``-``), or Cisco's ``xxxx.xxxx.xxxx``.

    All-letter ones (``AA:BB:CC:DD:EE:FF``) count too; the broadcast address (all ``FF``) and the
    all-zero placeholder name no device and are left alone.
    """

    name = "mac_address"
    entity_type = "MAC_ADDRESS"
    _RE = re.compile(r"(?<![\w:\-.])(?:[0-9A-Fa-f]{2}([:\-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}|"
                     r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![\w:\-]|\.\w)")

    def find(self, text: str) -> list[PiiEntity]:
        return [self._entity(m.start(), m.end(), 0.9) for m in self._RE.finditer(text)
                if re.sub(r"[:\-.]", "", m[0]).upper() not in self._NO_DEVICE]

    _NO_DEVICE = frozenset({"0" * 12, "F" * 12})


# Common top-level domains for bare host names ("example.com"); a file name such as
# "report.pdf" or "main.py" has no such ending and is not taken for a web address.
_TLDS = ("com", "org", "net", "edu", "gov", "mil", "int", "io", "co", "ai", "app", "dev", "info", "biz", "me",
         "us", "uk", "de", "fr", "es", "it", "nl", "be", "ch", "at", "se", "no", "dk", "fi", "pl", "cz", "pt",
         "ie", "ru", "ua", "jp", "cn", "in", "au", "nz", "ca", "br", "mx", "ar", "uy", "cl", "za", "kr", "tw",
         "hk", "sg", "eu", "tv", "ly", "gr", "hu", "ro", "il", "tr", "is", "ee", "lt", "lv", "sk", "si", "hr")


class UrlRecognizer(Recognizer):
    """Web addresses: ``scheme://`` or ``www.`` URLs, and bare host names ending in a common TLD.

    The host of a ``scheme://`` or ``www.`` URL must be a domain with a top-level domain (any
    letters, or punycode) or an IP address: ``http://microsoft`` or ``www.microsoft`` name no
    place on the web and are not reported.
    """

    name = "url_pattern"
    entity_type = "URL"
    _FULL = re.compile(r"(?<![\w@])(?:(?:https?|ftp)://|www\.)[^\s<>\"'`]+", re.IGNORECASE)
    _BARE = re.compile(r"(?<![\w@.\-/])(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+(?:"
                       + "|".join(_TLDS) + r")(?:/[^\s<>\"'`]*)?(?![\w@\-])", re.IGNORECASE)

    def find(self, text: str) -> list[PiiEntity]:
        found = []
        for m in self._FULL.finditer(text):
            end = m.start() + len(m[0].rstrip(".,;:!?)]}'\""))
            if self._web_host(text[m.start():end]):
                found.append(self._entity(m.start(), end, 0.85))
        for m in self._BARE.finditer(text):
            end = m.start() + len(m[0].rstrip(".,;:!?)]}'\""))
            # "e.g." / "U.S." are dotted but single letters; ask for a host label of 2+ characters.
            if len(m[0].split(".")[0]) >= 2:
                found.append(self._entity(m.start(), end, 0.6))
        return found

    _SCHEME = re.compile(r"(?:https?|ftp)://", re.IGNORECASE)
    _TLD = re.compile(r"[A-Za-z]{2,63}|xn--[A-Za-z0-9\-]{1,59}")

    @classmethod
    def _web_host(cls, url: str) -> bool:
        """Whether the URL's host is an IP address or a domain with a TLD (``www.`` plus two labels)."""
        netloc = re.split(r"[/?#]", cls._SCHEME.sub("", url, count=1), maxsplit=1)[0].rsplit("@", 1)[-1]
        if netloc.startswith("["):
            return netloc.find("]") > 1  # an IPv6 literal
        host = re.sub(r":[0-9]*\Z", "", netloc).rstrip(".")
        try:
            ipaddress.IPv4Address(host)
            return True
        except ValueError:
            pass
        labels = host.split(".")
        return (len(labels) >= (3 if labels[0].lower() == "www" else 2) and all(labels)
                and cls._TLD.fullmatch(labels[-1]) is not None)


class CryptoWalletRecognizer(Recognizer):
    """Bitcoin (Base58Check, Bech32) and Ethereum (EIP-55) addresses, checksums verified.

    An all-lowercase Ethereum address has no checksum to verify, so it scores lower.
    """

    name = "crypto_wallet"
    entity_type = "CRYPTO_WALLET"
    _BTC58 = re.compile(_B + r"[13][a-km-zA-HJ-NP-Z1-9]{25,34}" + _E)
    _BECH = re.compile(_B + r"(?:bc|tb|ltc)1[ac-hj-np-z02-9]{11,87}" + _E, re.IGNORECASE)
    _ETH = re.compile(r"(?<![\w])0x[0-9a-fA-F]{40}(?![\w])")

    def find(self, text: str) -> list[PiiEntity]:
        found = [self._entity(m.start(), m.end(), 1.0) for m in self._BTC58.finditer(text) if base58check_ok(m[0])]
        found += [self._entity(m.start(), m.end(), 1.0) for m in self._BECH.finditer(text) if bech32_ok(m[0])]
        for m in self._ETH.finditer(text):
            body = m[0][2:]
            if body.lower() == body or body.upper() == body:
                found.append(self._entity(m.start(), m.end(), 0.6))
            elif eth_checksum_ok(m[0]):
                found.append(self._entity(m.start(), m.end(), 1.0))
        return found


class UsTaxIdRecognizer(Recognizer):
    """US taxpayer ids: ITINs (9xx-[50-65|70-88|90-92|94-99]-xxxx) and EINs (xx-xxxxxxx, with context)."""

    name = "us_tax_id"
    entity_type = "TAX_ID"
    _ITIN = re.compile(r"(?<![\w\-])9[0-9]{2}-(5[0-9]|6[0-5]|7[0-9]|8[0-8]|9[0-2]|9[4-9])-[0-9]{4}(?![\w\-])")
    _EIN = re.compile(r"(?<![\w\-])[0-9]{2}-[0-9]{7}(?![\w\-])")

    def find(self, text: str) -> list[PiiEntity]:
        found = [self._entity(m.start(), m.end(), 0.8) for m in self._ITIN.finditer(text)]
        return found + [self._entity(m.start(), m.end(), 0.3) for m in self._EIN.finditer(text)]


class UkNationalInsuranceRecognizer(Recognizer):
    """UK National Insurance numbers (AB 12 34 56 C, or in lower case) with HMRC's prefix rules.

    The letters must share one case: "Ab123456c" is an identifier of something else. Lower case
    is how people type them, not how HMRC prints them, so it scores a little lower.
    """

    name = "uk_nino"
    entity_type = "NATIONAL_ID"
    _RE = re.compile(r"(?<![\w])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
                     r" ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D](?![\w])", re.IGNORECASE)

    def find(self, text: str) -> list[PiiEntity]:
        found = []
        for m in self._RE.finditer(text):
            letters = "".join(c for c in m[0] if c.isalpha())
            if letters.isupper():
                found.append(self._entity(m.start(), m.end(), 0.6))
            elif letters.islower():
                found.append(self._entity(m.start(), m.end(), 0.5))
        return found


class ZipCodeRecognizer(MatchRecognizer):
    """US ZIP codes (12345 or 12345-6789); reported only next to "zip" or "postal code"."""

    name = "us_zip_code"
    entity_type = "ZIP_CODE"
    _RE = re.compile(r"(?<![\w\-])[0-9]{5}(?:-[0-9]{4})?(?![\w\-])")
    match_score = 0.3
