"""Real clients written by others as judges: the AWS Encryption SDK v4 (MPL KMS keyring) and the AWS CLI."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.service.kms.conftest import ACCOUNT, REGION

esdk = pytest.importorskip("aws_encryption_sdk")
mpl = pytest.importorskip("aws_cryptographic_material_providers.mpl")

from aws_cryptographic_material_providers.mpl.config import MaterialProvidersConfig  # noqa: E402
from aws_cryptographic_material_providers.mpl.models import (  # noqa: E402
    CreateAwsKmsKeyringInput,
    CreateMultiKeyringInput,
)
from aws_encryption_sdk import CommitmentPolicy  # noqa: E402
from aws_encryption_sdk.exceptions import AWSEncryptionSDKClientError  # noqa: E402
from cryptography.exceptions import InvalidSignature  # noqa: E402


def _keyring(kms: Any, key_arn: str) -> Any:
    providers = mpl.AwsCryptographicMaterialProviders(config=MaterialProvidersConfig())
    return providers.create_aws_kms_keyring(
        input=CreateAwsKmsKeyringInput(kms_key_id=key_arn, kms_client=kms)
    )


def _sdk() -> Any:
    return esdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)


def test_encryption_sdk_round_trip(kms: Any, key: dict[str, Any]) -> None:
    keyring = _keyring(kms, key["Arn"])
    plaintext = os.urandom(100_000)
    context = {"purpose": "strongroom test", "tenant": "blue"}
    message, header = _sdk().encrypt(source=plaintext, keyring=keyring, encryption_context=context)
    assert plaintext not in message
    [data_key] = header.encrypted_data_keys
    assert data_key.key_provider.provider_id == "aws-kms"
    assert data_key.key_provider.key_info.decode() == key["Arn"]
    # The data key the SDK wrapped is a KMS ciphertext blob that KMS itself opens, bound to the
    # message's whole encryption context (the SDK adds its signing public key to it).
    full_context = dict(header.encryption_context)
    assert full_context.items() >= context.items()
    opened = kms.decrypt(CiphertextBlob=data_key.encrypted_data_key, EncryptionContext=full_context)
    assert len(opened["Plaintext"]) == 32 and opened["KeyId"] == key["Arn"]
    decrypted, decrypted_header = _sdk().decrypt(source=message, keyring=keyring)
    assert decrypted == plaintext
    assert decrypted_header.encryption_context["tenant"] == "blue"


def test_encryption_sdk_multi_keyring_decrypts_with_either_key(kms: Any, key: dict[str, Any]) -> None:
    second = kms.create_key()["KeyMetadata"]
    providers = mpl.AwsCryptographicMaterialProviders(config=MaterialProvidersConfig())
    generator = _keyring(kms, key["Arn"])
    child = _keyring(kms, second["Arn"])
    combined = providers.create_multi_keyring(
        input=CreateMultiKeyringInput(generator=generator, child_keyrings=[child])
    )
    message, header = _sdk().encrypt(source=b"two keys", keyring=combined)
    assert len(header.encrypted_data_keys) == 2
    kms.disable_key(KeyId=key["KeyId"])
    assert _sdk().decrypt(source=message, keyring=child)[0] == b"two keys"
    with pytest.raises(AWSEncryptionSDKClientError):
        _sdk().decrypt(source=message, keyring=generator)


def test_encryption_sdk_refuses_a_tampered_message(kms: Any, key: dict[str, Any]) -> None:
    keyring = _keyring(kms, key["Arn"])
    message, _ = _sdk().encrypt(source=b"do not touch", keyring=keyring, encryption_context={"a": "b"})
    for index in (len(message) // 2, len(message) - 40):  # the body, the signature footer
        tampered = bytearray(message)
        tampered[index] ^= 1
        with pytest.raises((AWSEncryptionSDKClientError, InvalidSignature)):
            _sdk().decrypt(source=bytes(tampered), keyring=keyring)


def test_encryption_sdk_with_a_disabled_key(kms: Any, key: dict[str, Any]) -> None:
    keyring = _keyring(kms, key["Arn"])
    message, _ = _sdk().encrypt(source=b"x", keyring=keyring)
    kms.disable_key(KeyId=key["KeyId"])
    # The keyring surfaces KMS's DisabledException in its own error type, with KMS's message.
    with pytest.raises(Exception, match=f"{key['Arn']} is disabled"):
        _sdk().encrypt(source=b"x", keyring=keyring)
    with pytest.raises(AWSEncryptionSDKClientError):
        _sdk().decrypt(source=message, keyring=keyring)


# -- the AWS CLI --------------------------------------------------------------------------------


def _aws_cli() -> list[str]:
    local = Path(sys.executable).parent / "aws"
    if local.exists():
        return [str(local)]
    found = shutil.which("aws")
    if found is None:
        pytest.skip("the AWS CLI is not installed")
    return [found]


def _cli(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": ACCOUNT,
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_PAGER": "",
    }
    env.pop("AWS_PROFILE", None)
    return subprocess.run(
        [*_aws_cli(), "kms", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_aws_cli_encrypt_decrypt(endpoint: str, key: dict[str, Any], tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"from the aws cli\n")
    done = _cli(
        endpoint,
        "encrypt",
        "--key-id",
        key["KeyId"],
        "--plaintext",
        f"fileb://{secret}",
        "--encryption-context",
        "app=cli",
        "--output",
        "text",
        "--query",
        "CiphertextBlob",
    )
    assert done.returncode == 0, done.stderr
    blob = tmp_path / "secret.enc"
    blob.write_bytes(base64.b64decode(done.stdout.strip()))
    done = _cli(
        endpoint,
        "decrypt",
        "--ciphertext-blob",
        f"fileb://{blob}",
        "--encryption-context",
        "app=cli",
        "--output",
        "text",
        "--query",
        "Plaintext",
    )
    assert done.returncode == 0, done.stderr
    assert base64.b64decode(done.stdout.strip()) == b"from the aws cli\n"
    done = _cli(
        endpoint, "decrypt", "--ciphertext-blob", f"fileb://{blob}", "--encryption-context", "app=other"
    )
    assert done.returncode != 0
    assert "InvalidCiphertextException" in done.stderr
