"""EventBridge event patterns: compile once, match many — pure, no I/O.

A pattern is a JSON object whose leaves are arrays of alternatives. Fields AND together,
the alternatives of one leaf OR together, `$or` ORs whole sub-patterns. An alternative is a
literal (string, number, boolean, null) or one comparison object: `prefix`, `suffix`,
`equals-ignore-case`, `wildcard`, `anything-but`, `numeric`, `exists`, `cidr`.

How values in events are seen, as AWS documents it:

- an array in an event matches when any of its elements matches (arrays of arrays flatten);
- an array of objects is matched element by element, so two fields of a sub-pattern must
  match within one element;
- a field holding an object is not a leaf: leaf tests see it as absent;
- an absent field matches only `{"exists": false}`; `anything-but` needs the field present;
- numbers compare numerically (`300` equals `3.0e2`); `numeric` never matches a string,
  and a string literal never matches a number.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["EventPattern", "InvalidEventPattern", "compile_pattern", "matches"]

MAX_PATTERN_LENGTH = 4096
NUMERIC_LIMIT = 5.0e9


class InvalidEventPattern(ValueError):
    """The pattern breaks the pattern language; the message says where, never leaks anything else."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Event pattern is not valid. Reason: {reason}")
        self.reason = reason


_MISSING = object()
ValueTest = Callable[[Any], bool]


@dataclass(frozen=True)
class _Leaf:
    """One field's alternatives: any value of the field meeting any test matches."""

    tests: tuple[ValueTest, ...]
    absent_matches: bool  # an `exists: false` among the alternatives

    def matches(self, value: Any) -> bool:
        if value is not _MISSING and not isinstance(value, dict | list):
            return any(test(value) for test in self.tests)  # a scalar: no list to build
        values = _leaf_values(value)
        if not values:
            return self.absent_matches
        return any(test(v) for v in values for test in self.tests)


@dataclass(frozen=True)
class _Node:
    """An object level of the pattern: every field must match, and one branch of each `$or`."""

    fields: tuple[tuple[str, _Leaf | _Node], ...]
    ors: tuple[tuple[_Node, ...], ...]

    def matches(self, value: Any) -> bool:
        if isinstance(value, list):
            objects = [v for v in _flatten(value) if isinstance(v, dict)]
            if not objects:
                return self._matches_object(_MISSING)
            return any(self._matches_object(v) for v in objects)
        return self._matches_object(value if isinstance(value, dict) else _MISSING)

    def _matches_object(self, obj: Any) -> bool:
        for key, sub in self.fields:
            field = obj.get(key, _MISSING) if isinstance(obj, dict) else _MISSING
            if not sub.matches(field):
                return False
        return all(any(branch._matches_object(obj) for branch in group) for group in self.ors)


class EventPattern:
    """A compiled pattern: `matches(event)` for a decoded JSON event."""

    __slots__ = ("_root", "source")

    def __init__(self, source: Mapping[str, Any], root: _Node) -> None:
        self.source = source
        self._root = root

    def matches(self, event: Mapping[str, Any]) -> bool:
        return self._root._matches_object(event)

    def __repr__(self) -> str:
        return f"EventPattern({json.dumps(self.source, separators=(',', ':'))[:200]})"


def compile_pattern(pattern: str | Mapping[str, Any]) -> EventPattern:
    """Compile a pattern (JSON text or its decoded object), or raise InvalidEventPattern."""
    if isinstance(pattern, str):
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise InvalidEventPattern(f"Pattern is longer than {MAX_PATTERN_LENGTH} characters")
        try:
            decoded = json.loads(pattern, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise InvalidEventPattern(f"Filter is not valid JSON: {_json_error(exc)}") from None
    else:
        decoded = pattern
    if not isinstance(decoded, dict):
        raise InvalidEventPattern("Filter is not an object")
    return EventPattern(decoded, _compile_node(decoded, ""))


@lru_cache(maxsize=4096)
def _cached(pattern: str) -> EventPattern:
    return compile_pattern(pattern)


def matches(pattern: str, event: Mapping[str, Any]) -> bool:
    """Whether `event` matches the pattern text (compiled patterns are cached per process)."""
    return _cached(pattern).matches(event)


def cached_pattern(pattern: str) -> EventPattern:
    """The compiled pattern for this text, compiled once per process."""
    return _cached(pattern)


# -- values as the matcher sees them ------------------------------------------------------------


def _flatten(values: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, list):
            out.extend(_flatten(v))
        else:
            out.append(v)
    return out


def _leaf_values(value: Any) -> list[Any]:
    if value is _MISSING or isinstance(value, dict):
        return []
    if isinstance(value, list):
        return [v for v in _flatten(value) if not isinstance(v, dict)]
    return [value]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _json_error(exc: BaseException) -> str:
    return str(exc).split(":", 1)[0] if isinstance(exc, ValueError) else "nested too deeply"


# -- compiling -----------------------------------------------------------------------------------


def _compile_node(obj: Mapping[str, Any], path: str) -> _Node:
    fields: list[tuple[str, _Leaf | _Node]] = []
    ors: list[tuple[_Node, ...]] = []
    for key, value in obj.items():
        if not isinstance(key, str):
            raise InvalidEventPattern("Field names must be strings")
        where = f"{path}.{key}" if path else key
        if key == "$or":
            ors.append(_compile_or(value, path))
        elif isinstance(value, dict):
            fields.append((key, _compile_node(value, where)))
        elif isinstance(value, list):
            fields.append((key, _compile_leaf(value, where)))
        else:
            raise InvalidEventPattern(f'"{key}" must be an object or an array')
    return _Node(tuple(fields), tuple(ors))


def _compile_or(value: Any, path: str) -> tuple[_Node, ...]:
    if not isinstance(value, list) or len(value) < 2:
        raise InvalidEventPattern("$or must be an array of at least two patterns")
    branches = []
    for branch in value:
        if not isinstance(branch, dict) or not branch:
            raise InvalidEventPattern("Each $or branch must be a non-empty object")
        branches.append(_compile_node(branch, path))
    return tuple(branches)


def _compile_leaf(alternatives: list[Any], where: str) -> _Leaf:
    tests: list[ValueTest] = []
    absent = False
    for alt in alternatives:
        if isinstance(alt, dict):
            test, matches_absent = _compile_operator(alt, where)
            absent = absent or matches_absent
            if test is not None:
                tests.append(test)
        elif isinstance(alt, list):
            raise InvalidEventPattern(f'Match value for "{where}" must be a string, number, boolean or null')
        else:
            tests.append(_literal(alt))
    return _Leaf(tuple(tests), absent)


def _literal(expected: Any) -> ValueTest:
    if expected is None:
        return lambda v: v is None
    if isinstance(expected, bool):
        return lambda v: isinstance(v, bool) and v is expected
    if _is_number(expected):
        target = float(expected)
        return lambda v: _is_number(v) and float(v) == target
    return lambda v: isinstance(v, str) and v == expected


def _compile_operator(alt: Mapping[str, Any], where: str) -> tuple[ValueTest | None, bool]:
    if len(alt) != 1:
        raise InvalidEventPattern(f'Only one key allowed in a match expression for "{where}"')
    ((op, arg),) = alt.items()
    if op == "prefix":
        return _prefix_or_suffix(arg, where, op), False
    if op == "suffix":
        return _prefix_or_suffix(arg, where, op), False
    if op == "equals-ignore-case":
        text = _string_arg(arg, where, op).casefold()
        return (lambda v: isinstance(v, str) and v.casefold() == text), False
    if op == "wildcard":
        regex = _wildcard(_string_arg(arg, where, op), where)
        return (lambda v: isinstance(v, str) and regex.fullmatch(v) is not None), False
    if op == "anything-but":
        return _anything_but(arg, where), False
    if op == "numeric":
        return _numeric(arg, where), False
    if op == "exists":
        if not isinstance(arg, bool):
            raise InvalidEventPattern(f'exists match pattern must be either true or false for "{where}"')
        return ((lambda v: True) if arg else None), not arg
    if op == "cidr":
        return _cidr(arg, where), False
    raise InvalidEventPattern(f'Unrecognized match type {op} for "{where}"')


def _string_arg(arg: Any, where: str, op: str) -> str:
    if not isinstance(arg, str):
        raise InvalidEventPattern(f'{op} match pattern must be a string for "{where}"')
    return arg


def _prefix_or_suffix(arg: Any, where: str, op: str) -> ValueTest:
    if isinstance(arg, dict):
        if len(arg) != 1 or "equals-ignore-case" not in arg:
            raise InvalidEventPattern(f'Unsupported {op} pattern for "{where}"')
        text = _string_arg(arg["equals-ignore-case"], where, op).casefold()
        if op == "prefix":
            return lambda v: isinstance(v, str) and v.casefold().startswith(text)
        return lambda v: isinstance(v, str) and v.casefold().endswith(text)
    text = _string_arg(arg, where, op)
    if op == "prefix":
        return lambda v: isinstance(v, str) and v.startswith(text)
    return lambda v: isinstance(v, str) and v.endswith(text)


def _wildcard(pattern: str, where: str) -> re.Pattern[str]:
    parts: list[str] = []
    i = 0
    previous_star = False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 >= len(pattern) or pattern[i + 1] not in "*\\":
                raise InvalidEventPattern(f'Invalid escape character at pos {i} for "{where}"')
            parts.append(re.escape(pattern[i + 1]))
            i += 2
            previous_star = False
            continue
        if c == "*":
            if previous_star:
                raise InvalidEventPattern(f'Consecutive wildcard characters at pos {i} for "{where}"')
            parts.append(".*")
            previous_star = True
        else:
            parts.append(re.escape(c))
            previous_star = False
        i += 1
    return re.compile("".join(parts), re.DOTALL)


def _anything_but(arg: Any, where: str) -> ValueTest:
    if isinstance(arg, dict):
        if len(arg) != 1:
            raise InvalidEventPattern(f'Only one key allowed in anything-but for "{where}"')
        ((op, inner),) = arg.items()
        if op in ("prefix", "suffix"):
            texts = _strings_or_list(inner, where, f"anything-but {op}")
            if any(t == "" for t in texts):
                raise InvalidEventPattern(f'Null {op} not allowed in anything-but for "{where}"')
            if op == "prefix":
                return lambda v: isinstance(v, str) and not any(v.startswith(t) for t in texts)
            return lambda v: isinstance(v, str) and not any(v.endswith(t) for t in texts)
        if op == "equals-ignore-case":
            folded = {t.casefold() for t in _strings_or_list(inner, where, "anything-but equals-ignore-case")}
            return lambda v: isinstance(v, str) and v.casefold() not in folded
        if op == "wildcard":
            regexes = [_wildcard(t, where) for t in _strings_or_list(inner, where, "anything-but wildcard")]
            return lambda v: isinstance(v, str) and not any(r.fullmatch(v) for r in regexes)
        raise InvalidEventPattern(f'Unsupported anything-but pattern: {op} for "{where}"')
    values = arg if isinstance(arg, list) else [arg]
    if not values:
        raise InvalidEventPattern(f'Inside anything-but list, empty list is not allowed for "{where}"')
    if all(isinstance(v, str) for v in values):
        excluded_strings = frozenset(values)
        return lambda v: not (isinstance(v, str) and v in excluded_strings)
    if all(_is_number(v) for v in values):
        excluded_numbers = frozenset(float(v) for v in values)
        return lambda v: not (_is_number(v) and float(v) in excluded_numbers)
    raise InvalidEventPattern(f'Inside anything-but list, use only strings or only numbers for "{where}"')


def _strings_or_list(arg: Any, where: str, op: str) -> list[str]:
    values = arg if isinstance(arg, list) else [arg]
    if not values or not all(isinstance(v, str) for v in values):
        raise InvalidEventPattern(f'{op} match pattern must be a string or a list of strings for "{where}"')
    return values


_LOWER = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
_UPPER = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b}


def _numeric(arg: Any, where: str) -> ValueTest:
    if not isinstance(arg, list) or len(arg) not in (2, 4):
        raise InvalidEventPattern(
            f'Value of numeric must be an array of one or two comparisons for "{where}"'
        )
    checks: list[tuple[Callable[[float, float], bool], float]] = []
    seen_lower = seen_upper = False
    for i in range(0, len(arg), 2):
        op, bound = arg[i], arg[i + 1]
        if not _is_number(bound) or not math.isfinite(float(bound)):
            raise InvalidEventPattern(f'Value of {op} must be numeric for "{where}"')
        if abs(float(bound)) > NUMERIC_LIMIT:
            raise InvalidEventPattern(f'Value of {op} is out of range for "{where}"')
        if op == "=":
            if len(arg) != 2:
                raise InvalidEventPattern(f'"=" cannot be combined with another comparison for "{where}"')
            target = float(bound)
            return lambda v: _is_number(v) and float(v) == target
        if op in _LOWER and not seen_lower:
            seen_lower = True
            checks.append((_LOWER[op], float(bound)))
        elif op in _UPPER and not seen_upper:
            seen_upper = True
            checks.append((_UPPER[op], float(bound)))
        else:
            raise InvalidEventPattern(f'Unrecognized or repeated numeric operator {op!r} for "{where}"')
    if seen_lower and seen_upper:
        low = next(b for f, b in checks if f in _LOWER.values())
        high = next(b for f, b in checks if f in _UPPER.values())
        if low >= high:
            raise InvalidEventPattern(f'Bottom must be less than top for "{where}"')
    frozen = tuple(checks)
    return lambda v: _is_number(v) and all(f(float(v), b) for f, b in frozen)


def _cidr(arg: Any, where: str) -> ValueTest:
    if not isinstance(arg, str):
        raise InvalidEventPattern(f'cidr match pattern must be a string for "{where}"')
    try:
        network = ipaddress.ip_network(arg, strict=False)
    except ValueError:
        raise InvalidEventPattern(f'Nonstandard IP address: {arg} for "{where}"') from None

    def test(v: Any) -> bool:
        address = _ip(v) if isinstance(v, str) else None
        return address is not None and address in network

    return test


@lru_cache(maxsize=65536)
def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
