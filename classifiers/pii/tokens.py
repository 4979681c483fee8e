"""Masked-value tokens that keep something: stable pseudonyms (salted hash) and AES-GCM ciphertext.

Both come from secrets that are never in the repository or the config file: an environment
variable or a file (``classifiers.pii.hash_salt`` / ``encryption_key``). Keys are derived from
the secret with HKDF-SHA256, so any secret of 16+ characters works.

An encrypted value is self-describing, so ``guardstream decrypt`` needs only the key::

    <EMAIL:enc:v1:3f9a0c21:Base64urlOfNonceAndCiphertext>

``v1`` is the format (AES-256-GCM, 12-byte nonce, entity type as associated data), ``3f9a0c21``
identifies the key (an HMAC of a constant, not the key), which lets decrypt say "wrong key"
instead of failing obscurely.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from pathlib import Path
from typing import Any

MIN_SECRET_CHARS = 16

#: An encrypted token anywhere in a text: type, key id, payload.
TOKEN_RE = re.compile(r"<(?P<type>[A-Z][A-Z0-9_]*):enc:v1:(?P<kid>[0-9a-f]{8}):(?P<data>[A-Za-z0-9_\-]+)>")


class SecretError(ValueError):
    """A secret that cannot be read or is unusable; the message says which and how to fix it."""


class DecryptError(ValueError):
    """A token that cannot be decrypted with the given key (wrong key, or altered)."""


#: Where the secrets are read when the config names no source.
DEFAULT_ENV = {"hash_salt": "GUARDSTREAM_PII_HASH_SALT", "encryption_key": "GUARDSTREAM_PII_ENCRYPTION_KEY"}


def read_secret(ref: Any, *, what: str, environ: dict[str, str] | None = None) -> bytes:
    """The secret named by ``ref`` (``.env`` variable or ``.file`` path), checked for length.

    ``ref`` None means the default variable for ``what`` (``classifiers.pii.hash_salt`` or
    ``classifiers.pii.encryption_key``; see :data:`DEFAULT_ENV`).
    """
    environ = dict(os.environ) if environ is None else environ
    if ref is None:
        from types import SimpleNamespace

        ref = SimpleNamespace(env=DEFAULT_ENV.get(what.rsplit(".", 1)[-1], DEFAULT_ENV["encryption_key"]), file=None)
    if getattr(ref, "env", None):
        value = environ.get(ref.env)
        if value is None:
            raise SecretError(f"{what}: environment variable {ref.env} is not set; set it to a random secret "
                              f"of {MIN_SECRET_CHARS}+ characters (e.g. `openssl rand -base64 32`)")
        where = f"${ref.env}"
    else:
        path = Path(ref.file)
        try:
            value = path.read_text().strip()
        except OSError as exc:
            raise SecretError(f"{what}: cannot read {path}: {exc.strerror}") from None
        where = str(path)
    if len(value) < MIN_SECRET_CHARS:
        raise SecretError(f"{what}: the secret in {where} is shorter than {MIN_SECRET_CHARS} characters")
    return value.encode()


def _hkdf(secret: bytes, purpose: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"guardstream-pii", info=purpose).derive(secret)


class Pseudonymizer:
    """Salted hash: the same value of the same type always gives the same short pseudonym."""

    def __init__(self, secret: bytes) -> None:
        self._key = _hkdf(secret, b"hash-v1")

    def token(self, entity_type: str, value: str) -> str:
        """``<EMAIL:h:0123456789abcdef>``: 64 bits of HMAC-SHA256 over type and value."""
        digest = hmac.new(self._key, f"{entity_type}\x00{value}".encode(), hashlib.sha256).hexdigest()
        return f"<{entity_type}:h:{digest[:16]}>"


class TokenCipher:
    """AES-256-GCM encryption of single values into self-describing tokens, and back."""

    def __init__(self, secret: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key = _hkdf(secret, b"encrypt-v1")
        self._aead = AESGCM(key)
        self.key_id = hmac.new(key, b"guardstream key id", hashlib.sha256).hexdigest()[:8]

    def token(self, entity_type: str, value: str) -> str:
        """The encrypted token for one value; a fresh random nonce each time."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, value.encode(), entity_type.encode())
        data = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"<{entity_type}:enc:v1:{self.key_id}:{data}>"

    def decrypt(self, token: str) -> str:
        """The clear value of one token; :class:`DecryptError` says what is wrong."""
        from cryptography.exceptions import InvalidTag

        m = TOKEN_RE.fullmatch(token.strip())
        if m is None:
            raise DecryptError("not an encrypted GuardStream token (expected <TYPE:enc:v1:KEYID:DATA>)")
        if m["kid"] != self.key_id:
            raise DecryptError(f"token was encrypted with key id {m['kid']}, but the key given has id "
                               f"{self.key_id}: wrong key (or the key was rotated)")
        raw = base64.urlsafe_b64decode(m["data"] + "=" * (-len(m["data"]) % 4))
        try:
            return self._aead.decrypt(raw[:12], raw[12:], m["type"].encode()).decode()
        except (InvalidTag, ValueError):
            raise DecryptError("token does not authenticate with this key: it was altered or truncated") from None

    def decrypt_text(self, text: str) -> tuple[str, int]:
        """``text`` with every token replaced by its clear value, and how many were replaced."""
        count = 0

        def clear(m: re.Match[str]) -> str:
            nonlocal count
            count += 1
            return self.decrypt(m[0])

        return TOKEN_RE.sub(clear, text), count
