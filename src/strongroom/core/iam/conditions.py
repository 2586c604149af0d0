"""The Condition element: every operator, ``...IfExists``, ``ForAllValues:`` and ``ForAnyValue:``.

Semantics, from "IAM JSON policy elements: Condition operators" and "Multivalued context keys":

- Several values for one key are ORed; several keys, and several operators, are ANDed.
- A key absent from the request makes a positive operator false and a negated one
  (``StringNotEquals``, ``NotIpAddress``, ``ArnNotLike`` …) true; ``...IfExists`` makes it
  true; ``Null`` tests presence itself.
- ``ForAllValues:`` is true when every request value matches (and when the key is absent or
  empty); ``ForAnyValue:`` is true when at least one does (false when absent). With a negated
  operator the negation applies per request value: ``ForAllValues:StringNotEquals`` means no
  request value is in the list.
- Without a set operator a multivalued key behaves like ``ForAnyValue:``, and a negated
  operator is the negation of its positive form.
- Keys are case-insensitive; values compare case-sensitively except ``...IgnoreCase`` and Bool.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Protocol

from strongroom.core.iam.context import MISSING, Context, scalar_text
from strongroom.core.iam.matching import compile_globs, compile_pieces
from strongroom.core.iam.variables import Template, parse_template


class SetOperator(Enum):
    NONE = ""
    FOR_ALL_VALUES = "ForAllValues"
    FOR_ANY_VALUE = "ForAnyValue"


class ValueMatcher(Protocol):
    """Whether one request value matches any of a condition's policy values."""

    def matches(self, value: object, context: Context) -> bool: ...


class InvalidConditionValue(ValueError):
    """A policy value that the operator cannot read (a bad date, number, address …)."""


# --- strings -------------------------------------------------------------------------------


def _policy_strings(
    values: tuple[str, ...], variables: bool, lower: bool
) -> tuple[frozenset[str], tuple[Template, ...]]:
    plain: set[str] = set()
    templates: list[Template] = []
    for value in values:
        parsed = parse_template(value) if variables else value
        if isinstance(parsed, Template):
            templates.append(parsed)
        else:
            plain.add(parsed.lower() if lower else parsed)
    return frozenset(plain), tuple(templates)


@dataclass(frozen=True, slots=True)
class StringEqualsMatcher:
    plain: frozenset[str]
    templates: tuple[Template, ...]
    ignore_case: bool

    def matches(self, value: object, context: Context) -> bool:
        text = scalar_text(value)
        if text is None:
            return False
        if self.ignore_case:
            text = text.lower()
        if text in self.plain:
            return True
        for template in self.templates:
            resolved = template.resolve_text(context)
            if resolved is not None and (resolved.lower() if self.ignore_case else resolved) == text:
                return True
        return False


@dataclass(frozen=True, slots=True)
class GlobMatcher:
    """StringLike and the ARN operators: wildcard patterns, with policy variables."""

    regex: re.Pattern[str] | None
    templates: tuple[Template, ...]
    arn_segments: bool

    def matches(self, value: object, context: Context) -> bool:
        text = scalar_text(value)
        if text is None:
            return False
        if self.regex is not None and self.regex.fullmatch(text) is not None:
            return True
        for template in self.templates:
            pieces = template.resolve(context)
            if pieces is not None and compile_pieces(pieces, self.arn_segments).fullmatch(text) is not None:
                return True
        return False


def _string_equals(ignore_case: bool) -> Callable[[tuple[str, ...], bool], ValueMatcher]:
    def build(values: tuple[str, ...], variables: bool) -> ValueMatcher:
        plain, templates = _policy_strings(values, variables, ignore_case)
        return StringEqualsMatcher(plain, templates, ignore_case)

    return build


def _glob(arn_segments: bool) -> Callable[[tuple[str, ...], bool], ValueMatcher]:
    def build(values: tuple[str, ...], variables: bool) -> ValueMatcher:
        plain: list[str] = []
        templates: list[Template] = []
        for value in values:
            parsed = parse_template(value) if variables else value
            if isinstance(parsed, Template):
                templates.append(parsed)
            else:
                plain.append(parsed)
        regex = compile_globs(tuple(plain), arn_segments) if plain else None
        return GlobMatcher(regex, tuple(templates), arn_segments)

    return build


# --- numbers and dates ---------------------------------------------------------------------

_Compare = Callable[[float, float], bool]


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return None if math.isnan(number) else number
    return None


_EPOCH = re.compile(r"-?\d+(\.\d+)?")


def parse_date(value: object) -> float | None:
    """Seconds since the epoch of an ISO 8601 date/time or an epoch number; None if neither."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.timestamp()
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _EPOCH.fullmatch(text):
        return float(text)
    if text[-1:] in ("z", "Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text.replace("t", "T"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@dataclass(frozen=True, slots=True)
class CompareMatcher:
    """Numeric* and Date* operators: the request value compared with each policy value."""

    bounds: tuple[float, ...]
    compare: _Compare
    read: Callable[[object], float | None]

    def matches(self, value: object, context: Context) -> bool:
        number = self.read(value)
        if number is None:
            return False
        return any(self.compare(number, bound) for bound in self.bounds)


def _numeric(compare: _Compare) -> Callable[[tuple[str, ...], bool], ValueMatcher]:
    def build(values: tuple[str, ...], variables: bool) -> ValueMatcher:
        bounds = []
        for value in values:
            number = _number(value)
            if number is None:
                raise InvalidConditionValue(f"{value!r} is not a number")
            bounds.append(number)
        return CompareMatcher(tuple(bounds), compare, _number)

    return build


def _date(compare: _Compare) -> Callable[[tuple[str, ...], bool], ValueMatcher]:
    def build(values: tuple[str, ...], variables: bool) -> ValueMatcher:
        bounds = []
        for value in values:
            moment = parse_date(value)
            if moment is None:
                raise InvalidConditionValue(f"{value!r} is not a date")
            bounds.append(moment)
        return CompareMatcher(tuple(bounds), compare, parse_date)

    return build


# --- bool, binary, IP addresses ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoolMatcher:
    accepted: frozenset[str]

    def matches(self, value: object, context: Context) -> bool:
        text = scalar_text(value)
        return text is not None and text.lower() in self.accepted


def _bool(values: tuple[str, ...], variables: bool) -> ValueMatcher:
    return BoolMatcher(frozenset(value.lower() for value in values))


@dataclass(frozen=True, slots=True)
class BinaryMatcher:
    accepted: frozenset[bytes]

    def matches(self, value: object, context: Context) -> bool:
        if isinstance(value, bytes):
            return value in self.accepted
        if isinstance(value, str):
            try:
                return base64.b64decode(value, validate=True) in self.accepted
            except (binascii.Error, ValueError):
                return False
        return False


def _binary(values: tuple[str, ...], variables: bool) -> ValueMatcher:
    accepted = set()
    for value in values:
        try:
            accepted.add(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise InvalidConditionValue(f"{value!r} is not base64") from exc
    return BinaryMatcher(frozenset(accepted))


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class IpMatcher:
    networks: tuple[IPNetwork, ...]

    def matches(self, value: object, context: Context) -> bool:
        if not isinstance(value, str):
            return False
        try:
            address = ipaddress.ip_address(value.strip())
        except ValueError:
            return False
        return any(address in network for network in self.networks)


def _ip(values: tuple[str, ...], variables: bool) -> ValueMatcher:
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise InvalidConditionValue(f"{value!r} is not an IP address or CIDR block") from exc
    return IpMatcher(tuple(networks))


# --- the operator table --------------------------------------------------------------------

Builder = Callable[[tuple[str, ...], bool], ValueMatcher]

# name -> (builder, negated)
OPERATORS: Mapping[str, tuple[Builder, bool]] = {
    "StringEquals": (_string_equals(False), False),
    "StringNotEquals": (_string_equals(False), True),
    "StringEqualsIgnoreCase": (_string_equals(True), False),
    "StringNotEqualsIgnoreCase": (_string_equals(True), True),
    "StringLike": (_glob(False), False),
    "StringNotLike": (_glob(False), True),
    "NumericEquals": (_numeric(operator.eq), False),
    "NumericNotEquals": (_numeric(operator.eq), True),
    "NumericLessThan": (_numeric(operator.lt), False),
    "NumericLessThanEquals": (_numeric(operator.le), False),
    "NumericGreaterThan": (_numeric(operator.gt), False),
    "NumericGreaterThanEquals": (_numeric(operator.ge), False),
    "DateEquals": (_date(operator.eq), False),
    "DateNotEquals": (_date(operator.eq), True),
    "DateLessThan": (_date(operator.lt), False),
    "DateLessThanEquals": (_date(operator.le), False),
    "DateGreaterThan": (_date(operator.gt), False),
    "DateGreaterThanEquals": (_date(operator.ge), False),
    "Bool": (_bool, False),
    "BinaryEquals": (_binary, False),
    "IpAddress": (_ip, False),
    "NotIpAddress": (_ip, True),
    "ArnEquals": (_glob(True), False),
    "ArnLike": (_glob(True), False),
    "ArnNotEquals": (_glob(True), True),
    "ArnNotLike": (_glob(True), True),
}
_VARIABLE_OPERATORS = frozenset(name for name in OPERATORS if name.startswith(("String", "Arn")))


class UnknownOperator(ValueError):
    """The condition operator is not one AWS knows."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One key tested by one operator against its policy values."""

    operator: str
    key: str
    values: tuple[str, ...]
    set_operator: SetOperator
    if_exists: bool
    negated: bool
    matcher: ValueMatcher | None  # None for Null

    def evaluate(self, context: Context) -> bool:
        raw = context.get(self.key, MISSING)
        absent = raw is MISSING or raw == () or raw is None
        if self.matcher is None:
            expect = "true" if absent else "false"
            return expect in self.values
        if absent:
            if self.if_exists or self.set_operator is SetOperator.FOR_ALL_VALUES:
                return True
            if self.set_operator is SetOperator.FOR_ANY_VALUE:
                return False
            return self.negated
        matches = self.matcher.matches
        negated = self.negated
        if isinstance(raw, tuple):
            if self.set_operator is SetOperator.FOR_ALL_VALUES:
                return all(matches(value, context) != negated for value in raw)
            if self.set_operator is SetOperator.FOR_ANY_VALUE:
                return any(matches(value, context) != negated for value in raw)
            return any(matches(value, context) for value in raw) != negated
        return matches(raw, context) != negated


def split_operator(name: str) -> tuple[SetOperator, str, bool]:
    """``ForAnyValue:StringLikeIfExists`` -> (FOR_ANY_VALUE, "StringLike", True)."""
    set_operator = SetOperator.NONE
    base = name
    for candidate in (SetOperator.FOR_ALL_VALUES, SetOperator.FOR_ANY_VALUE):
        prefix = candidate.value + ":"
        if base.startswith(prefix):
            set_operator, base = candidate, base[len(prefix) :]
            break
    if_exists = base.endswith("IfExists") and base != "IfExists"
    if if_exists:
        base = base[: -len("IfExists")]
    if base == "Null":
        if if_exists or set_operator is not SetOperator.NONE:
            raise UnknownOperator(name)
    elif base not in OPERATORS:
        raise UnknownOperator(name)
    return set_operator, base, if_exists


def compile_condition(name: str, key: str, values: tuple[str, ...], *, variables: bool) -> Condition:
    """Compile one operator/key/values triple; raises UnknownOperator or InvalidConditionValue."""
    set_operator, base, if_exists = split_operator(name)
    if base == "Null":
        lowered = tuple(value.lower() for value in values)
        if any(value not in ("true", "false") for value in lowered):
            raise InvalidConditionValue("Null takes true or false")
        return Condition(name, key.lower(), lowered, set_operator, False, False, None)
    builder, negated = OPERATORS[base]
    matcher = builder(values, variables and base in _VARIABLE_OPERATORS)
    return Condition(name, key.lower(), values, set_operator, if_exists, negated, matcher)
