"""Secrets Manager's errors, with the codes its model declares and AWS's wording."""

from __future__ import annotations

from strongroom.aws.errors import ServiceError


def not_found(message: str = "Secrets Manager can't find the specified secret.") -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequestException", message)


def exists(message: str) -> ServiceError:
    return ServiceError("ResourceExistsException", message)


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceededException", message)


def malformed_policy(message: str) -> ServiceError:
    return ServiceError("MalformedPolicyDocumentException", message)


def public_policy() -> ServiceError:
    return ServiceError(
        "PublicPolicyException",
        "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent "
        "broad access to the secret.",
    )


def encryption_failure() -> ServiceError:
    return ServiceError(
        "EncryptionFailure",
        "Secrets Manager can't encrypt the protected secret text using the provided KMS key. "
        "Check that the KMS key is available, enabled, and not in an invalid state.",
    )


def decryption_failure() -> ServiceError:
    return ServiceError(
        "DecryptionFailure",
        "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
    )


def kms_access_denied() -> ServiceError:
    return ServiceError("AccessDeniedException", "Access to KMS is not allowed")


MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion."
ON_REPLICA = "Operation not permitted on a replica secret. Call must be made in primary secret's region."
ON_CROSS_ACCOUNT_REPLICA = (
    "Operation not permitted on a cross-account replica secret: its value, staging labels, description "
    "and type come from its primary secret. Make the change on the primary secret, or call "
    "StopReplicationToReplica on this secret first."
)
