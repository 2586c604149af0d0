"""RSA Encrypt/Decrypt end to end: offline RSA-OAEP with GetPublicKey's key, then KMS Decrypt."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.service.kms.asym_support import ASYM_ACCOUNT, code_of, create_key, message_of
from tests.service.kms.conftest import _user_factory

OAEP = {"RSAES_OAEP_SHA_1": hashes.SHA1, "RSAES_OAEP_SHA_256": hashes.SHA256}
LIMITS = {
    "RSA_2048": {"RSAES_OAEP_SHA_1": 214, "RSAES_OAEP_SHA_256": 190},
    "RSA_3072": {"RSAES_OAEP_SHA_256": 318},
}


@pytest.fixture(scope="module")
def asym_kms(make_client: Any) -> Any:
    return make_client("kms", access_key=ASYM_ACCOUNT)


@pytest.fixture(scope="module")
def rsa_keys(asym_kms: Any) -> dict[str, dict[str, Any]]:
    return {
        spec: create_key(asym_kms, spec, "ENCRYPT_DECRYPT") for spec in ("RSA_2048", "RSA_3072", "RSA_4096")
    }


def offline_encrypt(asym_kms: Any, key_id: str, algorithm: str, plaintext: bytes) -> bytes:
    public = serialization.load_der_public_key(asym_kms.get_public_key(KeyId=key_id)["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey)
    hash_type = OAEP[algorithm]()
    return public.encrypt(plaintext, padding.OAEP(padding.MGF1(hash_type), hash_type, None))


@pytest.mark.parametrize("key_spec", ["RSA_2048", "RSA_3072", "RSA_4096"])
@pytest.mark.parametrize("algorithm", sorted(OAEP))
def test_offline_encrypt_then_kms_decrypt(
    asym_kms: Any, rsa_keys: dict[str, dict[str, Any]], key_spec: str, algorithm: str
) -> None:
    key = rsa_keys[key_spec]
    ciphertext = offline_encrypt(asym_kms, key["KeyId"], algorithm, b"offline secret")
    out = asym_kms.decrypt(KeyId=key["KeyId"], CiphertextBlob=ciphertext, EncryptionAlgorithm=algorithm)
    assert out["Plaintext"] == b"offline secret"
    assert out["KeyId"] == key["Arn"]
    assert out["EncryptionAlgorithm"] == algorithm


@pytest.mark.parametrize("key_spec", ["RSA_2048", "RSA_4096"])
def test_kms_encrypt_then_decrypt(asym_kms: Any, rsa_keys: dict[str, dict[str, Any]], key_spec: str) -> None:
    key = rsa_keys[key_spec]
    encrypted = asym_kms.encrypt(
        KeyId=key["Arn"], Plaintext=b"hello", EncryptionAlgorithm="RSAES_OAEP_SHA_256"
    )
    assert encrypted["KeyId"] == key["Arn"]
    assert encrypted["EncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
    assert len(encrypted["CiphertextBlob"]) == int(key_spec[4:]) // 8  # the bare RSA output
    out = asym_kms.decrypt(
        KeyId=key["KeyId"],
        CiphertextBlob=encrypted["CiphertextBlob"],
        EncryptionAlgorithm="RSAES_OAEP_SHA_256",
    )
    assert out["Plaintext"] == b"hello"


def test_describe_and_get_public_key_report_encryption_algorithms(
    asym_kms: Any, rsa_keys: dict[str, dict[str, Any]]
) -> None:
    key = rsa_keys["RSA_2048"]
    assert key["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    assert "SigningAlgorithms" not in key
    public = asym_kms.get_public_key(KeyId=key["KeyId"])
    assert public["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert public["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    assert "SigningAlgorithms" not in public


@pytest.mark.parametrize(("key_spec", "algorithm"), [(s, a) for s, limits in LIMITS.items() for a in limits])
def test_plaintext_size_limits_are_aws_s(
    asym_kms: Any, rsa_keys: dict[str, dict[str, Any]], key_spec: str, algorithm: str
) -> None:
    key_id, limit = rsa_keys[key_spec]["KeyId"], LIMITS[key_spec][algorithm]
    asym_kms.encrypt(KeyId=key_id, Plaintext=b"x" * limit, EncryptionAlgorithm=algorithm)
    with pytest.raises(ClientError) as err:
        asym_kms.encrypt(KeyId=key_id, Plaintext=b"x" * (limit + 1), EncryptionAlgorithm=algorithm)
    assert code_of(err) == "ValidationException"


def test_decrypt_with_the_other_oaep_hash_is_invalid_ciphertext(
    asym_kms: Any, rsa_keys: dict[str, dict[str, Any]]
) -> None:
    key = rsa_keys["RSA_2048"]
    ciphertext = offline_encrypt(asym_kms, key["KeyId"], "RSAES_OAEP_SHA_256", b"m")
    with pytest.raises(ClientError) as err:
        asym_kms.decrypt(
            KeyId=key["KeyId"], CiphertextBlob=ciphertext, EncryptionAlgorithm="RSAES_OAEP_SHA_1"
        )
    assert code_of(err) == "InvalidCiphertextException"


def test_tampered_or_foreign_ciphertext_is_invalid_ciphertext(
    asym_kms: Any, rsa_keys: dict[str, dict[str, Any]]
) -> None:
    key = rsa_keys["RSA_2048"]
    ciphertext = offline_encrypt(asym_kms, key["KeyId"], "RSAES_OAEP_SHA_256", b"m")
    other = create_key(asym_kms, "RSA_2048", "ENCRYPT_DECRYPT")
    for key_id, blob in (
        (key["KeyId"], bytes([ciphertext[0] ^ 1]) + ciphertext[1:]),
        (key["KeyId"], ciphertext[:-1]),
        (other["KeyId"], ciphertext),
    ):
        with pytest.raises(ClientError) as err:
            asym_kms.decrypt(KeyId=key_id, CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
        assert code_of(err) == "InvalidCiphertextException"


def test_decrypt_without_key_id_cannot_find_an_rsa_key(
    asym_kms: Any, rsa_keys: dict[str, dict[str, Any]]
) -> None:
    ciphertext = offline_encrypt(asym_kms, rsa_keys["RSA_2048"]["KeyId"], "RSAES_OAEP_SHA_256", b"m")
    with pytest.raises(ClientError) as err:
        asym_kms.decrypt(CiphertextBlob=ciphertext, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert code_of(err) == "InvalidCiphertextException"


def test_encryption_context_is_refused_with_rsa_keys(
    asym_kms: Any, rsa_keys: dict[str, dict[str, Any]]
) -> None:
    key_id = rsa_keys["RSA_2048"]["KeyId"]
    with pytest.raises(ClientError) as err:
        asym_kms.encrypt(
            KeyId=key_id,
            Plaintext=b"m",
            EncryptionAlgorithm="RSAES_OAEP_SHA_256",
            EncryptionContext={"a": "b"},
        )
    assert code_of(err) == "ValidationException"
    assert "EncryptionContext is not supported" in message_of(err)


def test_rsa_algorithm_on_symmetric_key_and_symmetric_on_rsa_key_are_refused(
    asym_kms: Any, rsa_keys: dict[str, dict[str, Any]]
) -> None:
    symmetric = asym_kms.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as err:
        asym_kms.encrypt(KeyId=symmetric["KeyId"], Plaintext=b"m", EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert code_of(err) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as err:
        asym_kms.encrypt(
            KeyId=rsa_keys["RSA_2048"]["KeyId"], Plaintext=b"m", EncryptionAlgorithm="SYMMETRIC_DEFAULT"
        )
    assert code_of(err) == "InvalidKeyUsageException"
    assert message_of(err) == "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048."


def test_omitted_algorithm_on_rsa_key_is_invalid_key_usage(
    asym_kms: Any, rsa_keys: dict[str, dict[str, Any]]
) -> None:
    with pytest.raises(ClientError) as err:
        asym_kms.encrypt(KeyId=rsa_keys["RSA_2048"]["KeyId"], Plaintext=b"m")
    assert code_of(err) == "InvalidKeyUsageException"
    assert message_of(err) == "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048."


def test_signing_key_cannot_encrypt_or_decrypt(asym_kms: Any) -> None:
    key = create_key(asym_kms, "RSA_2048", "SIGN_VERIFY")
    with pytest.raises(ClientError) as err:
        asym_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"m", EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert code_of(err) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as err:
        asym_kms.decrypt(
            KeyId=key["KeyId"], CiphertextBlob=b"x" * 256, EncryptionAlgorithm="RSAES_OAEP_SHA_256"
        )
    assert code_of(err) == "InvalidKeyUsageException"


def test_disabled_rsa_key_refuses_decrypt(asym_kms: Any) -> None:
    key = create_key(asym_kms, "RSA_2048", "ENCRYPT_DECRYPT")
    ciphertext = offline_encrypt(asym_kms, key["KeyId"], "RSAES_OAEP_SHA_256", b"m")
    asym_kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as err:
        asym_kms.decrypt(
            KeyId=key["KeyId"], CiphertextBlob=ciphertext, EncryptionAlgorithm="RSAES_OAEP_SHA_256"
        )
    assert code_of(err) == "DisabledException"


def test_re_encrypt_from_rsa_to_a_symmetric_key(asym_kms: Any, rsa_keys: dict[str, dict[str, Any]]) -> None:
    source = rsa_keys["RSA_2048"]
    target = asym_kms.create_key()["KeyMetadata"]
    ciphertext = offline_encrypt(asym_kms, source["KeyId"], "RSAES_OAEP_SHA_1", b"moved")
    moved = asym_kms.re_encrypt(
        CiphertextBlob=ciphertext,
        SourceKeyId=source["KeyId"],
        SourceEncryptionAlgorithm="RSAES_OAEP_SHA_1",
        DestinationKeyId=target["KeyId"],
    )
    assert moved["SourceKeyId"] == source["Arn"] and moved["SourceEncryptionAlgorithm"] == "RSAES_OAEP_SHA_1"
    assert asym_kms.decrypt(CiphertextBlob=moved["CiphertextBlob"])["Plaintext"] == b"moved"


def test_encryption_algorithm_condition_key(
    asym_kms: Any, make_client: Any, rsa_keys: dict[str, dict[str, Any]]
) -> None:
    iam = make_client("iam", access_key=ASYM_ACCOUNT)
    user = _user_factory(iam, make_client)(
        {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}},
        }
    )
    key = rsa_keys["RSA_2048"]
    for algorithm in OAEP:
        ciphertext = offline_encrypt(asym_kms, key["KeyId"], algorithm, b"m")
        if algorithm == "RSAES_OAEP_SHA_256":
            out = user["kms"].decrypt(
                KeyId=key["Arn"], CiphertextBlob=ciphertext, EncryptionAlgorithm=algorithm
            )
            assert out["Plaintext"] == b"m"
        else:
            with pytest.raises(ClientError) as err:
                user["kms"].decrypt(
                    KeyId=key["Arn"], CiphertextBlob=ciphertext, EncryptionAlgorithm=algorithm
                )
            assert code_of(err) == "AccessDeniedException"
