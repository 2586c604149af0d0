"""Tags on secrets: AWS's limits, and merging (TagResource) and removing (UntagResource) them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from strongroom.services.secretsmanager.errors import invalid_parameter

MAX_TAGS = 50


def checked(raw: Sequence[dict[str, Any]] | None) -> list[dict[str, str]]:
    tags = [{"Key": str(t.get("Key", "")), "Value": str(t.get("Value", ""))} for t in raw or []]
    keys = [t["Key"] for t in tags]
    if len(set(keys)) != len(keys):
        raise invalid_parameter("You can't specify the same tag key more than once.")
    for key in keys:
        if not key:
            raise invalid_parameter("A tag key can't be empty.")
        if key.lower().startswith("aws:"):
            raise invalid_parameter("Tag keys that start with aws: are reserved for AWS use.")
    if len(tags) > MAX_TAGS:
        raise invalid_parameter(f"A secret can have at most {MAX_TAGS} tags.")
    return tags


def merged(existing: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    values = {t["Key"]: t["Value"] for t in existing}
    order = [t["Key"] for t in existing]
    for tag in new:
        if tag["Key"] not in values:
            order.append(tag["Key"])
        values[tag["Key"]] = tag["Value"]
    if len(order) > MAX_TAGS:
        raise invalid_parameter(f"A secret can have at most {MAX_TAGS} tags.")
    return [{"Key": k, "Value": values[k]} for k in order]


def without(existing: list[dict[str, str]], keys: Iterable[str]) -> list[dict[str, str]]:
    drop = set(keys)
    return [t for t in existing if t["Key"] not in drop]


def as_map(tags: list[dict[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags}
