"""Bucket naming rules and S3's ARNs, as AWS defines them."""

from __future__ import annotations

import re

from strongroom.aws.errors import ServiceError

_LABELS = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
_IP_LIKE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """Why `name` breaks the general purpose bucket naming rules, or None if it is valid."""
    if not 3 <= len(name) <= 63:
        return "Bucket names must be between 3 (min) and 63 (max) characters long."
    if not _LABELS.match(name):
        return (
            "Bucket names can consist only of lowercase letters, numbers, periods and hyphens, and must "
            "begin and end with a letter or number."
        )
    if ".." in name or ".-" in name or "-." in name:
        return "Bucket names must not contain two adjacent periods or a period next to a hyphen."
    if _IP_LIKE.match(name):
        return "Bucket names must not be formatted as an IP address."
    if name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES):
        return "Bucket names must not use a reserved prefix or suffix."
    return None


def check_bucket_name(name: str) -> None:
    if bucket_name_problem(name) is not None:
        raise ServiceError(
            "InvalidBucketName", "The specified bucket is not valid.", extra={"BucketName": name}
        )


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"
