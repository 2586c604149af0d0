"""Limit/Marker paging as KMS answers it: `Truncated`, and `NextMarker` while more remain."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeVar

from strongroom.aws.errors import ServiceError

T = TypeVar("T")
DEFAULT_LIMIT = 100


def _marker(offset: int) -> str:
    return base64.urlsafe_b64encode(f"kms-page:{offset}".encode()).decode("ascii")


def _offset(marker: str) -> int:
    try:
        text = base64.urlsafe_b64decode(marker.encode("ascii")).decode("ascii")
        prefix, _, value = text.partition(":")
        if prefix != "kms-page" or not value.isdigit():
            raise ValueError
        return int(value)
    except (binascii.Error, ValueError, UnicodeError):
        raise ServiceError("InvalidMarkerException", "Invalid marker value") from None


def page(
    items: Sequence[T], request: dict[str, Any], default_limit: int = DEFAULT_LIMIT
) -> tuple[list[T], dict[str, Any]]:
    """One page of `items` and the members that describe what is left."""
    start = _offset(request["Marker"]) if request.get("Marker") else 0
    limit = int(request.get("Limit") or default_limit)
    chunk = list(items[start : start + limit])
    more: dict[str, Any] = {"Truncated": start + limit < len(items)}
    if more["Truncated"]:
        more["NextMarker"] = _marker(start + limit)
    return chunk, more
