"""The errors the events model declares, with EventBridge's wording."""

from __future__ import annotations

from strongroom.aws.errors import ServiceError, ValidationError


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)


def already_exists(message: str) -> ServiceError:
    return ServiceError("ResourceAlreadyExistsException", message)


def limit_exceeded(
    message: str = "The requested resource exceeds the maximum number allowed.",
) -> ServiceError:
    return ServiceError("LimitExceededException", message)


def invalid_pattern(message: str) -> ServiceError:
    return ServiceError("InvalidEventPatternException", message)


def invalid(message: str) -> ValidationError:
    return ValidationError(message)


def rule_not_found(name: str, bus: str) -> ServiceError:
    return not_found(f"Rule {name} does not exist on EventBus {bus}.")


def bus_not_found(name: str) -> ServiceError:
    return not_found(f"Event bus {name} does not exist.")
