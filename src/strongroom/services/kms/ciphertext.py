"""The symmetric ciphertext blob: self-describing, so Decrypt needs no KeyId.

Layout (version 1; all integers big-endian)::

    offset  size  field
    0       1     format version, 0x01
    1       12    account id of the key (ASCII digits)
    13      1     length n of the key id
    14      n     key id (ASCII: a UUID or mrk-<32 hex>)
    14+n    32    key material id (which version of the key's material encrypted it)
    46+n    16    derivation salt (random)
    62+n    12    AES-GCM nonce (random)
    74+n    ...   AES-256-GCM ciphertext of the plaintext
    end-16  16    AES-GCM tag

The data key is ``HKDF-SHA256(material, salt, info=canonical_aad("strongroom kms data key v1"))``:
a fresh key per ciphertext, so no material version ever nears GCM's 2**32 random-nonce bound.
The AAD is ``canonical_aad("strongroom kms ciphertext v1", header, encryption_context_aad(ctx))``
where the header is every byte before the salt: moving a ciphertext to another key, account or
material version, editing any byte, or presenting a different encryption context makes the tag
check fail, and every failure reads the same (`InvalidCiphertext`).

The encryption context is encoded with length prefixes, its pairs sorted by key (UTF-8 bytes):
``canonical_aad(count, k1, v1, k2, v2, ...)``. Two different contexts never encode alike, unlike
a ``k=v`` join (``{"a": "b=c"}`` vs ``{"a=b": "c"}``).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass

from strongroom.core.crypto import AesGcmKey, SealError, canonical_aad, hkdf_sha256
from strongroom.core.crypto.randomness import random_bytes

FORMAT_VERSION = 1
MATERIAL_ID_SIZE = 32
SALT_SIZE = 16
NONCE_SIZE = 12
TAG_SIZE = 16
_ACCOUNT_SIZE = 12
_INFO = canonical_aad("strongroom kms data key v1")
_AAD_LABEL = "strongroom kms ciphertext v1"


class InvalidCiphertext(Exception):
    """The blob is not a ciphertext of ours, was altered, or its encryption context differs."""

    def __init__(self) -> None:
        super().__init__("invalid ciphertext")


@dataclass(frozen=True, slots=True)
class CiphertextHeader:
    """What a blob says about the key that can open it."""

    account_id: str
    key_id: str
    material_id: bytes

    def encode(self) -> bytes:
        account = self.account_id.encode("ascii")
        key_id = self.key_id.encode("ascii")
        if len(account) != _ACCOUNT_SIZE or not 0 < len(key_id) < 256:
            raise ValueError("malformed ciphertext header")
        if len(self.material_id) != MATERIAL_ID_SIZE:
            raise ValueError("a key material id is 32 bytes")
        return (
            struct.pack(">B", FORMAT_VERSION)
            + account
            + struct.pack(">B", len(key_id))
            + key_id
            + (self.material_id)
        )


@dataclass(frozen=True, slots=True)
class ParsedCiphertext:
    header: CiphertextHeader
    header_bytes: bytes
    salt: bytes
    sealed: bytes  # nonce || ciphertext || tag


def encryption_context_aad(context: Mapping[str, str] | None) -> bytes:
    """The canonical, length-prefixed encoding of an encryption context (empty for none)."""
    pairs = sorted((context or {}).items(), key=lambda item: item[0].encode("utf-8"))
    parts: list[str] = [str(len(pairs))]
    for key, value in pairs:
        parts += (key, value)
    return canonical_aad(*parts)


def encrypt(
    material: bytes, header: CiphertextHeader, plaintext: bytes, context: Mapping[str, str] | None
) -> bytes:
    """A ciphertext blob of `plaintext` under `material`, bound to `header` and `context`."""
    header_bytes = header.encode()
    salt = random_bytes(SALT_SIZE)
    key = AesGcmKey(hkdf_sha256(material, info=_INFO, salt=salt))
    aad = canonical_aad(_AAD_LABEL, header_bytes, encryption_context_aad(context))
    return header_bytes + salt + key.encrypt(plaintext, aad)


def parse(blob: bytes) -> ParsedCiphertext:
    """Read the header of a blob; anything that cannot be ours raises `InvalidCiphertext`."""
    minimum = 1 + _ACCOUNT_SIZE + 1 + MATERIAL_ID_SIZE + SALT_SIZE + NONCE_SIZE + TAG_SIZE
    if len(blob) < minimum + 1 or blob[0] != FORMAT_VERSION:
        raise InvalidCiphertext()
    account = blob[1 : 1 + _ACCOUNT_SIZE]
    length = blob[1 + _ACCOUNT_SIZE]
    start = 2 + _ACCOUNT_SIZE
    end = start + length
    if length == 0 or len(blob) < minimum + length or not account.isdigit():
        raise InvalidCiphertext()
    try:
        key_id = blob[start:end].decode("ascii")
    except UnicodeDecodeError:
        raise InvalidCiphertext() from None
    material_id = blob[end : end + MATERIAL_ID_SIZE]
    header_bytes = blob[: end + MATERIAL_ID_SIZE]
    salt = blob[end + MATERIAL_ID_SIZE : end + MATERIAL_ID_SIZE + SALT_SIZE]
    return ParsedCiphertext(
        CiphertextHeader(account.decode("ascii"), key_id, material_id),
        header_bytes,
        salt,
        blob[end + MATERIAL_ID_SIZE + SALT_SIZE :],
    )


def decrypt(material: bytes, parsed: ParsedCiphertext, context: Mapping[str, str] | None) -> bytes:
    """The plaintext of a parsed blob; a wrong material, context or any edit raises `InvalidCiphertext`."""
    key = AesGcmKey(hkdf_sha256(material, info=_INFO, salt=parsed.salt))
    aad = canonical_aad(_AAD_LABEL, parsed.header_bytes, encryption_context_aad(context))
    try:
        return key.decrypt(parsed.sealed, aad)
    except SealError:
        raise InvalidCiphertext() from None
