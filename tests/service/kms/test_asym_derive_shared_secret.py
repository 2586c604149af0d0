"""DeriveSharedSecret end to end: two KMS keys, or a KMS key and a peer outside KMS, agree."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.service.kms.asym_support import ASYM_ACCOUNT, code_of, create_key


@pytest.fixture(scope="module")
def asym_kms(make_client: Any) -> Any:
    return make_client("kms", access_key=ASYM_ACCOUNT)


def _spki(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize(
    ("key_spec", "curve", "size"),
    [
        ("ECC_NIST_P256", ec.SECP256R1, 32),
        ("ECC_NIST_P384", ec.SECP384R1, 48),
        ("ECC_NIST_P521", ec.SECP521R1, 66),
    ],
)
def test_kms_key_and_offline_peer_derive_the_same_raw_secret(
    asym_kms: Any, key_spec: str, curve: type[ec.EllipticCurve], size: int
) -> None:
    key = create_key(asym_kms, key_spec, "KEY_AGREEMENT")
    assert key["KeyAgreementAlgorithms"] == ["ECDH"]
    assert "SigningAlgorithms" not in key
    peer = ec.generate_private_key(curve())
    out = asym_kms.derive_shared_secret(
        KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=_spki(peer)
    )
    assert out["KeyId"] == key["Arn"]
    assert out["KeyAgreementAlgorithm"] == "ECDH"
    assert out["KeyOrigin"] == "AWS_KMS"
    public = asym_kms.get_public_key(KeyId=key["KeyId"])
    assert public["KeyUsage"] == "KEY_AGREEMENT" and public["KeyAgreementAlgorithms"] == ["ECDH"]
    kms_public = serialization.load_der_public_key(public["PublicKey"])
    assert isinstance(kms_public, ec.EllipticCurvePublicKey)
    assert out["SharedSecret"] == peer.exchange(ec.ECDH(), kms_public)
    assert len(out["SharedSecret"]) == size


def test_two_kms_keys_agree(asym_kms: Any) -> None:
    alice = create_key(asym_kms, "ECC_NIST_P256", "KEY_AGREEMENT")
    bob = create_key(asym_kms, "ECC_NIST_P256", "KEY_AGREEMENT")
    alice_public = asym_kms.get_public_key(KeyId=alice["KeyId"])["PublicKey"]
    bob_public = asym_kms.get_public_key(KeyId=bob["KeyId"])["PublicKey"]
    from_alice = asym_kms.derive_shared_secret(
        KeyId=alice["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=bob_public
    )
    from_bob = asym_kms.derive_shared_secret(
        KeyId=bob["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=alice_public
    )
    assert from_alice["SharedSecret"] == from_bob["SharedSecret"]


@pytest.mark.parametrize(
    "peer",
    [_spki(ec.generate_private_key(ec.SECP384R1())), b"\x30\x03\x02\x01\x01"],
    ids=["other-curve", "garbage"],
)
def test_unusable_peer_key_is_a_validation_error(asym_kms: Any, peer: bytes) -> None:
    key = create_key(asym_kms, "ECC_NIST_P256", "KEY_AGREEMENT")
    with pytest.raises(ClientError) as err:
        asym_kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer)
    assert code_of(err) == "ValidationException"


def test_signing_key_cannot_derive(asym_kms: Any) -> None:
    key = create_key(asym_kms, "ECC_NIST_P256", "SIGN_VERIFY")
    peer = _spki(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(ClientError) as err:
        asym_kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer)
    assert code_of(err) == "InvalidKeyUsageException"


def test_key_agreement_keys_cannot_sign(asym_kms: Any) -> None:
    key = create_key(asym_kms, "ECC_NIST_P256", "KEY_AGREEMENT")
    with pytest.raises(ClientError) as err:
        asym_kms.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert code_of(err) == "InvalidKeyUsageException"


@pytest.mark.parametrize("key_spec", ["ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519", "RSA_2048"])
def test_key_specs_without_key_agreement_cannot_be_created_for_it(asym_kms: Any, key_spec: str) -> None:
    with pytest.raises(ClientError) as err:
        create_key(asym_kms, key_spec, "KEY_AGREEMENT")
    assert code_of(err) == "ValidationException"


def test_disabled_key_refuses_and_dry_run_stops(asym_kms: Any) -> None:
    key = create_key(asym_kms, "ECC_NIST_P256", "KEY_AGREEMENT")
    peer = _spki(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(ClientError) as err:
        asym_kms.derive_shared_secret(
            KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer, DryRun=True
        )
    assert code_of(err) == "DryRunOperationException"
    asym_kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as err:
        asym_kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer)
    assert code_of(err) == "DisabledException"
