"""Sealing a short secret with SECRET_KEY, so a database dump alone doesn't reveal it.

Used for authenticator (TOTP) secrets: the server must read them back to check a code, so they
can't be hashed like passwords. The project has no encryption library, so this uses the standard
library only, in a textbook construction: HMAC-SHA256 as a pseudo-random function in counter mode
gives the keystream (as in NIST SP 800-108), XORed with the secret; then HMAC-SHA256 over the
version, nonce and ciphertext (encrypt-then-MAC). Both keys are derived from SECRET_KEY for this
purpose only, and each seal has a fresh random 128-bit nonce, so no keystream is ever reused.

Changing SECRET_KEY makes every sealed secret unreadable (`unseal` raises SealBroken): people
then sign in with a recovery code, or an admin resets their two-step sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

VERSION = b"v1"
NONCE_BYTES = 16
TAG_BYTES = 32
_BLOCK = hashlib.sha256().digest_size


class SealBroken(ValueError):
    """The sealed text was altered, is not ours, or was sealed under another SECRET_KEY."""


def _derived_key(secret_key: str | bytes, purpose: bytes) -> bytes:
    if isinstance(secret_key, str):
        secret_key = secret_key.encode()
    if not secret_key:
        raise ValueError("SECRET_KEY is empty; nothing can be sealed with it")
    return hmac.digest(secret_key, b"clinic secret sealing: " + purpose, "sha256")


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + _BLOCK - 1) // _BLOCK
    stream = b"".join(
        hmac.digest(key, nonce + counter.to_bytes(4, "big"), "sha256") for counter in range(blocks)
    )
    return stream[:length]


def _xor(data: bytes, stream: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))


def seal(plaintext: str, secret_key: str | bytes) -> str:
    """`plaintext` encrypted and authenticated under `secret_key`, as ASCII for a text column."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    data = plaintext.encode()
    ciphertext = _xor(data, _keystream(_derived_key(secret_key, b"encrypt"), nonce, len(data)))
    tag = hmac.digest(
        _derived_key(secret_key, b"authenticate"), VERSION + nonce + ciphertext, "sha256"
    )
    return VERSION.decode() + "." + base64.urlsafe_b64encode(nonce + ciphertext + tag).decode()


def unseal(sealed: str, secret_key: str | bytes) -> str:
    """The plaintext `seal` was given.

    :raise SealBroken: when the text was changed or sealed under another key.
    """
    version, _, payload = (sealed or "").partition(".")
    try:
        raw = base64.urlsafe_b64decode(payload.encode())
    except ValueError as error:
        raise SealBroken("not a sealed secret") from error
    if version.encode() != VERSION or len(raw) < NONCE_BYTES + TAG_BYTES:
        raise SealBroken("not a sealed secret")
    nonce, ciphertext, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    expected = hmac.digest(
        _derived_key(secret_key, b"authenticate"), VERSION + nonce + ciphertext, "sha256"
    )
    if not hmac.compare_digest(tag, expected):
        raise SealBroken("the seal does not match this SECRET_KEY")
    stream = _keystream(_derived_key(secret_key, b"encrypt"), nonce, len(ciphertext))
    return _xor(ciphertext, stream).decode()
