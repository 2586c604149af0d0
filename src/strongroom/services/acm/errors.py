"""ACM's error codes (all HTTP 400 in the model), worded as ACM words them."""

from __future__ import annotations

from strongroom.aws.errors import ServiceError


def not_found(arn: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Could not find certificate {arn}.")


def invalid_arn(arn: str) -> ServiceError:
    return ServiceError("InvalidArnException", f"String '{arn}' is not a valid ARN.")


def in_progress(arn: str, status: str) -> ServiceError:
    return ServiceError(
        "RequestInProgressException", f"Certificate '{arn}' is in '{status}' state. It has not been issued."
    )


def in_use(arn: str) -> ServiceError:
    return ServiceError("ResourceInUseException", f"Certificate {arn} is in use.")


def invalid_state(message: str) -> ServiceError:
    return ServiceError("InvalidStateException", message)


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def invalid_domain_options(message: str) -> ServiceError:
    return ServiceError("InvalidDomainValidationOptionsException", message)


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceededException", message)


def too_many_tags(message: str) -> ServiceError:
    return ServiceError("TooManyTagsException", message)


def invalid_tag(message: str) -> ServiceError:
    return ServiceError("InvalidTagException", message)


def conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message)


def invalid_args(message: str) -> ServiceError:
    return ServiceError("InvalidArgsException", message)
