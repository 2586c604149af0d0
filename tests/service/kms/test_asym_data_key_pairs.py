"""GenerateDataKeyPair(WithoutPlaintext) end to end: usable pairs, private key opened by Decrypt."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization

from tests.service.kms.asym_support import ASYM_ACCOUNT, code_of, create_key

PAIR_SPECS = [
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "ECC_NIST_EDWARDS25519",
    "ML_KEM_768",
    "ML_KEM_1024",
]


@pytest.fixture(scope="module")
def asym_kms(make_client: Any) -> Any:
    return make_client("kms", access_key=ASYM_ACCOUNT)


@pytest.fixture(scope="module")
def wrapping_key(asym_kms: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = asym_kms.create_key(Description="wraps data key pairs")["KeyMetadata"]
    return metadata


def _public_of(private_der: bytes) -> bytes:
    private = serialization.load_der_private_key(private_der, None)
    return private.public_key().public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize("spec", PAIR_SPECS)
def test_pair_halves_match_and_decrypt_returns_the_private_key(
    asym_kms: Any, wrapping_key: dict[str, Any], spec: str
) -> None:
    context = {"purpose": "test"}
    out = asym_kms.generate_data_key_pair(
        KeyId=wrapping_key["KeyId"], KeyPairSpec=spec, EncryptionContext=context
    )
    assert out["KeyId"] == wrapping_key["Arn"] and out["KeyPairSpec"] == spec
    assert _public_of(out["PrivateKeyPlaintext"]) == out["PublicKey"]
    assert len(out["KeyMaterialId"]) == 64
    opened = asym_kms.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"], EncryptionContext=context)
    assert opened["Plaintext"] == out["PrivateKeyPlaintext"]
    assert opened["KeyId"] == wrapping_key["Arn"]


def test_without_plaintext_returns_only_the_encrypted_private_key(
    asym_kms: Any, wrapping_key: dict[str, Any]
) -> None:
    out = asym_kms.generate_data_key_pair_without_plaintext(
        KeyId=wrapping_key["Arn"], KeyPairSpec="ECC_NIST_P256"
    )
    assert "PrivateKeyPlaintext" not in out
    private_der = asym_kms.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"])["Plaintext"]
    assert _public_of(private_der) == out["PublicKey"]


def test_wrong_encryption_context_cannot_open_the_private_key(
    asym_kms: Any, wrapping_key: dict[str, Any]
) -> None:
    out = asym_kms.generate_data_key_pair(
        KeyId=wrapping_key["KeyId"], KeyPairSpec="ECC_NIST_P256", EncryptionContext={"a": "b"}
    )
    with pytest.raises(ClientError) as err:
        asym_kms.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"], EncryptionContext={"a": "c"})
    assert code_of(err) == "InvalidCiphertextException"


def test_pairs_are_fresh(asym_kms: Any, wrapping_key: dict[str, Any]) -> None:
    first = asym_kms.generate_data_key_pair(KeyId=wrapping_key["KeyId"], KeyPairSpec="ECC_NIST_P256")
    second = asym_kms.generate_data_key_pair(KeyId=wrapping_key["KeyId"], KeyPairSpec="ECC_NIST_P256")
    assert first["PublicKey"] != second["PublicKey"]


@pytest.mark.parametrize("spec", ["SM2", "ML_KEM_512"])
def test_unavailable_specs_are_unsupported(asym_kms: Any, wrapping_key: dict[str, Any], spec: str) -> None:
    with pytest.raises(ClientError) as err:
        asym_kms.generate_data_key_pair(KeyId=wrapping_key["KeyId"], KeyPairSpec=spec)
    assert code_of(err) == "UnsupportedOperationException"


def test_asymmetric_or_hmac_wrapping_key_is_invalid_key_usage(asym_kms: Any) -> None:
    for key in (
        create_key(asym_kms, "RSA_2048", "ENCRYPT_DECRYPT"),
        create_key(asym_kms, "HMAC_256", "GENERATE_VERIFY_MAC"),
    ):
        with pytest.raises(ClientError) as err:
            asym_kms.generate_data_key_pair(KeyId=key["KeyId"], KeyPairSpec="ECC_NIST_P256")
        assert code_of(err) == "InvalidKeyUsageException"


def test_disabled_key_and_dry_run(asym_kms: Any) -> None:
    key = asym_kms.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as err:
        asym_kms.generate_data_key_pair(KeyId=key["KeyId"], KeyPairSpec="ECC_NIST_P256", DryRun=True)
    assert code_of(err) == "DryRunOperationException"
    asym_kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as err:
        asym_kms.generate_data_key_pair_without_plaintext(KeyId=key["KeyId"], KeyPairSpec="ECC_NIST_P256")
    assert code_of(err) == "DisabledException"
