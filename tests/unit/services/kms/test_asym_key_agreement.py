"""DeriveSharedSecret (ECDH): Wycheproof known answers, both parties agree, bad peer keys refused."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519

from strongroom.aws.errors import AWSError
from strongroom.services.kms import key_agreement
from strongroom.services.kms.asymmetric_material import generate_private_key, public_key_der

# Project Wycheproof, testvectors_v1/ecdh_secp256r1_test.json (EcdhTest: the peer's public key is
# a DER SubjectPublicKeyInfo, exactly DeriveSharedSecret's PublicKey). (tcId, public, private, shared)
WYCHEPROOF_ECDH_P256 = [
    (
        1,
        "3059301306072a8648ce3d020106082a8648ce3d0301070342000462d5bd3372af75fe85a040715d0f502428e07046"
        "868b0bfdfa61d731afe44f26ac333a93a9e70a81cd5a95b5bf8d13990eb741c8c38872b4a07d275a014e30cf",
        "0612465c89a023ab17855b0a6bcebfd3febb53aef84138647b5352e02c10c346",
        "53020d908b0219328b658b525f26780e3ae12bcd952bb25a93bc0895e1714285",
    ),
    (
        2,  # compressed public key ("acceptable")
        "3039301306072a8648ce3d020106082a8648ce3d0301070322000362d5bd3372af75fe85a040715d0f502428e07046"
        "868b0bfdfa61d731afe44f26",
        "0612465c89a023ab17855b0a6bcebfd3febb53aef84138647b5352e02c10c346",
        "53020d908b0219328b658b525f26780e3ae12bcd952bb25a93bc0895e1714285",
    ),
    (
        3,  # shared x-coordinate is 0
        "3059301306072a8648ce3d020106082a8648ce3d0301070342000458fd4168a87795603e2b04390285bdca6e57de60"
        "27fe211dd9d25e2212d29e62080d36bd224d7405509295eed02a17150e03b314f96da37445b0d1d29377d12c",
        "0a0d622a47e48f6bc1038ace438c6f528aa00ad2bd1da5f13ee46bf5f633d71a",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ),
    (
        4,  # shared x-coordinate is p - 3
        "3059301306072a8648ce3d020106082a8648ce3d03010703420004a1ecc24bf0d0053d23f5fd80ddf1735a1925039d"
        "c1176c581a7e795163c8b9ba2cb5a4e4d5109f4527575e3137b83d79a9bcb3faeff90d2aca2bed71bb523e7e",
        "0a0d622a47e48f6bc1038ace438c6f528aa00ad2bd1da5f13ee46bf5f633d71a",
        "ffffffff00000001000000000000000000000000fffffffffffffffffffffffc",
    ),
    (
        9,
        "3059301306072a8648ce3d020106082a8648ce3d03010703420004a492fe4b4908b6d675d687551f99c617e4e5c97a"
        "a266958953129eb381f0153b111b95c94fa1d1ecd1d41d2785c1db5195875ae98051732a59ba7720f9089af6",
        "0a0d622a47e48f6bc1038ace438c6f528aa00ad2bd1da5f13ee46bf5f633d71a",
        "6522aed9ea48f2623b8eeae3e213b99da32e74c9421835804d374ce28fcca662",
    ),
]

CURVES = {"ECC_NIST_P256": 32, "ECC_NIST_P384": 48, "ECC_NIST_P521": 66}


def _pkcs8_of_scalar(hex_scalar: str, curve: ec.EllipticCurve) -> bytes:
    key = ec.derive_private_key(int(hex_scalar, 16), curve)
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.mark.parametrize(("tc_id", "public", "private", "shared"), WYCHEPROOF_ECDH_P256)
def test_wycheproof_ecdh_p256(tc_id: int, public: str, private: str, shared: str) -> None:
    secret = key_agreement.derive_shared_secret(
        "ECC_NIST_P256", _pkcs8_of_scalar(private, ec.SECP256R1()), "ECDH", bytes.fromhex(public)
    )
    assert secret == bytes.fromhex(shared), tc_id


@pytest.mark.parametrize(("key_spec", "size"), sorted(CURVES.items()))
def test_two_kms_keys_derive_the_same_raw_secret(key_spec: str, size: int) -> None:
    alice, bob = generate_private_key(key_spec), generate_private_key(key_spec)
    from_alice = key_agreement.derive_shared_secret(key_spec, alice, "ECDH", public_key_der(key_spec, bob))
    from_bob = key_agreement.derive_shared_secret(key_spec, bob, "ECDH", public_key_der(key_spec, alice))
    assert from_alice == from_bob
    assert len(from_alice) == size  # the raw x-coordinate, no KDF applied


def test_peer_outside_kms_computes_the_same_secret_with_pyca() -> None:
    kms_key = generate_private_key("ECC_NIST_P384")
    peer = ec.generate_private_key(ec.SECP384R1())
    peer_spki = peer.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    kms_public = serialization.load_der_public_key(public_key_der("ECC_NIST_P384", kms_key))
    assert isinstance(kms_public, ec.EllipticCurvePublicKey)
    expected = peer.exchange(ec.ECDH(), kms_public)
    assert key_agreement.derive_shared_secret("ECC_NIST_P384", kms_key, "ECDH", peer_spki) == expected


def _spki(key: ec.EllipticCurvePrivateKey | x25519.X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize(
    "peer",
    [
        _spki(ec.generate_private_key(ec.SECP384R1())),  # another curve
        _spki(ec.generate_private_key(ec.SECP256K1())),  # same size, another curve
        _spki(x25519.X25519PrivateKey.generate()),  # not an EC key at all
        b"\x30\x03\x02\x01\x01",  # not a SubjectPublicKeyInfo
        # Wycheproof tcId 1's point with its last byte changed: no longer on the curve.
        bytes.fromhex(WYCHEPROOF_ECDH_P256[0][1][:-2] + "ce"),
    ],
)
def test_unusable_peer_public_key_is_a_validation_error(peer: bytes) -> None:
    with pytest.raises(AWSError) as exc:
        key_agreement.derive_shared_secret(
            "ECC_NIST_P256", generate_private_key("ECC_NIST_P256"), "ECDH", peer
        )
    assert exc.value.code == "ValidationException"


@pytest.mark.parametrize("key_spec", ["ECC_SECG_P256K1", "RSA_2048", "ECC_NIST_EDWARDS25519", "ML_KEM_768"])
def test_key_specs_without_ecdh_are_invalid_key_usage(key_spec: str) -> None:
    with pytest.raises(AWSError) as exc:
        key_agreement.derive_shared_secret(key_spec, b"", "ECDH", b"")
    assert exc.value.code == "InvalidKeyUsageException"
