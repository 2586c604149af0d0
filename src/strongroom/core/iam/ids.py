"""AWS-shaped unique identifiers: access key ids, user/role/policy ids, request ids."""

from __future__ import annotations

import random
import secrets
import string
import uuid

_ID_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


def unique_id(prefix: str, length: int = 21) -> str:
    """An IAM unique id such as AIDA… (users), AROA… (roles), ANPA… (policies), AKIA… (keys)."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length - len(prefix)))


def access_key_id(temporary: bool = False) -> str:
    return unique_id("ASIA" if temporary else "AKIA", 20)


def secret_access_key() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


def request_id() -> str:
    """A random UUID for request and event ids: unique, not secret, so no system-entropy call."""
    return str(uuid.UUID(int=random.getrandbits(128), version=4))


def account_id() -> str:
    return "".join(secrets.choice(string.digits) for _ in range(12))
