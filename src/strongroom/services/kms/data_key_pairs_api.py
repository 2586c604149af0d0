"""GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext.

The pair is made fresh (`data_key_pairs.py`), its private key encrypted under a symmetric
encryption KMS key exactly as GenerateDataKey encrypts a data key (CryptoApi's `_seal`, with the
encryption context bound), so Decrypt later returns the PKCS#8 private key.
"""

from __future__ import annotations

from typing import Any

from strongroom.aws.context import RequestContext
from strongroom.services.kms import data_key_pairs
from strongroom.services.kms.access import usable_key
from strongroom.services.kms.crypto_api import CryptoApi
from strongroom.services.kms.errors import invalid_key_usage, recipient_unsupported, refuse_if_dry_run

Request = dict[str, Any]
Result = dict[str, Any]


class DataKeyPairsApi(CryptoApi):
    """GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext."""

    def generate_data_key_pair(self, ctx: RequestContext, request: Request) -> Result:
        recipient_unsupported(request)
        return self._data_key_pair(ctx, request, "GenerateDataKeyPair", with_plaintext=True)

    def generate_data_key_pair_without_plaintext(self, ctx: RequestContext, request: Request) -> Result:
        return self._data_key_pair(ctx, request, "GenerateDataKeyPairWithoutPlaintext", with_plaintext=False)

    def _data_key_pair(
        self, ctx: RequestContext, request: Request, operation: str, *, with_plaintext: bool
    ) -> Result:
        spec: str = request["KeyPairSpec"]
        context = request.get("EncryptionContext") or {}
        key = usable_key(
            ctx,
            request["KeyId"],
            operation,
            encryption_context=context,
            context_keys={"kms:DataKeyPairSpec": spec},
            grant_tokens=request.get("GrantTokens"),
        ).key
        if not key.symmetric or key.key_usage != "ENCRYPT_DECRYPT":
            raise invalid_key_usage(key, operation)
        data_key_pairs.check_key_pair_spec(spec)
        refuse_if_dry_run(request)
        private_der, public_der = data_key_pairs.generate_data_key_pair(spec)
        blob, _, material_id = self._seal(ctx, key, private_der, None, context)
        result: Result = {
            "PrivateKeyCiphertextBlob": blob,
            "PublicKey": public_der,
            "KeyId": key.arn,
            "KeyPairSpec": spec,
        }
        if with_plaintext:
            result["PrivateKeyPlaintext"] = private_der
        if material_id is not None:
            result["KeyMaterialId"] = material_id
        return result
