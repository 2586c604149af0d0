"""Sealing under the root of trust: format, binding to purpose and record, tampering."""

from __future__ import annotations

import pathlib
import pickle
import struct

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from strongroom.core.crypto import (
    RootKeyUnavailable,
    RootOfTrust,
    SealError,
    UnsealedRoot,
    open_root_of_trust,
)

ROOT_KEY = bytes(range(32))
PURPOSE = "test/purpose"
RECORD = "arn:aws:ssm:eu-west-1:111122223333:parameter/db"
# Sealed once and frozen here: every release must keep opening values sealed by earlier ones.
GOLDEN_KEY_ID = "24292eed79fc7e93"
GOLDEN_BLOB = (
    "0124292eed79fc7e93000102030405060708090a0bd4fe841e2cc3d841b76eb71cd1ea0a1d04db28a64d8d01f66fe900af48"
)


def _length_prefixed(*parts: str | bytes) -> bytes:
    encoded = [part.encode() if isinstance(part, str) else part for part in parts]
    return b"".join(struct.pack(">I", len(part)) + part for part in encoded)


def _hkdf(key: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(key)


def test_golden_blob_opens() -> None:
    root = UnsealedRoot("file", ROOT_KEY)
    assert root.key_id.hex() == GOLDEN_KEY_ID
    assert root.open(bytes.fromhex(GOLDEN_BLOB), purpose=PURPOSE, record=RECORD) == b"golden secret"


def test_format_matches_an_independent_construction() -> None:
    """Build a sealed value from the documented recipe with bare primitives; the root must open it."""
    key_id = _hkdf(ROOT_KEY, _length_prefixed("strongroom key id"), 8)
    purpose_key = _hkdf(ROOT_KEY, _length_prefixed("strongroom seal", PURPOSE), 32)
    header = b"\x01" + key_id
    nonce = bytes(range(12, 24))
    aad = _length_prefixed(header, PURPOSE, RECORD)
    blob = header + nonce + AESGCM(purpose_key).encrypt(nonce, b"independent", aad)

    root = UnsealedRoot("file", ROOT_KEY)
    assert root.open(blob, purpose=PURPOSE, record=RECORD) == b"independent"
    sealed = root.seal(b"independent", purpose=PURPOSE, record=RECORD)
    assert sealed[:9] == header
    assert AESGCM(purpose_key).decrypt(sealed[9:21], sealed[21:], aad) == b"independent"


def test_round_trip_and_overhead() -> None:
    root = UnsealedRoot("file", ROOT_KEY)
    for plaintext in (b"", b"x", b"\x00" * 32, bytes(range(256)) * 100):
        sealed = root.seal(plaintext, purpose=PURPOSE, record=RECORD)
        assert len(sealed) == len(plaintext) + 1 + 8 + 12 + 16
        assert root.open(sealed, purpose=PURPOSE, record=RECORD) == plaintext


def test_sealing_twice_gives_different_blobs() -> None:
    root = UnsealedRoot("file", ROOT_KEY)
    assert root.seal(b"s", purpose=PURPOSE, record=RECORD) != root.seal(b"s", purpose=PURPOSE, record=RECORD)


def test_every_modified_byte_is_refused() -> None:
    root = UnsealedRoot("file", ROOT_KEY)
    sealed = root.seal(b"a 32-byte secret of the database", purpose=PURPOSE, record=RECORD)
    for index in range(len(sealed)):
        for bit in (0x01, 0x80):
            tampered = bytearray(sealed)
            tampered[index] ^= bit
            with pytest.raises(SealError):
                root.open(bytes(tampered), purpose=PURPOSE, record=RECORD)


def test_truncated_or_extended_blob_is_refused() -> None:
    root = UnsealedRoot("file", ROOT_KEY)
    sealed = root.seal(b"secret", purpose=PURPOSE, record=RECORD)
    for length in range(len(sealed)):
        with pytest.raises(SealError):
            root.open(sealed[:length], purpose=PURPOSE, record=RECORD)
    with pytest.raises(SealError):
        root.open(sealed + b"\x00", purpose=PURPOSE, record=RECORD)


def test_wrong_record_or_purpose_is_refused() -> None:
    root = UnsealedRoot("file", ROOT_KEY)
    sealed = root.seal(b"secret", purpose=PURPOSE, record=RECORD)
    with pytest.raises(SealError):
        root.open(sealed, purpose=PURPOSE, record=RECORD + "x")
    with pytest.raises(SealError):
        root.open(sealed, purpose="other/purpose", record=RECORD)


@pytest.mark.parametrize(
    ("sealed_as", "opened_as"),
    [
        (("a", "bc"), ("ab", "c")),
        (("ab", "c"), ("a", "bc")),
        (("p", ""), ("p", "\x00\x00\x00\x00")),
    ],
)
def test_purpose_and_record_boundaries_do_not_collide(
    sealed_as: tuple[str, str], opened_as: tuple[str, str]
) -> None:
    root = UnsealedRoot("file", ROOT_KEY)
    sealed = root.seal(b"secret", purpose=sealed_as[0], record=sealed_as[1])
    with pytest.raises(SealError):
        root.open(sealed, purpose=opened_as[0], record=opened_as[1])


def test_another_root_key_cannot_open() -> None:
    sealed = UnsealedRoot("file", ROOT_KEY).seal(b"secret", purpose=PURPOSE, record=RECORD)
    with pytest.raises(SealError):
        UnsealedRoot("file", bytes(32)).open(sealed, purpose=PURPOSE, record=RECORD)


def test_an_unknown_version_is_refused_even_with_a_valid_tag() -> None:
    key_id = _hkdf(ROOT_KEY, _length_prefixed("strongroom key id"), 8)
    purpose_key = _hkdf(ROOT_KEY, _length_prefixed("strongroom seal", PURPOSE), 32)
    header = b"\x02" + key_id
    nonce = bytes(12)
    blob = (
        header + nonce + AESGCM(purpose_key).encrypt(nonce, b"x", _length_prefixed(header, PURPOSE, RECORD))
    )
    with pytest.raises(SealError):
        UnsealedRoot("file", ROOT_KEY).open(blob, purpose=PURPOSE, record=RECORD)


def test_empty_purpose_is_a_programming_error() -> None:
    root = UnsealedRoot("file", ROOT_KEY)
    with pytest.raises(ValueError):
        root.seal(b"x", purpose="", record=RECORD)


def test_repr_and_pickle_do_not_reveal_the_key() -> None:
    root = UnsealedRoot("file", ROOT_KEY)
    assert ROOT_KEY.hex() not in repr(root)
    assert repr(root) == f"<UnsealedRoot name='file' key_id={GOLDEN_KEY_ID}>"
    with pytest.raises(TypeError):
        pickle.dumps(root)


def test_unsealed_root_satisfies_the_protocol() -> None:
    root: RootOfTrust = UnsealedRoot("file", ROOT_KEY)
    assert root.name == "file"


def test_unknown_provider_is_refused(tmp_path: pathlib.Path) -> None:
    with pytest.raises(RootKeyUnavailable, match="unknown root-of-trust provider 'vault'"):
        open_root_of_trust("vault", tmp_path)
    assert list(tmp_path.iterdir()) == []
