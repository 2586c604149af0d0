"""KMS's own error answers that several handlers share, in AWS's words."""

from __future__ import annotations

from typing import Any

from strongroom.aws.errors import ServiceError
from strongroom.services.kms.keys import Key


def invalid_ciphertext() -> ServiceError:
    # AWS answers InvalidCiphertextException with no message: it tells an attacker nothing.
    return ServiceError("InvalidCiphertextException", "")


def incorrect_key() -> ServiceError:
    return ServiceError(
        "IncorrectKeyException",
        "The key ID in the request does not identify a CMK that can perform this operation.",
    )


def invalid_key_usage(key: Key, operation: str) -> ServiceError:
    return ServiceError(
        "InvalidKeyUsageException",
        f"{key.arn} key usage is {key.key_usage} which is not valid for {operation}.",
    )


def require_usage(key: Key, usage: str, operation: str) -> None:
    if key.key_usage != usage:
        raise invalid_key_usage(key, operation)


def refuse_if_dry_run(request: dict[str, Any]) -> None:
    """Every check passed: a DryRun request stops here, as AWS's does."""
    if request.get("DryRun"):
        raise ServiceError(
            "DryRunOperationException",
            "The request would have succeeded, but the DryRun option is set.",
            status=412,
        )


def recipient_unsupported(request: dict[str, Any]) -> None:
    if request.get("Recipient"):
        raise ServiceError(
            "UnsupportedOperationException",
            "Strongroom has no Nitro Enclaves attestation: the Recipient parameter is not supported.",
        )
