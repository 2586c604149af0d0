"""NextToken for Parameter Store listings: an opaque token that resumes after the last item shown.

The token carries the sort key of the last item returned, not an offset, so a page boundary holds
when parameters before it are created or deleted in between.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

from strongroom.services.ssm import errors

T = TypeVar("T")
_PREFIX = "SRSSM1:"


def page(
    items: Sequence[T],
    sort_key: Callable[[T], str | int],
    next_token: str | None,
    max_results: int,
) -> tuple[list[T], str | None]:
    """Items after the token, at most `max_results` of them, and the token of the next page if any."""
    start = 0
    if next_token:
        after = _decode(next_token)
        start = next((i for i, item in enumerate(items) if _comparable(sort_key(item)) > after), len(items))
    chunk = list(items[start : start + max_results])
    more = start + max_results < len(items)
    return chunk, (_encode(_comparable(sort_key(chunk[-1]))) if more and chunk else None)


def _comparable(key: str | int) -> str:
    # Integers sort as fixed-width strings so one comparison serves names and version numbers.
    return f"{key:020d}" if isinstance(key, int) else key


def _encode(after: str) -> str:
    return base64.urlsafe_b64encode((_PREFIX + json.dumps(after)).encode()).decode()


def _decode(token: str) -> str:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if not text.startswith(_PREFIX):
            raise ValueError(token)
        after = json.loads(text[len(_PREFIX) :])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise errors.invalid_next_token() from None
    if not isinstance(after, str):
        raise errors.invalid_next_token()
    return after
