"""Masking operators (partial, hash, encrypt), secrets, and `guardstream decrypt`."""
from __future__ import annotations

import io
import json

import pytest

from classifiers.pii import MaskPolicy, PiiDetector, mask_json, mask_text
from classifiers.pii.decrypt import decrypt_stream
from classifiers.pii.tokens import TOKEN_RE, DecryptError, Pseudonymizer, SecretError, TokenCipher, read_secret
from pipeline.cli import main
from schemas.config import PiiConfig

KEY = "test-key-0123456789abcdef-not-a-real-secret"
OTHER_KEY = "another-key-0123456789abcdef-also-fake"
SALT = "test-salt-0123456789abcdef"
TEXT = "Mail ann.lee@example.com or call +44 20 7946 0958, card 4111 1111 1111 1111."
DETECTOR = PiiDetector().load()
FOUND = DETECTOR.detect([TEXT])[0]


def test_partial_keeps_last_four_of_long_values_only():
    masked = mask_text(TEXT, FOUND, "partial")
    assert "************1111" in masked  # card: 19 characters, last 4 kept
    assert "ann.lee@example.com" not in masked and "***********.com" in masked
    policy = MaskPolicy("partial")
    assert policy.render("AGE", "42") == "**"  # too short to keep anything


def test_hash_is_a_stable_pseudonym_per_salt():
    policy = MaskPolicy("hash", pseudonymizer=Pseudonymizer(SALT.encode()))
    once, twice = mask_text(TEXT, FOUND, policy), mask_text(TEXT, FOUND, policy)
    assert once == twice and "ann.lee@example.com" not in once
    assert "<EMAIL:h:" in once and "<CREDIT_CARD:h:" in once
    other = MaskPolicy("hash", pseudonymizer=Pseudonymizer(b"another-salt-0123456789"))
    assert mask_text(TEXT, FOUND, other) != once


def test_encrypt_round_trip_and_fresh_nonces():
    cipher = TokenCipher(KEY.encode())
    policy = MaskPolicy("encrypt", cipher=cipher)
    masked = mask_text(TEXT, FOUND, policy)
    assert "ann.lee@example.com" not in masked and "4111" not in masked
    assert mask_text(TEXT, FOUND, policy) != masked  # random nonce per value
    clear, count = cipher.decrypt_text(masked)
    assert clear == TEXT and count == 3
    token = TOKEN_RE.search(masked)[0]
    assert token.startswith("<EMAIL:enc:v1:" + cipher.key_id)


def test_wrong_key_and_tampering_say_so():
    token = TokenCipher(KEY.encode()).token("EMAIL", "ann@example.com")
    with pytest.raises(DecryptError, match="wrong key"):
        TokenCipher(OTHER_KEY.encode()).decrypt(token)
    cipher = TokenCipher(KEY.encode())
    tampered = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    with pytest.raises(DecryptError, match="altered"):
        cipher.decrypt(tampered)
    # The type is bound to the ciphertext: relabelling a token breaks it.
    with pytest.raises(DecryptError):
        cipher.decrypt(token.replace("<EMAIL:", "<PHONE:"))


def test_per_entity_operators_and_missing_secrets():
    policy = MaskPolicy("replace", {"EMAIL": "redact", "CREDIT_CARD": "partial"})
    assert mask_text(TEXT, FOUND, policy) == "Mail  or call <PHONE>, card ***************1111."
    with pytest.raises(ValueError, match="needs a key"):
        MaskPolicy("replace", {"EMAIL": "encrypt"})
    cfg = PiiConfig(operator="encrypt", encryption_key={"env": "GS_TEST_KEY"})
    with pytest.raises(SecretError, match="GS_TEST_KEY is not set"):
        MaskPolicy.from_config(cfg, environ={})
    with pytest.raises(SecretError, match="shorter than 16"):
        MaskPolicy.from_config(cfg, environ={"GS_TEST_KEY": "short"})
    assert MaskPolicy.from_config(cfg, environ={"GS_TEST_KEY": KEY}).cipher.key_id == TokenCipher(KEY.encode()).key_id


def test_secret_from_file(tmp_path):
    path = tmp_path / "key"
    path.write_text(KEY + "\n")
    assert read_secret(PiiConfig(encryption_key={"file": str(path)}).encryption_key, what="k") == KEY.encode()
    with pytest.raises(SecretError, match="cannot read"):
        read_secret(PiiConfig(encryption_key={"file": str(tmp_path / "nope")}).encryption_key, what="k")
    with pytest.raises(ValueError, match="exactly one"):
        PiiConfig(encryption_key={"env": "A", "file": "/x"})


def test_mask_json_with_encrypt_and_decrypt_json_stream():
    cipher = TokenCipher(KEY.encode())
    args = {"customer": {"email": "ann.lee@example.com"}, "card": 4111111111111111}
    masked = mask_json(args, DETECTOR.detect_json(args), MaskPolicy("encrypt", cipher=cipher))
    assert "ann.lee" not in json.dumps(masked)
    verdict = {"text": "see tool", "tool": {"arguments": masked}}
    out = io.StringIO()
    assert decrypt_stream(json.dumps(verdict), cipher, out) == 2
    assert json.loads(out.getvalue())["tool"]["arguments"] == {"customer": {"email": "ann.lee@example.com"},
                                                               "card": "4111111111111111"}


def test_cli_decrypt(monkeypatch, capsys, tmp_path):
    token = TokenCipher(KEY.encode()).token("EMAIL", "ann@example.com")
    monkeypatch.setenv("GUARDSTREAM_PII_ENCRYPTION_KEY", KEY)
    assert main(["decrypt", f"mail {token} now"]) == 0
    assert capsys.readouterr().out == "mail ann@example.com now\n"

    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"message": token}) + "\n"))
    assert main(["decrypt"]) == 0
    assert json.loads(capsys.readouterr().out) == {"message": "ann@example.com"}

    keyfile = tmp_path / "other.key"
    keyfile.write_text(OTHER_KEY)
    assert main(["decrypt", "--key-file", str(keyfile), token]) == 2
    assert "wrong key" in capsys.readouterr().err

    monkeypatch.delenv("GUARDSTREAM_PII_ENCRYPTION_KEY")
    assert main(["decrypt", token]) == 2
    assert "GUARDSTREAM_PII_ENCRYPTION_KEY is not set" in capsys.readouterr().err

    monkeypatch.setenv("MY_KEY", KEY)
    assert main(["decrypt", "--key-env", "MY_KEY", "no tokens here"]) == 1
    assert "no encrypted token" in capsys.readouterr().err
