"""The first path through KMS: create, encrypt, decrypt without a KeyId, describe."""

from __future__ import annotations

from typing import Any

from tests.service.kms.conftest import ACCOUNT


def test_create_encrypt_decrypt_round_trip(kms: Any, key: dict[str, Any]) -> None:
    assert key["AWSAccountId"] == ACCOUNT
    assert key["KeyState"] == "Enabled" and key["Enabled"] is True
    assert key["KeySpec"] == "SYMMETRIC_DEFAULT" and key["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"hello", EncryptionContext={"a": "b"})
    assert blob["KeyId"] == key["Arn"]
    out = kms.decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext={"a": "b"})
    assert out["Plaintext"] == b"hello"
    assert out["KeyId"] == key["Arn"]
    assert kms.describe_key(KeyId=key["Arn"])["KeyMetadata"]["KeyId"] == key["KeyId"]
