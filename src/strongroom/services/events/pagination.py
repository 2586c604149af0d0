"""NextToken / Limit paging over a name-ordered listing."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeVar

from strongroom.services.events.errors import invalid

T = TypeVar("T")
DEFAULT_LIMIT = 100


def page(
    items: Sequence[T], request: dict[str, Any], *, limit_key: str = "Limit"
) -> tuple[list[T], dict[str, Any]]:
    start = 0
    token = request.get("NextToken")
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("offset:"))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise invalid("The NextToken is not valid.") from None
    limit = int(request.get(limit_key) or DEFAULT_LIMIT)
    chunk = list(items[start : start + limit])
    more: dict[str, Any] = {}
    if start + limit < len(items):
        more["NextToken"] = base64.urlsafe_b64encode(f"offset:{start + limit}".encode()).decode()
    return chunk, more
