"""Secret names and ARNs: what a name may hold, the random suffix, and how a SecretId is read.

A secret's ARN is ``arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX``: AWS appends a
hyphen and six random characters so that a deleted and re-created secret never gets the old
ARN (and the grants that named it). A SecretId is a name, a full ARN, or a partial ARN (the
ARN without the suffix).
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from functools import lru_cache

from strongroom.services.secretsmanager.errors import invalid_parameter

_NAME = re.compile(r"[A-Za-z0-9/_+=.@!-]+")
_SUFFIX_ALPHABET = string.ascii_letters + string.digits
_ARN = re.compile(r"arn:(aws[a-z-]*):secretsmanager:([a-z0-9-]+):(\d{12}):secret:(.+)")
SUFFIX_LENGTH = 6


def check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise invalid_parameter(
            "Invalid name. Must be a valid name containing alphanumeric characters, "
            "or any of the following: -/_+=.@!"
        )


def new_arn(partition: str, region: str, account: str, name: str) -> str:
    suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
    return arn_for(partition, region, account, f"{name}-{suffix}")


def arn_for(partition: str, region: str, account: str, name_with_suffix: str) -> str:
    return f"arn:{partition}:secretsmanager:{region}:{account}:secret:{name_with_suffix}"


def in_region(arn: str, region: str) -> str:
    """The same secret's ARN in another region (a replica keeps the primary's name and suffix)."""
    parts = arn.split(":", 5)
    parts[3] = region
    return ":".join(parts)


@dataclass(frozen=True)
class SecretRef:
    """Where a SecretId points: an account and region, and an ARN (full or partial) or a name."""

    account: str
    region: str
    arn: str | None
    name: str | None


# Every GetSecretValue reads its SecretId: a pure function of short strings returning an
# immutable SecretRef, so the hot ids are matched once.
@lru_cache(maxsize=4096)
def parse_secret_id(secret_id: str, account: str, region: str) -> SecretRef:
    match = _ARN.fullmatch(secret_id)
    if match is None:
        return SecretRef(account, region, None, secret_id)
    return SecretRef(match.group(3), match.group(2), secret_id, None)
