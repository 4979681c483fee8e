"""Recognizers for credentials that LLMs leak: cloud keys, platform tokens, JWTs, private keys.

Vendor tokens have fixed prefixes (``AKIA``, ``ghp_``, ``xoxb-``, ``sk_live_``), which makes them
precise; where the format carries a checksum (GitHub) a valid one scores higher. The generic
recognizer catches the rest by entropy and is kept below the default threshold unless an
assignment or a context word ("api key", "token", "secret") says what the string is.
"""
from __future__ import annotations

import base64
import json
import re

from classifiers.pii.checks import github_token_checksum_ok, shannon_entropy
from classifiers.pii.recognizers import TOKEN_END, TOKEN_START, MatchRecognizer, Recognizer
from schemas.event import PiiEntity

_B, _E = TOKEN_START, TOKEN_END


class AwsAccessKeyRecognizer(MatchRecognizer):
    """AWS access key ids: a four-letter type prefix (AKIA long-term, ASIA temporary, ...) + 16 base32."""

    name = "aws_access_key"
    entity_type = "AWS_ACCESS_KEY"
    _RE = re.compile(_B + r"(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA)[A-Z2-7]{16}" + _E)
    match_score = 0.95


class AwsSecretKeyRecognizer(Recognizer):
    """AWS secret access keys: 40 base64 characters; only next to a word that names them."""

    name = "aws_secret_key"
    entity_type = "AWS_SECRET_KEY"
    _RE = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
    _CONTEXT = re.compile(r"aws|secret[_\s\-]*(?:access[_\s\-]*)?key", re.IGNORECASE)

    def find(self, text: str) -> list[PiiEntity]:
        found = []
        for m in self._RE.finditer(text):
            value = m[0]
            if shannon_entropy(value) < 4.0 or value.isalpha() or value.isdigit():
                continue
            if self._CONTEXT.search(text, max(0, m.start() - 60), m.start()):
                found.append(self._entity(m.start(), m.end(), 0.9))
        return found


class GithubTokenRecognizer(Recognizer):
    """GitHub tokens: classic ``ghp_/gho_/ghu_/ghs_/ghr_`` (CRC32-checked) and fine-grained ``github_pat_``."""

    name = "github_token"
    entity_type = "GITHUB_TOKEN"
    _CLASSIC = re.compile(_B + r"gh[pousr]_[A-Za-z0-9]{36}" + _E)
    _FINE = re.compile(_B + r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}" + _E)

    def find(self, text: str) -> list[PiiEntity]:
        found = [self._entity(m.start(), m.end(), 1.0 if github_token_checksum_ok(m[0]) else 0.85)
                 for m in self._CLASSIC.finditer(text)]
        found += [self._entity(m.start(), m.end(), 0.95) for m in self._FINE.finditer(text)]
        return found


class SlackTokenRecognizer(Recognizer):
    """Slack tokens (``xoxb-``, ``xoxp-``, ``xapp-`` ...) and incoming-webhook URLs (which embed a secret)."""

    name = "slack_token"
    entity_type = "SLACK_TOKEN"
    _TOKEN = re.compile(_B + r"(?:xox[abposre]|xapp)-[0-9A-Za-z]+(?:-[0-9A-Za-z]+){1,5}" + _E)
    _WEBHOOK = re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/\-]{20,}")

    def find(self, text: str) -> list[PiiEntity]:
        found = [self._entity(m.start(), m.end(), 0.95) for m in self._TOKEN.finditer(text) if len(m[0]) >= 20]
        # Above the URL recognizer's score, so the whole webhook is masked as the secret it is.
        found += [self._entity(m.start(), m.end(), 0.99) for m in self._WEBHOOK.finditer(text)]
        return found


class StripeKeyRecognizer(MatchRecognizer):
    """Stripe API keys (secret ``sk_``, restricted ``rk_``, publishable ``pk_``) and webhook secrets."""

    name = "stripe_key"
    entity_type = "STRIPE_KEY"
    _RE = re.compile(_B + r"(?:(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{10,247}|whsec_[0-9A-Za-z]{24,})" + _E)
    match_score = 0.95


def _b64url_json(part: str) -> object:
    padded = part + "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode()))


class JwtRecognizer(Recognizer):
    """JSON Web Tokens: three base64url parts whose header decodes to JSON with an ``alg``."""

    name = "jwt"
    entity_type = "JWT"
    _RE = re.compile(_B + r"eyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*" + _E)

    def find(self, text: str) -> list[PiiEntity]:
        found = []
        for m in self._RE.finditer(text):
            try:
                header = _b64url_json(m[0].split(".", 1)[0])
            except (ValueError, UnicodeDecodeError):
                continue
            if isinstance(header, dict) and "alg" in header:
                found.append(self._entity(m.start(), m.end(), 0.95))
        return found


class PrivateKeyRecognizer(Recognizer):
    """PEM / OpenSSH / PGP private key blocks; a block cut off before its END line is masked to the end."""

    name = "private_key_block"
    entity_type = "PRIVATE_KEY"
    _RE = re.compile(
        r"-----BEGIN (?P<kind>(?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----"
        r"(?:[\s\S]*?-----END (?P=kind)-----|[A-Za-z0-9+/=:\s\-]*)"
    )

    def find(self, text: str) -> list[PiiEntity]:
        return [self._entity(m.start(), len(m[0].rstrip()) + m.start(), 1.0) for m in self._RE.finditer(text)]


class GenericApiKeyRecognizer(Recognizer):
    """High-entropy strings that look like keys: 20+ characters mixing letters and digits.

    Without a hint a random-looking string scores 0.45, below the default threshold (ids,
    hashes and base64 blobs look the same); after ``api_key=``, ``"token":``, ``Bearer`` or a
    nearby "secret"/"password" it scores 0.85. Hex-only strings (hashes, commit ids) and UUIDs
    need such a hint too.
    """

    name = "generic_api_key"
    entity_type = "API_KEY"
    _RE = re.compile(r"(?<![A-Za-z0-9_\-+/=.])[A-Za-z0-9_\-+/=.]{20,200}(?![A-Za-z0-9_\-+/=.])")
    _ASSIGNED = re.compile(
        r"(?:api[_\-\s]?key|apikey|access[_\-\s]?token|auth[_\-\s]?token|secret|token|passw(?:or)?d|"
        r"client[_\-\s]?secret|private[_\-\s]?key|bearer|authorization|x-api-key|credentials?)"
        r"[\"']?\s*(?:[:=]|=>|is|:\s*bearer)?\s*[\"']?\s*(?:bearer\s+)?$",
        re.IGNORECASE,
    )
    _UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")

    def find(self, text: str) -> list[PiiEntity]:
        found = []
        for m in self._RE.finditer(text):
            value = m[0].rstrip(".")
            if not self._key_like(value):
                continue
            hinted = bool(self._ASSIGNED.search(text, max(0, m.start() - 40), m.start()))
            plain_hex = all(c in "0123456789abcdefABCDEF-" for c in value)
            if (plain_hex or self._UUID.match(value)) and not hinted:
                continue
            found.append(self._entity(m.start(), m.start() + len(value), 0.85 if hinted else 0.45))
        return found

    @staticmethod
    def _key_like(value: str) -> bool:
        if len(value) < 20 or "://" in value or value.count(".") > 2:
            return False  # URLs and dotted names are left to their own recognizers
        letters = sum(c.isalpha() for c in value)
        digits = sum(c.isdigit() for c in value)
        return letters >= 4 and digits >= 2 and shannon_entropy(value) >= 3.5
