"""Symmetric cryptography: Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext), GenerateRandom.

Extension points for asymmetric keys (a mixin placed before this one in `KmsApi` overrides them):
`_encrypt_asymmetric(ctx, key, plaintext, algorithm, context) -> bytes` and
`_decrypt_asymmetric(ctx, key, blob, algorithm, context) -> bytes`. Encrypt, Decrypt and
ReEncrypt route every non-symmetric key through them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import ServiceError, ValidationError
from strongroom.core.crypto.randomness import random_bytes
from strongroom.services.kms import ciphertext, read_cache
from strongroom.services.kms.access import resolve, usable_key
from strongroom.services.kms.errors import (
    incorrect_key,
    invalid_ciphertext,
    invalid_key_usage,
    recipient_unsupported,
    refuse_if_dry_run,
    require_usage,
)
from strongroom.services.kms.keys import Key, key_arn

Request = dict[str, Any]
Result = dict[str, Any]

SYMMETRIC_ALGORITHM = "SYMMETRIC_DEFAULT"
DATA_KEY_BYTES = {"AES_256": 32, "AES_128": 16}


def data_key_size(request: Request) -> int:
    spec, size = request.get("KeySpec"), request.get("NumberOfBytes")
    if spec is not None and size is None:
        return DATA_KEY_BYTES[spec]
    if size is not None and spec is None:
        return int(size)
    raise ValidationError("Please specify either number of bytes or key spec.")


def _parse(blob: bytes) -> ciphertext.ParsedCiphertext:
    try:
        return ciphertext.parse(blob)
    except ciphertext.InvalidCiphertext:
        raise invalid_ciphertext() from None


class CryptoApi:
    """Encrypt, Decrypt, ReEncrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, GenerateRandom."""

    # -- extension points ----------------------------------------------------------------------

    def _encrypt_asymmetric(
        self, ctx: RequestContext, key: Key, plaintext: bytes, algorithm: str, context: Mapping[str, str]
    ) -> bytes:
        raise ServiceError(
            "UnsupportedOperationException", f"Strongroom cannot encrypt with {key.key_spec} keys yet."
        )

    def _decrypt_asymmetric(
        self, ctx: RequestContext, key: Key, blob: bytes, algorithm: str, context: Mapping[str, str]
    ) -> bytes:
        raise ServiceError(
            "UnsupportedOperationException", f"Strongroom cannot decrypt with {key.key_spec} keys yet."
        )

    # -- shared steps --------------------------------------------------------------------------

    def _seal(
        self,
        ctx: RequestContext,
        key: Key,
        plaintext: bytes,
        algorithm: str | None,
        context: Mapping[str, str],
    ) -> tuple[bytes, str, str | None]:
        """(ciphertext blob, algorithm, material id) of `plaintext` under `key`."""
        if not key.symmetric:
            # An omitted algorithm means SYMMETRIC_DEFAULT, which the asymmetric path refuses as
            # AWS does (InvalidKeyUsageException naming the algorithm and the key spec).
            algorithm = algorithm or SYMMETRIC_ALGORITHM
            return self._encrypt_asymmetric(ctx, key, plaintext, algorithm, context), algorithm, None
        if algorithm not in (None, SYMMETRIC_ALGORITHM):
            raise invalid_key_usage(key, f"Encrypt with {algorithm}")
        facts = read_cache.facts(ctx, key)
        material = facts.current(ctx, key)
        blob = facts.cipher(material).encrypt(plaintext, context)
        return blob, SYMMETRIC_ALGORITHM, material.material_id.hex()

    def _source_key(
        self,
        ctx: RequestContext,
        request: Request,
        *,
        key_member: str,
        context: Mapping[str, str],
        algorithm: str | None,
        operation: str,
        state_operation: str,
        context_keys: Mapping[str, Any] | None = None,
    ) -> tuple[Key, ciphertext.ParsedCiphertext | None]:
        """The key that opens the request's ciphertext: named, or read from the blob."""
        blob: bytes = request["CiphertextBlob"]
        named = request.get(key_member)
        ignore_ciphertext = bool(request.get("DryRun")) and "IGNORE_CIPHERTEXT" in (
            request.get("DryRunModifiers") or []
        )
        parsed: ciphertext.ParsedCiphertext | None = None
        if named is None:
            parsed = _parse(blob)
            named = key_arn(parsed.header.account_id, ctx.region, parsed.header.key_id)
        extra = {"kms:EncryptionAlgorithm": algorithm or SYMMETRIC_ALGORITHM, **(context_keys or {})}
        key = usable_key(
            ctx,
            named,
            operation,
            state_operation=state_operation,
            encryption_context=context,
            context_keys=extra,
            grant_tokens=request.get("GrantTokens"),
        ).key
        require_usage(key, "ENCRYPT_DECRYPT", state_operation)
        if key.symmetric and parsed is None and not ignore_ciphertext:
            parsed = _parse(blob)
        if parsed is not None and (parsed.header.account_id, parsed.header.key_id) != (
            key.account_id,
            key.key_id,
        ):
            raise incorrect_key()
        return key, parsed

    def _open(
        self,
        ctx: RequestContext,
        key: Key,
        parsed: ciphertext.ParsedCiphertext | None,
        blob: bytes,
        algorithm: str | None,
        context: Mapping[str, str],
    ) -> tuple[bytes, str, str | None]:
        """(plaintext, algorithm, material id) of a ciphertext under `key`."""
        if not key.symmetric:
            # An omitted algorithm means SYMMETRIC_DEFAULT, which the asymmetric path refuses as
            # AWS does (InvalidKeyUsageException naming the algorithm and the key spec).
            algorithm = algorithm or SYMMETRIC_ALGORITHM
            return self._decrypt_asymmetric(ctx, key, blob, algorithm, context), algorithm, None
        if algorithm not in (None, SYMMETRIC_ALGORITHM):
            raise incorrect_key()
        assert parsed is not None
        facts = read_cache.facts(ctx, key)
        material = facts.by_id(ctx, key, parsed.header.material_id)
        if material is None:
            raise invalid_ciphertext()
        try:
            plaintext = facts.cipher(material).decrypt(parsed, context)
        except ciphertext.InvalidCiphertext:
            raise invalid_ciphertext() from None
        return plaintext, SYMMETRIC_ALGORITHM, material.material_id.hex()

    # -- operations ----------------------------------------------------------------------------

    def encrypt(self, ctx: RequestContext, request: Request) -> Result:
        context = request.get("EncryptionContext") or {}
        algorithm = request.get("EncryptionAlgorithm")
        key = usable_key(
            ctx,
            request["KeyId"],
            "Encrypt",
            encryption_context=context,
            context_keys={"kms:EncryptionAlgorithm": algorithm or SYMMETRIC_ALGORITHM},
            grant_tokens=request.get("GrantTokens"),
        ).key
        require_usage(key, "ENCRYPT_DECRYPT", "Encrypt")
        refuse_if_dry_run(request)
        blob, used, _ = self._seal(ctx, key, request["Plaintext"], algorithm, context)
        return {"CiphertextBlob": blob, "KeyId": key.arn, "EncryptionAlgorithm": used}

    def decrypt(self, ctx: RequestContext, request: Request) -> Result:
        recipient_unsupported(request)
        context = request.get("EncryptionContext") or {}
        algorithm = request.get("EncryptionAlgorithm")
        key, parsed = self._source_key(
            ctx,
            request,
            key_member="KeyId",
            context=context,
            algorithm=algorithm,
            operation="Decrypt",
            state_operation="Decrypt",
        )
        refuse_if_dry_run(request)
        plaintext, used, material_id = self._open(
            ctx, key, parsed, request["CiphertextBlob"], algorithm, context
        )
        result: Result = {"KeyId": key.arn, "Plaintext": plaintext, "EncryptionAlgorithm": used}
        if material_id is not None:
            result["KeyMaterialId"] = material_id
        return result

    def re_encrypt(self, ctx: RequestContext, request: Request) -> Result:
        source_context = request.get("SourceEncryptionContext") or {}
        target_context = request.get("DestinationEncryptionContext") or {}
        source_algorithm = request.get("SourceEncryptionAlgorithm")
        target_algorithm = request.get("DestinationEncryptionAlgorithm")
        same_key = self._same_key(ctx, request)
        source, parsed = self._source_key(
            ctx,
            request,
            key_member="SourceKeyId",
            context=source_context,
            algorithm=source_algorithm,
            operation="ReEncryptFrom",
            state_operation="ReEncrypt",
            context_keys={"kms:ReEncryptOnSameKey": same_key},
        )
        target = usable_key(
            ctx,
            request["DestinationKeyId"],
            "ReEncryptTo",
            state_operation="ReEncrypt",
            encryption_context=target_context,
            context_keys={
                "kms:EncryptionAlgorithm": target_algorithm or SYMMETRIC_ALGORITHM,
                "kms:ReEncryptOnSameKey": same_key,
            },
            grant_tokens=request.get("GrantTokens"),
        ).key
        require_usage(target, "ENCRYPT_DECRYPT", "ReEncrypt")
        refuse_if_dry_run(request)
        plaintext, source_used, source_material = self._open(
            ctx, source, parsed, request["CiphertextBlob"], source_algorithm, source_context
        )
        blob, target_used, target_material = self._seal(
            ctx, target, plaintext, target_algorithm, target_context
        )
        result: Result = {
            "CiphertextBlob": blob,
            "SourceKeyId": source.arn,
            "KeyId": target.arn,
            "SourceEncryptionAlgorithm": source_used,
            "DestinationEncryptionAlgorithm": target_used,
        }
        if source_material is not None:
            result["SourceKeyMaterialId"] = source_material
        if target_material is not None:
            result["DestinationKeyMaterialId"] = target_material
        return result

    @staticmethod
    def _same_key(ctx: RequestContext, request: Request) -> bool:
        """kms:ReEncryptOnSameKey: whether the source and destination are one key."""
        source_id = request.get("SourceKeyId")
        if source_id is None:
            try:
                header = ciphertext.parse(request["CiphertextBlob"]).header
            except ciphertext.InvalidCiphertext:
                return False
            source_id = key_arn(header.account_id, ctx.region, header.key_id)
        try:
            return resolve(ctx, source_id).key.arn == resolve(ctx, request["DestinationKeyId"]).key.arn
        except ServiceError:
            return False

    def generate_data_key(self, ctx: RequestContext, request: Request) -> Result:
        recipient_unsupported(request)
        return self._data_key(ctx, request, "GenerateDataKey", with_plaintext=True)

    def generate_data_key_without_plaintext(self, ctx: RequestContext, request: Request) -> Result:
        return self._data_key(ctx, request, "GenerateDataKeyWithoutPlaintext", with_plaintext=False)

    def _data_key(
        self, ctx: RequestContext, request: Request, operation: str, *, with_plaintext: bool
    ) -> Result:
        size = data_key_size(request)
        context = request.get("EncryptionContext") or {}
        key = usable_key(
            ctx,
            request["KeyId"],
            operation,
            encryption_context=context,
            grant_tokens=request.get("GrantTokens"),
        ).key
        if not key.symmetric or key.key_usage != "ENCRYPT_DECRYPT":
            raise invalid_key_usage(key, operation)
        refuse_if_dry_run(request)
        plaintext = random_bytes(size)
        blob, _, material_id = self._seal(ctx, key, plaintext, None, context)
        result: Result = {"CiphertextBlob": blob, "KeyId": key.arn}
        if with_plaintext:
            result["Plaintext"] = plaintext
        if material_id is not None:
            result["KeyMaterialId"] = material_id
        return result

    def generate_random(self, ctx: RequestContext, request: Request) -> Result:
        recipient_unsupported(request)
        if request.get("CustomKeyStoreId"):
            raise ServiceError(
                "CustomKeyStoreNotFoundException",
                f"Custom key store {request['CustomKeyStoreId']} does not exist.",
            )
        size = request.get("NumberOfBytes")
        if size is None:
            raise ValidationError("NumberOfBytes is required.")
        ctx.authorize("kms:GenerateRandom", "*", context_keys={"kms:CallerAccount": ctx.account_id})
        return {"Plaintext": random_bytes(int(size))}
