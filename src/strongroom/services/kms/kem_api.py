"""ENCAPSULATE_DECAPSULATE keys (ML-KEM): Encapsulate and Decapsulate (the KEM is in `kem.py`)."""

from __future__ import annotations

from typing import Any

from strongroom.aws.context import RequestContext
from strongroom.services.kms import kem
from strongroom.services.kms.access import usable_key
from strongroom.services.kms.asymmetric_api import key_material
from strongroom.services.kms.errors import refuse_if_dry_run, require_usage
from strongroom.services.kms.keys import Key

Request = dict[str, Any]
Result = dict[str, Any]


class KemApi:
    """Encapsulate, Decapsulate."""

    def encapsulate(self, ctx: RequestContext, request: Request) -> Result:
        algorithm: str = request["EncapsulationAlgorithm"]
        key = self._kem_key(ctx, request, "Encapsulate", algorithm)
        secret, ciphertext = kem.encapsulate(key.key_spec, key_material(ctx, key).secret, algorithm)
        return {
            "KeyId": key.arn,
            "SharedSecret": secret,
            "SharedSecretCiphertextBlob": ciphertext,
            "EncapsulationAlgorithm": algorithm,
        }

    def decapsulate(self, ctx: RequestContext, request: Request) -> Result:
        algorithm: str = request["EncapsulationAlgorithm"]
        key = self._kem_key(ctx, request, "Decapsulate", algorithm)
        secret = kem.decapsulate(
            key.key_spec, key_material(ctx, key).secret, algorithm, request["SharedSecretCiphertextBlob"]
        )
        return {"KeyId": key.arn, "SharedSecret": secret, "EncapsulationAlgorithm": algorithm}

    @staticmethod
    def _kem_key(ctx: RequestContext, request: Request, operation: str, algorithm: str) -> Key:
        key = usable_key(ctx, request["KeyId"], operation, grant_tokens=request.get("GrantTokens")).key
        require_usage(key, "ENCAPSULATE_DECAPSULATE", operation)
        kem.check_encapsulation_algorithm(key.key_spec, algorithm)
        refuse_if_dry_run(request)
        return key
