"""KEY_AGREEMENT keys: DeriveSharedSecret (ECDH; the computation is in `key_agreement.py`)."""

from __future__ import annotations

from typing import Any

from strongroom.aws.context import RequestContext
from strongroom.services.kms import key_agreement
from strongroom.services.kms.access import usable_key
from strongroom.services.kms.asymmetric_api import key_material
from strongroom.services.kms.errors import recipient_unsupported, refuse_if_dry_run, require_usage

Request = dict[str, Any]
Result = dict[str, Any]


class KeyAgreementApi:
    """DeriveSharedSecret."""

    def derive_shared_secret(self, ctx: RequestContext, request: Request) -> Result:
        recipient_unsupported(request)
        algorithm: str = request["KeyAgreementAlgorithm"]
        key = usable_key(
            ctx,
            request["KeyId"],
            "DeriveSharedSecret",
            context_keys={"kms:KeyAgreementAlgorithm": algorithm},
            grant_tokens=request.get("GrantTokens"),
        ).key
        require_usage(key, "KEY_AGREEMENT", "DeriveSharedSecret")
        refuse_if_dry_run(request)
        secret = key_agreement.derive_shared_secret(
            key.key_spec, key_material(ctx, key).secret, algorithm, request["PublicKey"]
        )
        return {
            "KeyId": key.arn,
            "SharedSecret": secret,
            "KeyAgreementAlgorithm": algorithm,
            "KeyOrigin": key.origin,
        }
