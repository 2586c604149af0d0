"""Ed25519ph (RFC 8032 HashEdDSA) through libsodium (PyNaCl): RFC 8032 §7.3 known answer, pyca interop."""

from __future__ import annotations

import hashlib
import os

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from strongroom.services.kms import ed25519ph

# RFC 8032 §7.3, "TEST abc" (Ed25519ph).
RFC8032_PH_SECRET = bytes.fromhex("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42")
RFC8032_PH_PUBLIC = bytes.fromhex("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf")
RFC8032_PH_MESSAGE = bytes.fromhex("616263")
RFC8032_PH_SIGNATURE = bytes.fromhex(
    "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41"
    "31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406"
)

# RFC 8032 §7.1, TEST 1 to TEST 3 (pure Ed25519): secret key, public key.
RFC8032_KEYS = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    ),
]


def test_rfc8032_ed25519ph_signature_is_reproduced() -> None:
    assert ed25519ph.sign(RFC8032_PH_SECRET, RFC8032_PH_MESSAGE) == RFC8032_PH_SIGNATURE


def test_rfc8032_ed25519ph_signature_verifies() -> None:
    assert ed25519ph.verify(RFC8032_PH_PUBLIC, RFC8032_PH_MESSAGE, RFC8032_PH_SIGNATURE)


@pytest.mark.parametrize(("secret", "public"), RFC8032_KEYS)
def test_public_key_derivation_matches_rfc8032(secret: str, public: str) -> None:
    assert ed25519ph.public_key(bytes.fromhex(secret)) == bytes.fromhex(public)


def test_public_key_matches_pyca_for_random_seeds() -> None:
    for _ in range(5):
        seed = os.urandom(32)
        expected = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
        assert ed25519ph.public_key(seed) == expected


def test_tampered_message_signature_or_key_is_rejected() -> None:
    assert not ed25519ph.verify(RFC8032_PH_PUBLIC, b"abd", RFC8032_PH_SIGNATURE)
    flipped = bytearray(RFC8032_PH_SIGNATURE)
    flipped[40] ^= 1
    assert not ed25519ph.verify(RFC8032_PH_PUBLIC, RFC8032_PH_MESSAGE, bytes(flipped))
    other = bytes.fromhex(RFC8032_KEYS[0][1])
    assert not ed25519ph.verify(other, RFC8032_PH_MESSAGE, RFC8032_PH_SIGNATURE)


def test_malformed_inputs_are_rejected_not_raised() -> None:
    assert not ed25519ph.verify(RFC8032_PH_PUBLIC, RFC8032_PH_MESSAGE, RFC8032_PH_SIGNATURE[:63])
    assert not ed25519ph.verify(RFC8032_PH_PUBLIC[:31], RFC8032_PH_MESSAGE, RFC8032_PH_SIGNATURE)
    # S >= L is non-canonical (malleable) and must be refused.
    order = 2**252 + 27742317777372353535851937790883648493
    s = int.from_bytes(RFC8032_PH_SIGNATURE[32:], "little") + order
    if s < 2**256:
        malleated = RFC8032_PH_SIGNATURE[:32] + s.to_bytes(32, "little")
        assert not ed25519ph.verify(RFC8032_PH_PUBLIC, RFC8032_PH_MESSAGE, malleated)
    # A y coordinate >= p is not a canonical point encoding.
    assert not ed25519ph.verify(b"\xff" * 31 + b"\x7f", RFC8032_PH_MESSAGE, RFC8032_PH_SIGNATURE)


def test_prehash_is_sha512_of_the_message() -> None:
    # Ed25519ph(M) differs from pure Ed25519 over SHA-512(M): the dom2 prefix separates them.
    seed = bytes.fromhex(RFC8032_KEYS[0][0])
    message = b"strongroom"
    pure = ed25519.Ed25519PrivateKey.from_private_bytes(seed).sign(hashlib.sha512(message).digest())
    assert ed25519ph.sign(seed, message) != pure
    assert ed25519ph.verify(ed25519ph.public_key(seed), message, ed25519ph.sign(seed, message))


def test_seed_must_be_32_bytes() -> None:
    with pytest.raises(ValueError):
        ed25519ph.sign(b"\x00" * 31, b"m")
