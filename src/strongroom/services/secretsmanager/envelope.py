"""Envelope encryption of secret values through KMS, as AWS Secrets Manager does it.

For each version: KMS GenerateDataKey (AES_256) under the secret's key with the encryption
context ``{"SecretARN": arn, "SecretVersionId": version_id}``; the value is encrypted here with
AES-256-GCM under the plaintext data key, which is then dropped; the row keeps the encrypted data
key and the ciphertext. Reading calls KMS Decrypt with the same context, so KMS authorizes the
caller (kms:Decrypt, kms:ViaService) and refuses a disabled key. The AAD binds the ciphertext to
its secret, version and type (string or binary), so a row moved elsewhere does not open.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import AWSError
from strongroom.core.crypto import AesGcmKey, SealError, canonical_aad
from strongroom.services.secretsmanager.errors import (
    decryption_failure,
    encryption_failure,
    invalid_parameter,
    kms_access_denied,
)

DEFAULT_KEY = "alias/aws/secretsmanager"
_AAD_LABEL = "strongroom secretsmanager value"
_KMS_ACCESS_CODES = frozenset({"AccessDeniedException"})
_KMS_INPUT_CODES = frozenset({"ValidationException", "InvalidArnException"})


@dataclass(frozen=True)
class Sealed:
    kms_key_arn: str
    encrypted_data_key: bytes
    ciphertext: bytes


def encryption_context(arn: str, version_id: str) -> dict[str, str]:
    return {"SecretARN": arn, "SecretVersionId": version_id}


# Every read of a version builds the same AAD (public facts, nothing secret): build it once.
@lru_cache(maxsize=4096)
def _aad(arn: str, version_id: str, is_binary: bool) -> bytes:
    return canonical_aad(_AAD_LABEL, arn, version_id, "binary" if is_binary else "string")


def encrypt_value(data_key: bytes, *, arn: str, version_id: str, value: bytes, is_binary: bool) -> bytes:
    """A version's value encrypted under a plaintext data key, bound to its secret, version and
    type: the ciphertext `open_value` opens. For a caller that got the data key from KMS some
    other way than `seal` (a cross-account replica's key takes kms:Encrypt, not GenerateDataKey);
    the caller drops the data key afterwards."""
    return AesGcmKey(data_key).encrypt(value, _aad(arn, version_id, is_binary))


def seal(
    ctx: RequestContext,
    *,
    key_id: str | None,
    arn: str,
    version_id: str,
    value: bytes,
    is_binary: bool,
    region: str | None = None,
) -> Sealed:
    try:
        result = ctx.call(
            "kms",
            "GenerateDataKey",
            {
                "KeyId": key_id or DEFAULT_KEY,
                "KeySpec": "AES_256",
                "EncryptionContext": encryption_context(arn, version_id),
            },
            region=region,
        )
    except AWSError as error:
        raise _kms_error(error, encrypting=True) from None
    ciphertext = encrypt_value(
        bytes(result["Plaintext"]), arn=arn, version_id=version_id, value=value, is_binary=is_binary
    )
    return Sealed(str(result["KeyId"]), bytes(result["CiphertextBlob"]), ciphertext)


def open_value(
    ctx: RequestContext,
    *,
    kms_key_arn: str,
    encrypted_data_key: bytes,
    ciphertext: bytes,
    arn: str,
    version_id: str,
    is_binary: bool,
    region: str | None = None,
) -> bytes:
    try:
        result = ctx.call(
            "kms",
            "Decrypt",
            {
                "CiphertextBlob": encrypted_data_key,
                "KeyId": kms_key_arn,
                "EncryptionContext": encryption_context(arn, version_id),
            },
            region=region,
        )
    except AWSError as error:
        raise _kms_error(error, encrypting=False) from None
    try:
        return AesGcmKey(bytes(result["Plaintext"])).decrypt(ciphertext, _aad(arn, version_id, is_binary))
    except SealError:
        raise decryption_failure() from None


def _kms_error(error: AWSError, *, encrypting: bool) -> AWSError:
    if error.code in _KMS_ACCESS_CODES:
        return kms_access_denied()
    if error.code in _KMS_INPUT_CODES:
        return invalid_parameter("The KMS key ID is not valid.")
    if error.status >= 500:
        return error
    return encryption_failure() if encrypting else decryption_failure()
