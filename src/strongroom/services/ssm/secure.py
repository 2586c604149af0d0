"""SecureString values, encrypted through KMS as Parameter Store does it.

Standard tier: `kms:Encrypt` of the value itself; `kms:Decrypt` of the ciphertext blob.
Advanced tier (values up to 8 KB, over KMS's 4 KB plaintext limit): envelope encryption. A data key
from `kms:GenerateDataKey` encrypts the value with AES-256-GCM here; only its KMS-encrypted copy is
stored, and `kms:Decrypt` recovers it. Both use the encryption context
``{"PARAMETER_ARN": "<parameter ARN>"}``, so a ciphertext moved to another parameter does not
decrypt, and KMS's key policy conditions on `kms:EncryptionContext:PARAMETER_ARN` apply.

Every KMS call goes through `ctx.call`, as the caller: their KMS permissions, KMS's audit record,
`kms:ViaService` = `ssm.<region>.amazonaws.com`.

The envelope (what GetParameter without decryption shows, base64-encoded)::

    0x01 || len(encrypted data key) (2 bytes, big-endian) || encrypted data key || nonce || ciphertext || tag
"""

from __future__ import annotations

import base64
import struct

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import AWSError
from strongroom.core.crypto.aead import AesGcmKey, canonical_aad
from strongroom.core.crypto.errors import SealError
from strongroom.services.ssm import errors

DEFAULT_KEY_ID = "alias/aws/ssm"
_ENVELOPE_VERSION = 1
_HEADER = struct.Struct(">BH")
# KMS refusals that mean "this key cannot be used": SSM answers them as InvalidKeyId.
_KEY_ERRORS = frozenset(
    {
        "NotFoundException",
        "DisabledException",
        "KMSInvalidStateException",
        "InvalidKeyUsageException",
        "KeyUnavailableException",
        "InvalidArnException",
        "IncorrectKeyException",
    }
)


def encryption_context(arn: str) -> dict[str, str]:
    return {"PARAMETER_ARN": arn}


def encrypt(ctx: RequestContext, *, arn: str, key_id: str, plaintext: str, advanced: bool) -> bytes:
    raw = plaintext.encode("utf-8")
    try:
        if not advanced:
            result = ctx.call(
                "kms",
                "Encrypt",
                {"KeyId": key_id, "Plaintext": raw, "EncryptionContext": encryption_context(arn)},
            )
            return bytes(result["CiphertextBlob"])
        data_key = ctx.call(
            "kms",
            "GenerateDataKey",
            {"KeyId": key_id, "KeySpec": "AES_256", "EncryptionContext": encryption_context(arn)},
        )
    except AWSError as exc:
        raise _as_ssm_error(exc) from None
    encrypted_key = bytes(data_key["CiphertextBlob"])
    sealed = AesGcmKey(bytes(data_key["Plaintext"])).encrypt(raw, _aad(arn))
    return _HEADER.pack(_ENVELOPE_VERSION, len(encrypted_key)) + encrypted_key + sealed


def decrypt(ctx: RequestContext, *, arn: str, ciphertext: bytes, advanced: bool) -> str:
    try:
        if not advanced:
            result = ctx.call(
                "kms", "Decrypt", {"CiphertextBlob": ciphertext, "EncryptionContext": encryption_context(arn)}
            )
            return bytes(result["Plaintext"]).decode("utf-8")
        version, key_length = _HEADER.unpack_from(ciphertext)
        if version != _ENVELOPE_VERSION:
            raise errors.invalid_key_id("The stored ciphertext has an unknown format.")
        encrypted_key = ciphertext[_HEADER.size : _HEADER.size + key_length]
        data_key = ctx.call(
            "kms", "Decrypt", {"CiphertextBlob": encrypted_key, "EncryptionContext": encryption_context(arn)}
        )
    except AWSError as exc:
        raise _as_ssm_error(exc) from None
    try:
        raw = AesGcmKey(bytes(data_key["Plaintext"])).decrypt(
            ciphertext[_HEADER.size + key_length :], _aad(arn)
        )
    except SealError:
        raise errors.invalid_key_id("The parameter's ciphertext does not decrypt.") from None
    return raw.decode("utf-8")


def shown(ciphertext: bytes) -> str:
    """What GetParameter returns for a SecureString without decryption."""
    return base64.b64encode(ciphertext).decode("ascii")


def _aad(arn: str) -> bytes:
    return canonical_aad("strongroom ssm advanced parameter", "PARAMETER_ARN", arn)


def _as_ssm_error(exc: AWSError) -> AWSError:
    if exc.code in _KEY_ERRORS:
        return errors.invalid_key_id(exc.message)
    return exc
