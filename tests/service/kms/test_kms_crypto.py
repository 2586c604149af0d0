"""Encrypt, Decrypt, ReEncrypt, data keys and random bytes end to end, with every refusal."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.kms.conftest import error_code, error_message, http_status


@pytest.fixture
def other_key(kms: Any) -> dict[str, Any]:
    meta: dict[str, Any] = kms.create_key()["KeyMetadata"]
    return meta


def test_decrypt_needs_no_key_id_and_names_the_key(kms: Any, key: dict[str, Any]) -> None:
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p" * 4096)["CiphertextBlob"]
    out = kms.decrypt(CiphertextBlob=blob)
    assert out["Plaintext"] == b"p" * 4096
    assert out["KeyId"] == key["Arn"]
    assert out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert out["KeyMaterialId"] == key["CurrentKeyMaterialId"]
    assert kms.decrypt(CiphertextBlob=blob, KeyId=key["Arn"])["Plaintext"] == b"p" * 4096


def test_encrypt_through_an_alias(kms: Any, key: dict[str, Any]) -> None:
    alias = f"alias/crypto-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    blob = kms.encrypt(KeyId=alias, Plaintext=b"via alias")
    assert blob["KeyId"] == key["Arn"]
    assert kms.decrypt(CiphertextBlob=blob["CiphertextBlob"], KeyId=alias)["Plaintext"] == b"via alias"


def test_encryption_context_must_match(kms: Any, key: dict[str, Any]) -> None:
    context = {"tenant": "a", "purpose": "test"}
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext=context)["CiphertextBlob"]
    assert (
        kms.decrypt(CiphertextBlob=blob, EncryptionContext=dict(reversed(context.items())))["Plaintext"]
        == b"x"
    )
    for wrong in ({}, {"tenant": "a"}, {"tenant": "b", "purpose": "test"}, {**context, "extra": "1"}):
        with pytest.raises(ClientError) as err:
            kms.decrypt(CiphertextBlob=blob, EncryptionContext=wrong)
        assert error_code(err) == "InvalidCiphertextException"
        assert http_status(err) == 400


def test_tampered_and_garbage_ciphertexts(kms: Any, key: dict[str, Any]) -> None:
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    for index in (0, 20, len(blob) // 2, len(blob) - 1):
        tampered = bytearray(blob)
        tampered[index] ^= 0x80
        with pytest.raises(ClientError) as err:
            kms.decrypt(CiphertextBlob=bytes(tampered))
        assert error_code(err) in ("InvalidCiphertextException", "NotFoundException")
    for garbage in (b"x", b"\x01" * 100, blob[:-1]):
        with pytest.raises(ClientError) as err:
            kms.decrypt(CiphertextBlob=garbage)
        assert error_code(err) == "InvalidCiphertextException"
    tail = bytearray(blob)
    tail[-1] ^= 1
    with pytest.raises(ClientError) as err:
        kms.decrypt(CiphertextBlob=bytes(tail))
    assert error_code(err) == "InvalidCiphertextException"


def test_decrypt_with_the_wrong_key_id(kms: Any, key: dict[str, Any], other_key: dict[str, Any]) -> None:
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as err:
        kms.decrypt(CiphertextBlob=blob, KeyId=other_key["KeyId"])
    assert error_code(err) == "IncorrectKeyException"


def test_a_ciphertext_from_another_account_is_not_found(kms: Any, other_kms: Any) -> None:
    theirs = other_kms.create_key()["KeyMetadata"]
    blob = other_kms.encrypt(KeyId=theirs["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as err:
        kms.decrypt(CiphertextBlob=blob)
    assert error_code(err) == "AccessDeniedException"  # the key exists; its policy does not name us


def test_plaintext_limits(kms: Any, key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as err:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x" * 4097)
    assert error_code(err) == "ValidationException"


def test_hmac_keys_do_not_encrypt(kms: Any) -> None:
    hmac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    for call in (
        lambda: kms.encrypt(KeyId=hmac["KeyId"], Plaintext=b"x"),
        lambda: kms.generate_data_key(KeyId=hmac["KeyId"], KeySpec="AES_256"),
        lambda: kms.generate_data_key_without_plaintext(KeyId=hmac["KeyId"], NumberOfBytes=16),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert error_code(err) == "InvalidKeyUsageException"


def test_symmetric_keys_take_only_symmetric_default(kms: Any, key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as err:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert error_code(err) == "InvalidKeyUsageException"
    out = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionAlgorithm="SYMMETRIC_DEFAULT")
    assert out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"


@pytest.mark.parametrize(
    ("kwargs", "size"),
    [
        ({"KeySpec": "AES_256"}, 32),
        ({"KeySpec": "AES_128"}, 16),
        ({"NumberOfBytes": 1}, 1),
        ({"NumberOfBytes": 1024}, 1024),
    ],
)
def test_generate_data_key(kms: Any, key: dict[str, Any], kwargs: dict[str, Any], size: int) -> None:
    context = {"bucket": "b1"}
    out = kms.generate_data_key(KeyId=key["KeyId"], EncryptionContext=context, **kwargs)
    assert len(out["Plaintext"]) == size and out["KeyId"] == key["Arn"]
    opened = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext=context)
    assert opened["Plaintext"] == out["Plaintext"]


def test_generate_data_key_without_plaintext(kms: Any, key: dict[str, Any]) -> None:
    out = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], KeySpec="AES_256")
    assert "Plaintext" not in out
    assert len(kms.decrypt(CiphertextBlob=out["CiphertextBlob"])["Plaintext"]) == 32


@pytest.mark.parametrize("kwargs", [{}, {"KeySpec": "AES_256", "NumberOfBytes": 32}, {"NumberOfBytes": 1025}])
def test_generate_data_key_size_refusals(kms: Any, key: dict[str, Any], kwargs: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as err:
        kms.generate_data_key(KeyId=key["KeyId"], **kwargs)
    assert error_code(err) == "ValidationException"


def test_re_encrypt_moves_between_keys_and_contexts(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any]
) -> None:
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"move me", EncryptionContext={"a": "1"})[
        "CiphertextBlob"
    ]
    out = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext={"a": "1"},
        DestinationKeyId=other_key["Arn"],
        DestinationEncryptionContext={"b": "2"},
    )
    assert out["SourceKeyId"] == key["Arn"] and out["KeyId"] == other_key["Arn"]
    assert out["SourceEncryptionAlgorithm"] == out["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    moved = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"b": "2"})
    assert moved["Plaintext"] == b"move me" and moved["KeyId"] == other_key["Arn"]
    with pytest.raises(ClientError) as err:
        kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=other_key["KeyId"])  # context missing
    assert error_code(err) == "InvalidCiphertextException"
    with pytest.raises(ClientError) as err:
        kms.re_encrypt(
            CiphertextBlob=blob,
            SourceKeyId=other_key["KeyId"],
            SourceEncryptionContext={"a": "1"},
            DestinationKeyId=other_key["KeyId"],
        )
    assert error_code(err) == "IncorrectKeyException"


def test_re_encrypt_to_a_disabled_or_missing_key(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any]
) -> None:
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(KeyId=other_key["KeyId"])
    with pytest.raises(ClientError) as err:
        kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=other_key["KeyId"])
    assert error_code(err) == "DisabledException"
    with pytest.raises(ClientError) as err:
        kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId="alias/nowhere")
    assert error_code(err) == "NotFoundException"


def test_dry_run_checks_but_does_nothing(kms: Any, key: dict[str, Any]) -> None:
    for call in (
        lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", DryRun=True),
        lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", DryRun=True),
        lambda: kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], KeySpec="AES_256", DryRun=True),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert error_code(err) == "DryRunOperationException"
        assert http_status(err) == 412
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as err:
        kms.decrypt(CiphertextBlob=blob, DryRun=True)
    assert error_code(err) == "DryRunOperationException"
    with pytest.raises(ClientError) as err:
        kms.decrypt(
            CiphertextBlob=b"garbage", KeyId=key["KeyId"], DryRun=True, DryRunModifiers=["IGNORE_CIPHERTEXT"]
        )
    assert error_code(err) == "DryRunOperationException"
    with pytest.raises(ClientError) as err:
        kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key["KeyId"], DryRun=True)
    assert error_code(err) == "DryRunOperationException"
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as err:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", DryRun=True)
    assert error_code(err) == "DisabledException"  # a dry run that would fail says why


def test_generate_random(kms: Any) -> None:
    first, second = (kms.generate_random(NumberOfBytes=64)["Plaintext"] for _ in range(2))
    assert len(first) == 64 and first != second
    assert len(kms.generate_random(NumberOfBytes=1024)["Plaintext"]) == 1024
    with pytest.raises(ClientError) as err:
        kms.generate_random(NumberOfBytes=1025)
    assert error_code(err) == "ValidationException"
    with pytest.raises(ClientError) as err:
        kms.generate_random()
    assert error_code(err) == "ValidationException"
    with pytest.raises(ClientError) as err:
        kms.generate_random(NumberOfBytes=8, CustomKeyStoreId="cks-1234567890abcdef0")
    assert error_code(err) == "CustomKeyStoreNotFoundException"


def test_invalid_grant_token_is_refused(kms: Any, key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as err:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", GrantTokens=["not a token!"])
    assert error_code(err) == "InvalidGrantTokenException"
    assert error_message(err) == "Invalid grant token"
