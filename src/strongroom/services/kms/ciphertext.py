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

`MaterialCipher` is the hot path's form of one material version (KMS keeps one per version in its
read cache): it computes the header and the AAD's prefix once and remembers the data keys of
blobs it opened, so decrypting the same blob again (a parameter, a secret, an envelope's data key)
costs no HKDF. Every Encrypt still draws a fresh salt, hence a fresh data key.
"""

from __future__ import annotations

import contextlib
import hmac
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


_EMPTY_CONTEXT_AAD = canonical_aad("0")


def encryption_context_aad(context: Mapping[str, str] | None) -> bytes:
    """The canonical, length-prefixed encoding of an encryption context (empty for none)."""
    if not context:
        return _EMPTY_CONTEXT_AAD
    pairs = sorted(context.items(), key=_utf8_key)
    parts: list[str] = [str(len(pairs))]
    for key, value in pairs:
        parts += (key, value)
    return canonical_aad(*parts)


def _utf8_key(item: tuple[str, str]) -> bytes:
    return item[0].encode("utf-8")


_EMPTY_CONTEXT_PART = canonical_aad(_EMPTY_CONTEXT_AAD)


# Encodings of recent contexts (not secret: AWS logs them), by their items in the caller's order.
_context_parts: dict[tuple[tuple[str, str], ...], bytes] = {}
_MAX_CONTEXTS = 4096


def _context_part(context: Mapping[str, str] | None) -> bytes:
    """The AAD's last part: the context's encoding, length-prefixed."""
    if not context:
        return _EMPTY_CONTEXT_PART
    items = tuple(context.items())
    part = _context_parts.get(items)
    if part is None:
        part = canonical_aad(encryption_context_aad(context))
        if len(_context_parts) >= _MAX_CONTEXTS:
            _context_parts.clear()
        _context_parts[items] = part
    return part


class MaterialCipher:
    """One material version of one key, ready to seal and open blobs.

    What every blob under it shares is computed once (the header and the AAD's prefix), and the
    data keys of blobs it opened are kept (at most `MAX_OPENED_KEYS`, oldest first out), so a
    blob decrypted again — a SecureString parameter, a secret, an envelope's data key — skips
    HKDF and the AES key schedule. Only blobs that opened add a key: a stream of forged blobs
    cannot fill it. It lives in memory only (in KMS's read cache, beside the opened material) and
    never shows its keys in a repr.
    """

    __slots__ = ("_aad_prefix", "_material", "_opened", "header", "header_bytes")

    MAX_OPENED_KEYS = 1024

    def __init__(self, material: bytes, header: CiphertextHeader) -> None:
        self._material = material
        self.header = header
        self.header_bytes = header.encode()
        # canonical_aad(label, header, context) is the concatenation of each part's encoding.
        self._aad_prefix = canonical_aad(_AAD_LABEL, self.header_bytes)
        self._opened: dict[bytes, AesGcmKey] = {}

    def __repr__(self) -> str:
        return f"<MaterialCipher {self.header.key_id} {self.header.material_id.hex()}>"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("keys are not picklable")

    def remembered_salts(self) -> frozenset[bytes]:
        """The salts whose data keys are kept (what a test can see of the cache, never a key)."""
        return frozenset(self._opened)

    def uses(self, material: bytes) -> bool:
        """Whether this cipher seals under `material`."""
        return self._material is material or hmac.compare_digest(self._material, material)

    def encrypt(self, plaintext: bytes, context: Mapping[str, str] | None) -> bytes:
        """A fresh blob of `plaintext`: a new salt, so a new data key, every time."""
        salt = random_bytes(SALT_SIZE)
        key = AesGcmKey(hkdf_sha256(self._material, info=_INFO, salt=salt))
        aad = self._aad_prefix + _context_part(context)
        return self.header_bytes + salt + key.encrypt(plaintext, aad)

    def decrypt(self, parsed: ParsedCiphertext, context: Mapping[str, str] | None) -> bytes:
        """The plaintext of a blob of this material; any mismatch raises `InvalidCiphertext`."""
        if parsed.header_bytes == self.header_bytes:
            prefix = self._aad_prefix
        else:
            prefix = canonical_aad(_AAD_LABEL, parsed.header_bytes)
        aad = prefix + _context_part(context)
        salt = parsed.salt
        key = self._opened.get(salt)
        cached = key is not None
        if key is None:
            key = AesGcmKey(hkdf_sha256(self._material, info=_INFO, salt=salt))
        try:
            plaintext = key.decrypt(parsed.sealed, aad)
        except SealError:
            raise InvalidCiphertext() from None
        if not cached:
            opened = self._opened
            if len(opened) >= self.MAX_OPENED_KEYS:
                # Another thread may be evicting too: then one key fewer goes, never an error.
                with contextlib.suppress(KeyError, RuntimeError, StopIteration):
                    del opened[next(iter(opened))]
            opened[salt] = key
        return plaintext


def encrypt(
    material: bytes, header: CiphertextHeader, plaintext: bytes, context: Mapping[str, str] | None
) -> bytes:
    """A ciphertext blob of `plaintext` under `material`, bound to `header` and `context`."""
    return MaterialCipher(material, header).encrypt(plaintext, context)


_MINIMUM = 1 + _ACCOUNT_SIZE + 1 + MATERIAL_ID_SIZE + SALT_SIZE + NONCE_SIZE + TAG_SIZE
# The last blob parsed: the quota check and the handler of one Decrypt read the same blob object.
_last_parsed: tuple[bytes, ParsedCiphertext] | None = None


def parse(blob: bytes) -> ParsedCiphertext:
    """Read the header of a blob; anything that cannot be ours raises `InvalidCiphertext`."""
    global _last_parsed
    last = _last_parsed
    if last is not None and last[0] is blob:
        return last[1]
    if len(blob) < _MINIMUM + 1 or blob[0] != FORMAT_VERSION:
        raise InvalidCiphertext()
    account = blob[1 : 1 + _ACCOUNT_SIZE]
    length = blob[1 + _ACCOUNT_SIZE]
    start = 2 + _ACCOUNT_SIZE
    end = start + length
    if length == 0 or len(blob) < _MINIMUM + length or not account.isdigit():
        raise InvalidCiphertext()
    try:
        key_id = blob[start:end].decode("ascii")
    except UnicodeDecodeError:
        raise InvalidCiphertext() from None
    header_end = end + MATERIAL_ID_SIZE
    salt_end = header_end + SALT_SIZE
    parsed = ParsedCiphertext(
        CiphertextHeader(account.decode("ascii"), key_id, blob[end:header_end]),
        blob[:header_end],
        blob[header_end:salt_end],
        blob[salt_end:],
    )
    if type(blob) is bytes:  # immutable: the same object always parses alike
        _last_parsed = (blob, parsed)
    return parsed


def decrypt(material: bytes, parsed: ParsedCiphertext, context: Mapping[str, str] | None) -> bytes:
    """The plaintext of a parsed blob; a wrong material, context or any edit raises `InvalidCiphertext`."""
    return MaterialCipher(material, parsed.header).decrypt(parsed, context)
