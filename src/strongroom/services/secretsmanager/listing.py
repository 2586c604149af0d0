"""ListSecrets and BatchGetSecretValue: filters, sorting and opaque page tokens."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from strongroom.aws.errors import ServiceError
from strongroom.services.secretsmanager.errors import invalid_parameter
from strongroom.services.secretsmanager.records import Secret

T = TypeVar("T")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_FILTER_VALUES = 10


def check_filters(filters: Sequence[dict[str, Any]]) -> None:
    for item in filters:
        values = item.get("Values") or []
        if "Key" not in item:
            raise invalid_parameter("A filter must have a Key.")
        if not values:
            raise invalid_parameter(f"The filter {item['Key']} must have at least one value.")
        if len(values) > MAX_FILTER_VALUES:
            raise invalid_parameter(f"A filter can have at most {MAX_FILTER_VALUES} values.")


def matches(secret: Secret, filters: Sequence[dict[str, Any]]) -> bool:
    """Every filter must match; within one, any value. A leading '!' negates a value; values match
    as prefixes, case-sensitively except for `all`, which looks at name, description and tags."""
    return all(_filter_matches(secret, item["Key"], item["Values"]) for item in filters)


def _filter_matches(secret: Secret, key: str, values: Sequence[str]) -> bool:
    candidates = _fields(secret, key)
    positives = [v for v in values if not v.startswith("!")]
    negatives = [v[1:] for v in values if v.startswith("!")]
    fold = key == "all"

    def hit(value: str) -> bool:
        needle = value.lower() if fold else value
        return any((c.lower() if fold else c).startswith(needle) for c in candidates)

    if any(hit(v) for v in negatives):
        return False
    return not positives or any(hit(v) for v in positives)


def _fields(secret: Secret, key: str) -> list[str]:
    tag_keys = [t["Key"] for t in secret.tags]
    tag_values = [t["Value"] for t in secret.tags]
    if key == "name":
        return [secret.name]
    if key == "description":
        return [secret.description or ""]
    if key == "tag-key":
        return tag_keys
    if key == "tag-value":
        return tag_values
    if key == "primary-region":
        return [secret.primary_arn.split(":")[3] if secret.primary_arn else secret.region]
    if key == "owning-service":
        return [secret.owning_service] if secret.owning_service else []
    return [secret.name, secret.description or "", *tag_keys, *tag_values]


def sort(secrets: list[Secret], sort_by: str | None, order: str | None) -> list[Secret]:
    def key(s: Secret) -> tuple[Any, ...]:
        if sort_by == "name":
            return (s.name,)
        if sort_by == "last-accessed-date":
            return (s.last_accessed_at or _EPOCH, s.created_at, s.name)
        if sort_by == "last-changed-date":
            return (s.last_changed_at, s.name)
        return (s.created_at, s.name)

    return sorted(secrets, key=key, reverse=order == "desc")


def page(items: list[T], token: str | None, max_results: int, salt: str) -> tuple[list[T], str | None]:
    """A slice of `items` and the token of the next one; a token is tied to its listing (salt)."""
    start = 0
    if token:
        start = _read_token(token, salt)
    chunk = items[start : start + max_results]
    more = start + max_results < len(items)
    return chunk, _make_token(start + max_results, salt) if more else None


def _make_token(offset: int, salt: str) -> str:
    raw = json.dumps({"o": offset, "s": salt}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _read_token(token: str, salt: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = int(data["o"])
        if data["s"] != salt or offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ServiceError("InvalidNextTokenException", "The NextToken value is invalid.") from None
