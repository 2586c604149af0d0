"""ParameterFilters (and DescribeParameters' older Filters): which keys, options and values are valid
where, and whether a parameter matches.

DescribeParameters takes Name (Equals, BeginsWith, Contains), Path (OneLevel, Recursive), Type,
KeyId, Tier, DataType and `tag:<key>` (Equals, BeginsWith); GetParametersByPath takes Type and KeyId
(Equals, BeginsWith) and Label (Equals). Each key may appear once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from strongroom.services.ssm import errors, names, tiers, values
from strongroom.services.ssm.parameters import Version

EQUALS, BEGINS_WITH, CONTAINS = "Equals", "BeginsWith", "Contains"
ONE_LEVEL, RECURSIVE = "OneLevel", "Recursive"
DESCRIBE_KEYS = ("Name", "Type", "KeyId", "Path", "Tier", "DataType")
BY_PATH_KEYS = ("Type", "KeyId", "Label")
_TYPES = (values.STRING, values.STRING_LIST, values.SECURE_STRING)
_FILTER_TIERS = (tiers.STANDARD, tiers.ADVANCED, tiers.INTELLIGENT)


@dataclass(frozen=True)
class Filter:
    key: str
    option: str
    values: tuple[str, ...]

    @property
    def tag_key(self) -> str | None:
        return self.key[4:] if self.key.startswith("tag:") else None


def for_describe(legacy: list[dict[str, Any]] | None, filters: list[dict[str, Any]] | None) -> list[Filter]:
    if legacy and filters:
        raise errors.validation("You can use either Filters or ParameterFilters in a single request.")
    if legacy:
        _no_duplicates([f["Key"] for f in legacy])
        # The older Filters: Name finds names that begin with a value; Type and KeyId are exact.
        return [
            Filter(f["Key"], BEGINS_WITH if f["Key"] == "Name" else EQUALS, tuple(f["Values"]))
            for f in legacy
        ]
    parsed = [_parse(f, DESCRIBE_KEYS, allow_tags=True) for f in filters or []]
    _no_duplicates([f.key for f in parsed])
    return parsed


def for_by_path(filters: list[dict[str, Any]] | None) -> list[Filter]:
    parsed = [_parse(f, BY_PATH_KEYS, allow_tags=False) for f in filters or []]
    _no_duplicates([f.key for f in parsed])
    return parsed


def _no_duplicates(keys: list[str]) -> None:
    for key in keys:
        if keys.count(key) > 1:
            raise errors.invalid_filter_key(
                f"The following filter is duplicated in the request: {key}. A request can contain only one "
                "occurrence of a specific filter."
            )


def _parse(raw: dict[str, Any], keys: tuple[str, ...], *, allow_tags: bool) -> Filter:
    key = raw["Key"]
    is_tag = key.startswith("tag:")
    if (is_tag and not allow_tags) or (not is_tag and key not in keys):
        valid = ", ".join(keys + (("tag:<key>",) if allow_tags else ()))
        raise errors.invalid_filter_key(
            f"The following filter key is not valid: {key}. Valid filter keys include: [{valid}]."
        )
    filter_values = tuple(raw.get("Values") or ())
    option = raw.get("Option") or (ONE_LEVEL if key == "Path" else EQUALS)
    _check_option(key, option, keys)
    if not filter_values and not is_tag:
        raise errors.invalid_filter_value(
            f"The following filter values are missing : null for filter key {key}."
        )
    _check_values(key, filter_values)
    return Filter(key, option, filter_values)


def _check_option(key: str, option: str, keys: tuple[str, ...]) -> None:
    if key == "Path":
        valid: tuple[str, ...] = (RECURSIVE, ONE_LEVEL)
    elif key == "Label":
        valid = (EQUALS,)
    elif key == "Name":
        valid = (EQUALS, BEGINS_WITH, CONTAINS)
    else:
        valid = (EQUALS, BEGINS_WITH)
    if option not in valid:
        raise errors.invalid_filter_option(
            f"The following filter option is not valid: {option}. "
            f"Valid options include: [{', '.join(valid)}]."
        )


def _check_values(key: str, filter_values: tuple[str, ...]) -> None:
    allowed = {"Type": _TYPES, "Tier": _FILTER_TIERS, "DataType": values.DATA_TYPES}.get(key)
    for value in filter_values:
        if allowed is not None and value not in allowed:
            raise errors.invalid_filter_value(
                f"The following filter value is not valid: {value}. "
                f"Valid values include: [{', '.join(allowed)}]."
            )
        if key == "Path" and (
            not value.startswith("/") or (value != "/" and not names.is_valid_name(value.rstrip("/")))
        ):
            raise errors.invalid_filter_value(
                f"The following filter value is not valid: {value}. A path must begin with a forward slash "
                '"/" and use only letters, numbers and the symbols .-_ in its sub-paths.'
            )


def matches(
    version: Version,
    flt: Filter,
    *,
    tags: Mapping[str, str],
    labels: list[str],
) -> bool:
    tag_key = flt.tag_key
    if tag_key is not None:
        if tag_key not in tags:
            return False
        return not flt.values or any(_compare(tags[tag_key], v, flt.option) for v in flt.values)
    if flt.key == "Path":
        return any(names.under_path(version.name, v, recursive=flt.option == RECURSIVE) for v in flt.values)
    if flt.key == "Label":
        return any(label in flt.values for label in labels)
    if flt.key == "Name":
        bare = version.name.lstrip("/")
        return any(_compare(bare, v.lstrip("/"), flt.option) for v in flt.values)
    field = {
        "Type": version.type,
        "KeyId": version.key_id,
        "Tier": version.tier,
        "DataType": version.data_type,
    }[flt.key]
    return field is not None and any(_compare(field, v, flt.option) for v in flt.values)


def _compare(field: str, value: str, option: str) -> bool:
    if option == BEGINS_WITH:
        return field.startswith(value)
    if option == CONTAINS:
        return value in field
    return field == value
