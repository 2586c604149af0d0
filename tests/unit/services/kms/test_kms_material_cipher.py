"""MaterialCipher: the prepared form of one material version opens what the format says it must.

Its cache of opened data keys must never weaken a check: a remembered key still verifies the tag,
the header and the encryption context, and only blobs that opened are remembered.
"""

from __future__ import annotations

import os
import pickle

import pytest

from strongroom.services.kms import ciphertext
from strongroom.services.kms.ciphertext import CiphertextHeader, InvalidCiphertext, MaterialCipher

MATERIAL = bytes(range(32))
HEADER = CiphertextHeader("700000000001", "1234abcd-12ab-34cd-56ef-1234567890ab", bytes(range(32, 64)))

# Made by the first implementation of the format (one HKDF per call, no prepared cipher): every
# later implementation must open it, and only with this exact context.
KNOWN_BLOB = bytes.fromhex(
    "013730303030303030303030312431323334616263642d313261622d333463642d353665662d313233343536"
    "373839306162202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3fe6d665fc5de6"
    "7937de65e1d6b6986c1b32ced62f3ac332a80397550f4393592dc263e1b173e611e84744c780d211fd199dc1"
    "b35f9d1af139"
)
KNOWN_CONTEXT = {"purpose": "vector", "a": "b=c"}
KNOWN_CONTEXT_AAD = "0000000132000000016100000003623d6300000007707572706f736500000006766563746f72"


def test_a_blob_of_the_first_implementation_still_opens() -> None:
    parsed = ciphertext.parse(KNOWN_BLOB)
    assert parsed.header == HEADER
    assert ciphertext.decrypt(MATERIAL, parsed, KNOWN_CONTEXT) == b"known answer"
    cipher = MaterialCipher(MATERIAL, HEADER)
    assert cipher.decrypt(parsed, KNOWN_CONTEXT) == b"known answer"
    assert cipher.decrypt(parsed, dict(reversed(KNOWN_CONTEXT.items()))) == b"known answer"
    with pytest.raises(InvalidCiphertext):
        cipher.decrypt(parsed, {"purpose": "vector"})


def test_the_context_encoding_is_unchanged() -> None:
    assert ciphertext.encryption_context_aad(KNOWN_CONTEXT).hex() == KNOWN_CONTEXT_AAD
    assert ciphertext.encryption_context_aad({}) == ciphertext.encryption_context_aad(None)
    assert ciphertext.encryption_context_aad({}) == b"\x00\x00\x00\x010"


def test_prepared_and_one_shot_forms_open_each_other() -> None:
    cipher = MaterialCipher(MATERIAL, HEADER)
    for context in (None, {}, {"k": "v"}, {"b": "2", "a": "1"}):
        prepared = cipher.encrypt(b"data", context)
        one_shot = ciphertext.encrypt(MATERIAL, HEADER, b"data", context)
        assert ciphertext.decrypt(MATERIAL, ciphertext.parse(prepared), context) == b"data"
        assert cipher.decrypt(ciphertext.parse(one_shot), context) == b"data"
        assert prepared[: len(HEADER.encode())] == HEADER.encode()


def test_every_encryption_draws_a_new_salt() -> None:
    cipher = MaterialCipher(MATERIAL, HEADER)
    salts = {ciphertext.parse(cipher.encrypt(b"x", None)).salt for _ in range(200)}
    assert len(salts) == 200


def test_a_remembered_key_still_checks_tag_context_and_header() -> None:
    cipher = MaterialCipher(MATERIAL, HEADER)
    blob = cipher.encrypt(b"secret", {"k": "v"})
    assert cipher.decrypt(ciphertext.parse(blob), {"k": "v"}) == b"secret"  # now remembered
    assert cipher.decrypt(ciphertext.parse(blob), {"k": "v"}) == b"secret"
    with pytest.raises(InvalidCiphertext):
        cipher.decrypt(ciphertext.parse(blob), {"k": "w"})
    with pytest.raises(InvalidCiphertext):
        cipher.decrypt(ciphertext.parse(blob), None)
    for index in range(len(blob)):
        tampered = bytearray(blob)
        tampered[index] ^= 0x01
        with pytest.raises(InvalidCiphertext):
            cipher.decrypt(ciphertext.parse(bytes(tampered)), {"k": "v"})
    other = CiphertextHeader(HEADER.account_id, "ffffffff-12ab-34cd-56ef-1234567890ab", HEADER.material_id)
    moved = other.encode() + blob[len(HEADER.encode()) :]
    with pytest.raises(InvalidCiphertext):
        cipher.decrypt(ciphertext.parse(moved), {"k": "v"})


def test_another_material_with_the_same_header_does_not_open() -> None:
    blob = MaterialCipher(MATERIAL, HEADER).encrypt(b"secret", None)
    stranger = MaterialCipher(os.urandom(32), HEADER)
    with pytest.raises(InvalidCiphertext):
        stranger.decrypt(ciphertext.parse(blob), None)
    assert stranger.uses(MATERIAL) is False
    assert MaterialCipher(MATERIAL, HEADER).uses(bytes(range(32))) is True


def test_the_remembered_keys_are_bounded_and_evicted_keys_still_open() -> None:
    cipher = MaterialCipher(MATERIAL, HEADER)
    blobs = [cipher.encrypt(str(i).encode(), None) for i in range(MaterialCipher.MAX_OPENED_KEYS + 50)]
    for round_ in range(2):
        for i, blob in enumerate(blobs):
            assert cipher.decrypt(ciphertext.parse(blob), None) == str(i).encode(), round_


def test_forged_blobs_are_not_remembered() -> None:
    cipher = MaterialCipher(MATERIAL, HEADER)
    good = cipher.encrypt(b"secret", None)
    assert cipher.decrypt(ciphertext.parse(good), None) == b"secret"
    header_size = len(HEADER.encode())
    for _ in range(MaterialCipher.MAX_OPENED_KEYS + 10):
        forged = HEADER.encode() + os.urandom(16) + os.urandom(12 + 6 + 16)
        with pytest.raises(InvalidCiphertext):
            cipher.decrypt(ciphertext.parse(forged), None)
    # The genuine key is still remembered: a forged stream evicted nothing.
    assert ciphertext.parse(good).salt in cipher.remembered_salts()
    assert len(cipher.remembered_salts()) == 1
    assert good[header_size : header_size + 16] == ciphertext.parse(good).salt


def test_a_cipher_never_shows_or_pickles_its_material() -> None:
    cipher = MaterialCipher(MATERIAL, HEADER)
    cipher.decrypt(ciphertext.parse(cipher.encrypt(b"x", None)), None)
    assert MATERIAL.hex() not in repr(cipher)
    assert repr(MATERIAL) not in repr(cipher)
    with pytest.raises(TypeError):
        pickle.dumps(cipher)


def test_parse_of_the_same_blob_object_is_the_same_reading() -> None:
    blob = MaterialCipher(MATERIAL, HEADER).encrypt(b"x", None)
    first = ciphertext.parse(blob)
    assert ciphertext.parse(blob) is first
    copy = bytes(bytearray(blob))
    assert ciphertext.parse(copy) == first
    with pytest.raises(InvalidCiphertext):
        ciphertext.parse(b"\x02" + blob[1:])
    assert ciphertext.parse(blob) == first
