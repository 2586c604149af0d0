"""ML-KEM keys end to end: Encapsulate/Decapsulate, a peer encapsulating with GetPublicKey's key."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import mlkem

from tests.service.kms.asym_support import ASYM_ACCOUNT, code_of, create_key, message_of

SIZES = {"ML_KEM_768": 1088, "ML_KEM_1024": 1568}


@pytest.fixture(scope="module")
def asym_kms(make_client: Any) -> Any:
    return make_client("kms", access_key=ASYM_ACCOUNT)


@pytest.mark.parametrize(("key_spec", "size"), sorted(SIZES.items()))
def test_encapsulate_then_decapsulate(asym_kms: Any, key_spec: str, size: int) -> None:
    key = create_key(asym_kms, key_spec, "ENCAPSULATE_DECAPSULATE")
    assert key["EncapsulationAlgorithms"] == ["ML_KEM"]
    out = asym_kms.encapsulate(KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM")
    assert out["KeyId"] == key["Arn"] and out["EncapsulationAlgorithm"] == "ML_KEM"
    assert len(out["SharedSecret"]) == 32
    assert len(out["SharedSecretCiphertextBlob"]) == size
    back = asym_kms.decapsulate(
        KeyId=key["KeyId"],
        SharedSecretCiphertextBlob=out["SharedSecretCiphertextBlob"],
        EncapsulationAlgorithm="ML_KEM",
    )
    assert back["SharedSecret"] == out["SharedSecret"]
    assert back["KeyId"] == key["Arn"]


def test_peer_encapsulates_offline_with_the_public_key(asym_kms: Any) -> None:
    key = create_key(asym_kms, "ML_KEM_768", "ENCAPSULATE_DECAPSULATE")
    public = asym_kms.get_public_key(KeyId=key["KeyId"])
    assert public["KeyUsage"] == "ENCAPSULATE_DECAPSULATE"
    assert public["EncapsulationAlgorithms"] == ["ML_KEM"]
    peer_key = serialization.load_der_public_key(public["PublicKey"])
    assert isinstance(peer_key, mlkem.MLKEM768PublicKey)
    secret, ciphertext = peer_key.encapsulate()
    out = asym_kms.decapsulate(
        KeyId=key["KeyId"], SharedSecretCiphertextBlob=ciphertext, EncapsulationAlgorithm="ML_KEM"
    )
    assert out["SharedSecret"] == secret


def test_wrong_length_is_invalid_ciphertext_and_altered_is_implicit_rejection(asym_kms: Any) -> None:
    key = create_key(asym_kms, "ML_KEM_768", "ENCAPSULATE_DECAPSULATE")
    out = asym_kms.encapsulate(KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM")
    blob = out["SharedSecretCiphertextBlob"]
    with pytest.raises(ClientError) as err:
        asym_kms.decapsulate(
            KeyId=key["KeyId"], SharedSecretCiphertextBlob=blob[:-1], EncapsulationAlgorithm="ML_KEM"
        )
    assert code_of(err) == "InvalidCiphertextException"
    altered = bytes([blob[0] ^ 1]) + blob[1:]
    rejected = asym_kms.decapsulate(
        KeyId=key["KeyId"], SharedSecretCiphertextBlob=altered, EncapsulationAlgorithm="ML_KEM"
    )
    assert len(rejected["SharedSecret"]) == 32 and rejected["SharedSecret"] != out["SharedSecret"]


def test_ml_kem_512_is_unsupported_with_a_clear_message(asym_kms: Any) -> None:
    # pyca/cryptography (50.x) implements ML-KEM-768 and ML-KEM-1024 only; see docs/kms.md.
    before = asym_kms.list_keys(Limit=1000)["Keys"]
    with pytest.raises(ClientError) as err:
        create_key(asym_kms, "ML_KEM_512", "ENCAPSULATE_DECAPSULATE")
    assert code_of(err) == "UnsupportedOperationException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert message_of(err) == (
        "ML_KEM_512 is not supported by this Strongroom server (its cryptography library "
        "implements ML-KEM-768 and ML-KEM-1024 only)."
    )
    assert asym_kms.list_keys(Limit=1000)["Keys"] == before


def test_other_keys_cannot_encapsulate_and_kem_keys_cannot_sign(asym_kms: Any) -> None:
    symmetric = asym_kms.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as err:
        asym_kms.encapsulate(KeyId=symmetric["KeyId"], EncapsulationAlgorithm="ML_KEM")
    assert code_of(err) == "InvalidKeyUsageException"
    kem_key = create_key(asym_kms, "ML_KEM_1024", "ENCAPSULATE_DECAPSULATE")
    with pytest.raises(ClientError) as err:
        asym_kms.sign(KeyId=kem_key["KeyId"], Message=b"m", SigningAlgorithm="ML_DSA_SHAKE_256")
    assert code_of(err) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as err:
        create_key(asym_kms, "ML_KEM_768", "SIGN_VERIFY")
    assert code_of(err) == "ValidationException"


def test_disabled_key_refuses_decapsulate(asym_kms: Any) -> None:
    key = create_key(asym_kms, "ML_KEM_768", "ENCAPSULATE_DECAPSULATE")
    out = asym_kms.encapsulate(KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM")
    asym_kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as err:
        asym_kms.decapsulate(
            KeyId=key["KeyId"],
            SharedSecretCiphertextBlob=out["SharedSecretCiphertextBlob"],
            EncapsulationAlgorithm="ML_KEM",
        )
    assert code_of(err) == "DisabledException"
