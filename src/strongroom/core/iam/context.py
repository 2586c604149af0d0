"""The request context as the policy engine sees it: condition keys and their values.

Condition keys are case-insensitive, so a context is stored under lower-cased keys once per
request. A multivalued key (``aws:TagKeys``, ``aws:CalledVia``) holds a tuple; every other
key holds one scalar (str, bool, int, float, datetime or bytes).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime

Scalar = str | bool | int | float | datetime | bytes
ContextValue = Scalar | Sequence[Scalar] | frozenset[str] | set[str]
Context = Mapping[str, Scalar | tuple[Scalar, ...]]

MISSING: object = object()
SCALARS = (str, bytes, bool, int, float, datetime)  # the types a context value keeps as it is


def normalize_context(context: Mapping[str, ContextValue]) -> dict[str, Scalar | tuple[Scalar, ...]]:
    """Lower-case the keys and turn every collection into a tuple."""
    if isinstance(context, PreparedContext):
        return context.normalized()
    normalized: dict[str, Scalar | tuple[Scalar, ...]] = {}
    for key, value in context.items():
        normalized[key.lower()] = value if isinstance(value, SCALARS) else tuple(value)
    return normalized


def normal_value(value: ContextValue) -> Scalar | tuple[Scalar, ...]:
    return value if isinstance(value, SCALARS) else tuple(value)


class PreparedContext(Mapping[str, Scalar | tuple[Scalar, ...]]):
    """A context in normal form (lower-case keys, tuples), built only when first read.

    Most decisions read no condition key at all (a key policy naming the account, a statement
    without a Condition), so the authorizer hands over the recipe rather than the context.
    """

    __slots__ = ("_build", "_built")

    def __init__(self, build: Callable[[], dict[str, Scalar | tuple[Scalar, ...]]]) -> None:
        self._build = build
        self._built: dict[str, Scalar | tuple[Scalar, ...]] | None = None

    def normalized(self) -> dict[str, Scalar | tuple[Scalar, ...]]:
        built = self._built
        if built is None:
            built = self._built = self._build()
        return built

    def __getitem__(self, key: str) -> Scalar | tuple[Scalar, ...]:
        return self.normalized()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.normalized())

    def __len__(self) -> int:
        return len(self.normalized())

    def __repr__(self) -> str:
        return f"PreparedContext({self.normalized()!r})"


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
