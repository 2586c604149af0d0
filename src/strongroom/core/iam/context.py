"""The request context as the policy engine sees it: condition keys and their values.

Condition keys are case-insensitive, so a context is stored under lower-cased keys once per
request. A multivalued key (``aws:TagKeys``, ``aws:CalledVia``) holds a tuple; every other
key holds one scalar (str, bool, int, float, datetime or bytes).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

Scalar = str | bool | int | float | datetime | bytes
ContextValue = Scalar | Sequence[Scalar] | frozenset[str] | set[str]
Context = Mapping[str, Scalar | tuple[Scalar, ...]]

MISSING: object = object()
_SCALARS = (str, bytes, bool, int, float, datetime)


def normalize_context(context: Mapping[str, ContextValue]) -> dict[str, Scalar | tuple[Scalar, ...]]:
    """Lower-case the keys and turn every collection into a tuple."""
    normalized: dict[str, Scalar | tuple[Scalar, ...]] = {}
    for key, value in context.items():
        normalized[key.lower()] = value if isinstance(value, _SCALARS) else tuple(value)
    return normalized


def scalar_text(value: object) -> str | None:
    """The string form AWS compares for a context value; None for multivalued values."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):  # a tuple: faster than a union on this hot path
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return None
