"""AEAD recipes: published known answers, layout, failure modes and AAD encoding."""

from __future__ import annotations

import pickle

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom.core.crypto import (
    AesGcmKey,
    SealError,
    aes_gcm_decrypt,
    aes_gcm_encrypt,
    canonical_aad,
    hkdf_sha256,
    random_key,
)

# The GCM specification's test cases (McGrew & Viega; the vectors NIST's GCM validation uses):
# (case, key, plaintext, aad, iv, ciphertext, tag)
_GCM_P = (
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
)
GCM_VECTORS = [
    (
        "2",
        "00" * 16,
        "00" * 16,
        "",
        "00" * 12,
        "0388dace60b6a392f328c2b971b2fe78",
        "ab6e47d42cec13bdf53a67b21257bddf",
    ),
    (
        "4",
        "feffe9928665731c6d6a8f9467308308",
        _GCM_P,
        "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        "cafebabefacedbaddecaf888",
        "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
        "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
        "5bc94fbc3221a5db94fae95ae7121a47",
    ),
    ("13", "00" * 32, "", "", "00" * 12, "", "530f8afbc74536b9a963b4f1c4cb738b"),
    (
        "14",
        "00" * 32,
        "00" * 16,
        "",
        "00" * 12,
        "cea7403d4d606b6e074ec5d3baf39d18",
        "d0d1c8a799996bf0265b98b5d48ab919",
    ),
    (
        "16",
        "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
        _GCM_P,
        "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        "cafebabefacedbaddecaf888",
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
        "76fc6ece0f4e1768cddf8853bb2d551b",
    ),
]


@pytest.mark.parametrize(("case", "key", "plaintext", "aad", "iv", "ciphertext", "tag"), GCM_VECTORS)
def test_gcm_decrypt_known_answers(
    case: str, key: str, plaintext: str, aad: str, iv: str, ciphertext: str, tag: str
) -> None:
    sealed = bytes.fromhex(iv + ciphertext + tag)
    assert aes_gcm_decrypt(bytes.fromhex(key), sealed, bytes.fromhex(aad)) == bytes.fromhex(plaintext)


@pytest.mark.parametrize(("case", "key", "plaintext", "aad", "iv", "ciphertext", "tag"), GCM_VECTORS)
def test_gcm_decrypt_known_answers_reject_a_flipped_tag_bit(
    case: str, key: str, plaintext: str, aad: str, iv: str, ciphertext: str, tag: str
) -> None:
    sealed = bytearray.fromhex(iv + ciphertext + tag)
    sealed[-1] ^= 0x01
    with pytest.raises(SealError):
        aes_gcm_decrypt(bytes.fromhex(key), bytes(sealed), bytes.fromhex(aad))


# RFC 5869, appendix A: test case 1 (salt and info) and test case 3 (no salt, empty info).
@pytest.mark.parametrize(
    ("salt", "info", "okm"),
    [
        (
            bytes(range(13)),
            bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
        ),
        (
            None,
            b"",
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
        ),
    ],
    ids=["rfc5869-case-1", "rfc5869-case-3"],
)
def test_hkdf_sha256_known_answers(salt: bytes | None, info: bytes, okm: str) -> None:
    assert hkdf_sha256(b"\x0b" * 22, salt=salt, info=info, length=42).hex() == okm


def test_encrypt_layout_is_nonce_then_ciphertext_then_tag() -> None:
    key = random_key()
    sealed = aes_gcm_encrypt(key, b"secret", b"context")
    assert len(sealed) == 12 + len(b"secret") + 16
    assert AESGCM(key).decrypt(sealed[:12], sealed[12:], b"context") == b"secret"


def test_encrypt_draws_a_fresh_nonce_each_time() -> None:
    key = random_key()
    nonces = {aes_gcm_encrypt(key, b"same", b"")[:12] for _ in range(64)}
    assert len(nonces) == 64


def test_round_trip_with_every_aes_key_size() -> None:
    for bits in (128, 192, 256):
        key = random_key(bits)
        assert aes_gcm_decrypt(key, aes_gcm_encrypt(key, b"x" * 1000, b"a"), b"a") == b"x" * 1000


def test_every_modified_byte_is_refused() -> None:
    key = random_key()
    sealed = aes_gcm_encrypt(key, b"attack at dawn", b"aad")
    for index in range(len(sealed)):
        tampered = bytearray(sealed)
        tampered[index] ^= 0x80
        with pytest.raises(SealError):
            aes_gcm_decrypt(key, bytes(tampered), b"aad")


@pytest.mark.parametrize("length", [0, 1, 12, 27])
def test_truncated_input_is_refused(length: int) -> None:
    key = random_key()
    sealed = aes_gcm_encrypt(key, b"", b"")
    assert len(sealed) == 28
    with pytest.raises(SealError):
        aes_gcm_decrypt(key, sealed[:length], b"")


def test_wrong_aad_and_wrong_key_are_refused() -> None:
    key = random_key()
    sealed = aes_gcm_encrypt(key, b"secret", b"right")
    with pytest.raises(SealError):
        aes_gcm_decrypt(key, sealed, b"wrong")
    with pytest.raises(SealError):
        aes_gcm_decrypt(random_key(), sealed, b"right")


def test_seal_error_says_nothing_specific() -> None:
    key = random_key()
    sealed = aes_gcm_encrypt(key, b"secret", b"right")
    with pytest.raises(SealError) as caught:
        aes_gcm_decrypt(key, sealed, b"wrong")
    assert str(caught.value) == "the sealed value cannot be opened"
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_bad_key_length_is_a_programming_error_without_the_key_in_it() -> None:
    key = b"k" * 20
    with pytest.raises(ValueError) as caught:
        aes_gcm_encrypt(key, b"x", b"")
    assert "kkkk" not in str(caught.value)


def test_key_repr_and_pickle_never_show_the_key() -> None:
    key = bytes(range(32))
    wrapped = AesGcmKey(key)
    assert repr(wrapped) == "<AesGcmKey>"
    with pytest.raises(TypeError):
        pickle.dumps(wrapped)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (("ab", "c"), ("a", "bc")),
        (("abc",), ("a", "bc")),
        (("a",), ("a", "")),
        ((), ("",)),
        (("a", "b", "c"), ("a", "bc", "")),
        # A part that looks like a length prefix followed by data must not merge two parts.
        (("\x00\x00\x00\x01a",), ("", "a")),
        (("k1", "v1=k2", "v2"), ("k1", "v1", "k2=v2")),
    ],
)
def test_canonical_aad_never_collides(left: tuple[str, ...], right: tuple[str, ...]) -> None:
    assert canonical_aad(*left) != canonical_aad(*right)


def test_canonical_aad_encoding() -> None:
    assert canonical_aad() == b""
    assert canonical_aad("ab", b"\x00") == b"\x00\x00\x00\x02ab\x00\x00\x00\x01\x00"
    assert canonical_aad("é") == b"\x00\x00\x00\x02\xc3\xa9"


def test_canonical_aad_refuses_non_byte_parts() -> None:
    with pytest.raises(TypeError):
        canonical_aad(5)  # type: ignore[arg-type]


def test_random_key_sizes() -> None:
    assert len(random_key()) == 32
    assert len(random_key(128)) == 16
    assert random_key() != random_key()
    for bad in (64, 100, 0):
        with pytest.raises(ValueError):
            random_key(bad)


def test_canonical_aad_reads_every_bytes_like_part_as_its_bytes() -> None:
    expected = canonical_aad(b"ab", b"")
    assert canonical_aad(bytearray(b"ab"), memoryview(b"")) == expected
    assert canonical_aad(memoryview(b"xaby")[1:3], b"") == expected
