"""IAM's own error codes, worded as IAM words them.

The model gives each code its HTTP status: NoSuchEntity (404), EntityAlreadyExists (409),
DeleteConflict (409), LimitExceeded (409), MalformedPolicyDocument (400), InvalidInput (400).
"""

from __future__ import annotations

from strongroom.aws.errors import ServiceError


def no_such_entity(message: str) -> ServiceError:
    return ServiceError("NoSuchEntity", message, status=404)


def already_exists(message: str) -> ServiceError:
    return ServiceError("EntityAlreadyExists", message, status=409)


def delete_conflict(message: str) -> ServiceError:
    return ServiceError("DeleteConflict", message, status=409)


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceeded", message, status=409)


def malformed_policy(message: str) -> ServiceError:
    return ServiceError("MalformedPolicyDocument", message, status=400)


def invalid_input(message: str) -> ServiceError:
    return ServiceError("InvalidInput", message, status=400)


def quota_exceeded(quota: str, limit: int) -> ServiceError:
    return limit_exceeded(f"Cannot exceed quota for {quota}: {limit}")
