"""HMAC KMS keys: GenerateMac and VerifyMac (the HMAC itself is in `mac.py`)."""

from __future__ import annotations

from typing import Any

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import ServiceError
from strongroom.services.kms import mac
from strongroom.services.kms.access import usable_key
from strongroom.services.kms.asymmetric_api import key_material
from strongroom.services.kms.errors import refuse_if_dry_run, require_usage
from strongroom.services.kms.keys import Key

Request = dict[str, Any]
Result = dict[str, Any]


class MacApi:
    """GenerateMac, VerifyMac."""

    def generate_mac(self, ctx: RequestContext, request: Request) -> Result:
        algorithm: str = request["MacAlgorithm"]
        key = self._mac_key(ctx, request, "GenerateMac", algorithm)
        tag = mac.generate_mac(key.key_spec, key_material(ctx, key).secret, algorithm, request["Message"])
        return {"Mac": tag, "MacAlgorithm": algorithm, "KeyId": key.arn}

    def verify_mac(self, ctx: RequestContext, request: Request) -> Result:
        algorithm: str = request["MacAlgorithm"]
        key = self._mac_key(ctx, request, "VerifyMac", algorithm)
        secret = key_material(ctx, key).secret
        if not mac.verify_mac(key.key_spec, secret, algorithm, request["Message"], request["Mac"]):
            raise ServiceError("KMSInvalidMacException", "")
        return {"KeyId": key.arn, "MacValid": True, "MacAlgorithm": algorithm}

    @staticmethod
    def _mac_key(ctx: RequestContext, request: Request, operation: str, algorithm: str) -> Key:
        key = usable_key(
            ctx,
            request["KeyId"],
            operation,
            context_keys={"kms:MacAlgorithm": algorithm},
            grant_tokens=request.get("GrantTokens"),
        ).key
        require_usage(key, "GENERATE_VERIFY_MAC", operation)
        mac.check_mac_algorithm(key.key_spec, algorithm)
        refuse_if_dry_run(request)
        return key
