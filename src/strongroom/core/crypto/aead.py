"""Safe recipes for authenticated encryption, key derivation and AAD encoding.

Everything here chooses its own nonces and fails closed with `SealError`. What is
deliberately *not* offered is the dangerous part of AES-GCM: encryption under a nonce chosen
by the caller (a repeated nonce reveals the XOR of two plaintexts and the authentication
key). Code that needs a new primitive should add a recipe here, not reach for
``cryptography.hazmat`` from a service.

Ciphertext layout of `aes_gcm_encrypt`: ``nonce (12 bytes) || ciphertext || tag (16 bytes)``.
Nonces are random (96 bits), so one key should seal fewer than 2**32 values (NIST SP 800-38D
§8.3); derive a key per purpose with `hkdf_sha256` to keep every key far below that.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from strongroom.core.crypto.errors import SealError
from strongroom.core.crypto.randomness import random_bytes

__all__ = [
    "NONCE_SIZE",
    "TAG_SIZE",
    "AesGcmKey",
    "aes_gcm_decrypt",
    "aes_gcm_encrypt",
    "canonical_aad",
    "hkdf_sha256",
    "random_key",
]

NONCE_SIZE = 12
TAG_SIZE = 16
_AES_KEY_SIZES = (16, 24, 32)
_MAX_PART = 0xFFFFFFFF


def random_key(bits: int = 256) -> bytes:
    """Return `bits` of fresh randomness from the OS CSPRNG, for use as a key."""
    if bits < 128 or bits % 8:
        raise ValueError("a key must be at least 128 bits and a whole number of bytes")
    return os.urandom(bits // 8)


def canonical_aad(*parts: bytes | str) -> bytes:
    """Encode `parts` unambiguously: each as a 4-byte big-endian length, then its bytes.

    ``("ab", "c")``, ``("a", "bc")`` and ``("abc",)`` all encode differently, so contexts
    joined here cannot be made to collide. A `str` part is its UTF-8 encoding.
    """
    out: list[bytes] = []
    for part in parts:
        if isinstance(part, str):
            raw = part.encode("utf-8")
        elif isinstance(part, bytes | bytearray | memoryview):
            raw = part if type(part) is bytes else bytes(part)
        else:
            # bytes(5) would silently encode five zero bytes.
            raise TypeError(f"an AAD part must be bytes or str, not {type(part).__name__}")
        size = len(raw)
        if size > _MAX_PART:
            raise ValueError("an AAD part is longer than 2**32 - 1 bytes")
        out.append(size.to_bytes(4, "big"))
        out.append(raw)
    return b"".join(out)


# One instance for every derivation: building a hash descriptor per call cost a third of HKDF.
_SHA256 = hashes.SHA256()


def hkdf_sha256(key: bytes, *, info: bytes, salt: bytes | None = None, length: int = 32) -> bytes:
    """Derive `length` bytes from `key` with HKDF-SHA256 (RFC 5869)."""
    return HKDF(algorithm=_SHA256, length=length, salt=salt, info=info).derive(key)


class AesGcmKey:
    """An AES-GCM key that picks a random nonce for every encryption.

    Holding one of these (rather than calling `aes_gcm_encrypt` with raw bytes) skips the key
    schedule on every call. Its repr never shows the key.
    """

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) not in _AES_KEY_SIZES:
            raise ValueError("an AES key must be 128, 192 or 256 bits")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "<AesGcmKey>"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("keys are not picklable")

    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        """Return ``nonce || ciphertext || tag``."""
        nonce = random_bytes(NONCE_SIZE)
        return nonce + self._aead.encrypt(nonce, plaintext, aad)

    def decrypt(self, sealed: bytes, aad: bytes) -> bytes:
        """Open ``nonce || ciphertext || tag``; any mismatch raises `SealError`."""
        if len(sealed) < NONCE_SIZE + TAG_SIZE:
            raise SealError()
        view = memoryview(sealed)
        try:
            return self._aead.decrypt(view[:NONCE_SIZE], view[NONCE_SIZE:], aad)
        except InvalidTag:
            raise SealError() from None


def aes_gcm_encrypt(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt under a random 96-bit nonce; return ``nonce || ciphertext || tag``."""
    return AesGcmKey(key).encrypt(plaintext, aad)


def aes_gcm_decrypt(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Open the output of `aes_gcm_encrypt`; tampering or a different AAD raises `SealError`."""
    return AesGcmKey(key).decrypt(sealed, aad)
