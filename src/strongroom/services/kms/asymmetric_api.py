"""Asymmetric KMS keys: Sign, Verify, GetPublicKey, and RSA Encrypt/Decrypt through CryptoApi's hooks.

Every handler reads like AWS's page for it: get the key through `access.usable_key` (key policy,
grants, the kms:SigningAlgorithm / kms:MessageType / kms:EncryptionAlgorithm condition keys, the
key-state table), check the key usage and the algorithm against the key spec, stop on DryRun, then
open the sealed private key and compute. The cryptography itself lives in `signing.py` and
`rsa_encryption.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import ServiceError, ValidationError
from strongroom.services.kms import read_cache, rsa_encryption, signing
from strongroom.services.kms.access import usable_key
from strongroom.services.kms.errors import refuse_if_dry_run, require_usage
from strongroom.services.kms.keys import Key, Material
from strongroom.services.kms.material import SPECS, algorithms_for_usage, public_key_of

Request = dict[str, Any]
Result = dict[str, Any]


def key_material(ctx: RequestContext, key: Key) -> Material:
    """The current (for asymmetric keys: the only) material version of `key`, opened."""
    return read_cache.current(ctx, key)


def public_key(ctx: RequestContext, key: Key) -> bytes:
    """The DER SubjectPublicKeyInfo of an asymmetric key (stored beside its sealed private key)."""
    material = key_material(ctx, key)
    if material.public_key is not None:
        return material.public_key
    derived = public_key_of(key.key_spec, material.secret)
    if derived is None:
        raise ServiceError("UnsupportedOperationException", f"{key.arn} has no public key.")
    return derived


def _refuse_encryption_context(context: Mapping[str, str]) -> None:
    if context:
        raise ValidationError(
            "EncryptionContext is not supported when encrypting/decrypting with asymmetric CMKs."
        )


class AsymmetricApi:
    """Sign, Verify, GetPublicKey; RSA Encrypt/Decrypt for CryptoApi (placed before it in KmsApi)."""

    # -- CryptoApi's extension points ----------------------------------------------------------

    def _encrypt_asymmetric(
        self, ctx: RequestContext, key: Key, plaintext: bytes, algorithm: str, context: Mapping[str, str]
    ) -> bytes:
        rsa_encryption.check_encryption_algorithm(key.key_spec, algorithm)
        _refuse_encryption_context(context)
        return rsa_encryption.encrypt(key.key_spec, key_material(ctx, key).secret, algorithm, plaintext)

    def _decrypt_asymmetric(
        self, ctx: RequestContext, key: Key, blob: bytes, algorithm: str, context: Mapping[str, str]
    ) -> bytes:
        rsa_encryption.check_encryption_algorithm(key.key_spec, algorithm)
        _refuse_encryption_context(context)
        return rsa_encryption.decrypt(key.key_spec, key_material(ctx, key).secret, algorithm, blob)

    # -- operations ----------------------------------------------------------------------------

    def sign(self, ctx: RequestContext, request: Request) -> Result:
        algorithm: str = request["SigningAlgorithm"]
        message_type: str = request.get("MessageType") or signing.RAW
        key = self._signing_key(ctx, request, "Sign", algorithm, message_type)
        signature = signing.sign(
            key.key_spec, key_material(ctx, key).secret, algorithm, request["Message"], message_type
        )
        return {"KeyId": key.arn, "Signature": signature, "SigningAlgorithm": algorithm}

    def verify(self, ctx: RequestContext, request: Request) -> Result:
        algorithm: str = request["SigningAlgorithm"]
        message_type: str = request.get("MessageType") or signing.RAW
        key = self._signing_key(ctx, request, "Verify", algorithm, message_type)
        valid = signing.verify(
            key.key_spec,
            public_key(ctx, key),
            algorithm,
            request["Message"],
            request["Signature"],
            message_type,
        )
        if not valid:
            # AWS's answer says nothing about why: that would help a forger.
            raise ServiceError("KMSInvalidSignatureException", "")
        return {"KeyId": key.arn, "SignatureValid": True, "SigningAlgorithm": algorithm}

    def get_public_key(self, ctx: RequestContext, request: Request) -> Result:
        key = usable_key(ctx, request["KeyId"], "GetPublicKey", grant_tokens=request.get("GrantTokens")).key
        if SPECS[key.key_spec].symmetric_bytes is not None:
            raise ServiceError(
                "UnsupportedOperationException",
                f"{key.arn} key spec is {key.key_spec} which is not valid for GetPublicKey.",
            )
        return {
            "KeyId": key.arn,
            "PublicKey": public_key(ctx, key),
            "CustomerMasterKeySpec": key.key_spec,
            "KeySpec": key.key_spec,
            "KeyUsage": key.key_usage,
            **algorithms_for_usage(key.key_spec, key.key_usage),
        }

    # -- shared steps --------------------------------------------------------------------------

    @staticmethod
    def _signing_key(
        ctx: RequestContext, request: Request, operation: str, algorithm: str, message_type: str
    ) -> Key:
        key = usable_key(
            ctx,
            request["KeyId"],
            operation,
            context_keys={"kms:SigningAlgorithm": algorithm, "kms:MessageType": message_type},
            grant_tokens=request.get("GrantTokens"),
        ).key
        require_usage(key, "SIGN_VERIFY", operation)
        signing.check_signing_request(key.key_spec, algorithm, request["Message"], message_type)
        refuse_if_dry_run(request)
        return key
