"""The symmetric ciphertext format: round trips, context binding, tampering, collisions."""

from __future__ import annotations

import os

import pytest

from strongroom.services.kms import ciphertext
from strongroom.services.kms.ciphertext import CiphertextHeader, InvalidCiphertext, encryption_context_aad

MATERIAL = bytes(range(32))
HEADER = CiphertextHeader("700000000001", "1234abcd-12ab-34cd-56ef-1234567890ab", bytes(32))


def _seal(plaintext: bytes = b"secret", context: dict[str, str] | None = None) -> bytes:
    return ciphertext.encrypt(MATERIAL, HEADER, plaintext, context)


def _open(blob: bytes, context: dict[str, str] | None = None, material: bytes = MATERIAL) -> bytes:
    return ciphertext.decrypt(material, ciphertext.parse(blob), context)


def test_round_trip_and_header_names_the_key() -> None:
    blob = _seal(b"secret", {"purpose": "test"})
    parsed = ciphertext.parse(blob)
    assert parsed.header == HEADER
    assert _open(blob, {"purpose": "test"}) == b"secret"


def test_every_encryption_is_fresh() -> None:
    assert _seal() != _seal()


def test_context_order_does_not_matter() -> None:
    blob = _seal(context={"a": "1", "b": "2"})
    assert _open(blob, {"b": "2", "a": "1"}) == b"secret"


@pytest.mark.parametrize(
    "context",
    [None, {}, {"a": "1"}, {"a": "1", "b": "2", "c": "3"}, {"A": "1", "B": "2"}, {"a": "2", "b": "1"}],
)
def test_a_different_context_does_not_open(context: dict[str, str] | None) -> None:
    blob = _seal(context={"a": "1", "b": "2"})
    with pytest.raises(InvalidCiphertext):
        _open(blob, context)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"a": "b=c"}, {"a=b": "c"}),
        ({"ab": "c"}, {"a": "bc"}),
        ({"a": "b", "c": "d"}, {"a": "b,c=d"}),
        ({"a": ""}, {}),
        ({"": "a"}, {"a": ""}),
        ({"a": "1", "b": "2"}, {"a": "1b2"}),
    ],
)
def test_different_contexts_never_share_an_aad(first: dict[str, str], second: dict[str, str]) -> None:
    assert encryption_context_aad(first) != encryption_context_aad(second)
    with pytest.raises(InvalidCiphertext):
        _open(_seal(context=first), second)


def test_empty_and_absent_contexts_are_the_same() -> None:
    assert encryption_context_aad(None) == encryption_context_aad({})
    assert _open(_seal(context={}), None) == b"secret"


def test_any_flipped_byte_is_refused() -> None:
    blob = _seal(b"x" * 40, {"k": "v"})
    for index in range(len(blob)):
        tampered = bytearray(blob)
        tampered[index] ^= 0x01
        with pytest.raises(InvalidCiphertext):
            _open(bytes(tampered), {"k": "v"})


def test_truncated_extended_and_garbage_blobs_are_refused() -> None:
    blob = _seal()
    for bad in (blob[:-1], blob + b"\x00", b"", b"\x01", os.urandom(200), b"\x02" + blob[1:]):
        with pytest.raises(InvalidCiphertext):
            _open(bad)


def test_another_material_does_not_open() -> None:
    with pytest.raises(InvalidCiphertext):
        _open(_seal(), material=os.urandom(32))


def test_header_moved_to_another_key_does_not_open() -> None:
    blob = _seal()
    other = CiphertextHeader(HEADER.account_id, "ffffffff-12ab-34cd-56ef-1234567890ab", HEADER.material_id)
    moved = other.encode() + blob[len(HEADER.encode()) :]
    with pytest.raises(InvalidCiphertext):
        _open(moved)


def test_layout_is_as_documented() -> None:
    blob = _seal(b"abc")
    key_id = HEADER.key_id.encode()
    assert blob[0] == 1
    assert blob[1:13] == b"700000000001"
    assert blob[13] == len(key_id)
    assert blob[14 : 14 + len(key_id)] == key_id
    assert len(blob) == 14 + len(key_id) + 32 + 16 + 12 + 3 + 16
