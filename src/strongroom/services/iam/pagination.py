"""IAM's pagination: `MaxItems` (default 100) and an opaque `Marker` that resumes a listing.

The marker carries the offset of the next item. Listings are sorted by a stable key, so an offset
resumes where the previous page ended unless entities were created or deleted in between, which
IAM's own markers do not promise to survive either.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeVar

from strongroom.services.iam.errors import invalid_input

T = TypeVar("T")

DEFAULT_MAX_ITEMS = 100
_PREFIX = "SR1:"


def page(items: Sequence[T], request: dict[str, Any]) -> tuple[list[T], dict[str, Any]]:
    """The items of the requested page and the `IsTruncated`/`Marker` members to return with them."""
    start = _offset(request.get("Marker"))
    size = int(request.get("MaxItems") or DEFAULT_MAX_ITEMS)
    end = start + size
    chunk = list(items[start:end])
    if end < len(items):
        return chunk, {"IsTruncated": True, "Marker": _marker(end)}
    return chunk, {"IsTruncated": False}


def _marker(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode()


def _offset(marker: str | None) -> int:
    if not marker:
        return 0
    try:
        text = base64.urlsafe_b64decode(marker.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid_input("Invalid Marker.") from None
    if not text.startswith(_PREFIX) or not text[len(_PREFIX) :].isdigit():
        raise invalid_input("Invalid Marker.")
    return int(text[len(_PREFIX) :])
