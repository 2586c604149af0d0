"""Example plain values for any botocore shape, for protocol round-trip tests.

Deterministic for a seed. Values respect required members, enums, min/max lengths, ranges and
(where a matching string is easy to build) patterns. Timestamps are whole seconds in UTC and
floats are exact in binary, so every protocol's encoding carries them unchanged. Recursive shapes
and deep nesting stop at a depth limit, where only required members are filled.

Public API (kept stable, other protocol tests import it):

    example_value(shape, seed=0, fill_optional=True) -> Any
    example_input(operation_model, seed=0, fill_optional=True) -> dict
    example_output(operation_model, seed=0, fill_optional=True) -> dict
"""

from __future__ import annotations

import functools
import random
import string
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

# The stdlib's own regular-expression parser: it turns a pattern into a tree we can walk.
from re import _constants as _sre_constants  # type: ignore[attr-defined]
from re import _parser as _sre_parse  # type: ignore[attr-defined]
from typing import Any

from botocore.model import OperationModel, Shape

from strongroom.aws.validation import java_pattern

__all__ = ["example_input", "example_output", "example_value"]

MAX_DEPTH = 5
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
_ALNUM = string.ascii_lowercase + string.digits


def example_value(shape: Shape, seed: int = 0, fill_optional: bool = True) -> Any:
    """A plain value valid for `shape` (dict, list, str, int, float, bool, bytes or datetime)."""
    return _Generator(seed, fill_optional).value(shape, 0, ())


def example_input(
    operation_model: OperationModel, seed: int = 0, fill_optional: bool = True
) -> dict[str, Any]:
    """Example parameters for an operation, as a boto3 user would pass them."""
    shape = operation_model.input_shape
    if shape is None:
        return {}
    return _Generator(seed, fill_optional).value(shape, 0, ())  # type: ignore[no-any-return]


def example_output(
    operation_model: OperationModel, seed: int = 0, fill_optional: bool = True
) -> dict[str, Any]:
    """An example result for an operation, as a handler would return it."""
    shape = operation_model.output_shape
    if shape is None:
        return {}
    return _Generator(seed, fill_optional).value(shape, 0, ())  # type: ignore[no-any-return]


class _Generator:
    def __init__(self, seed: int, fill_optional: bool) -> None:
        self.rng = random.Random(seed)
        self.fill_optional = fill_optional

    def value(self, shape: Shape, depth: int, ancestors: tuple[str, ...]) -> Any:
        method = getattr(self, f"_{shape.type_name}", None)
        if method is None:
            raise ValueError(f"no example for shape type {shape.type_name}")
        return method(shape, depth, ancestors)

    # -- containers --------------------------------------------------------------------------

    def _structure(self, shape: Shape, depth: int, ancestors: tuple[str, ...]) -> Any:
        if shape.metadata.get("document"):
            return {"name": "example", "count": 2, "flags": [True, False], "nested": {"k": "v"}}
        shallow = depth >= MAX_DEPTH or shape.name in ancestors
        inner = (*ancestors, shape.name)
        members = {
            name: member
            for name, member in shape.members.items()
            if not member.serialization.get("eventstream") and not member.serialization.get("event")
        }
        if shape.metadata.get("union"):
            if not members:
                return {}
            names = sorted(members)
            if shallow:
                scalars = [n for n in names if members[n].type_name not in ("structure", "list", "map")]
                names = scalars or names
            chosen = names[self.rng.randrange(len(names))]
            return {chosen: self.value(members[chosen], depth + 1, inner)}
        required = set(shape.required_members)
        result: dict[str, Any] = {}
        for name, member in members.items():
            if name in required or (self.fill_optional and not shallow):
                result[name] = self.value(member, depth + 1, inner)
        return result

    def _list(self, shape: Shape, depth: int, ancestors: tuple[str, ...]) -> Any:
        count = self._count(shape, depth, ancestors)
        return [self.value(shape.member, depth + 1, ancestors) for _ in range(count)]

    def _map(self, shape: Shape, depth: int, ancestors: tuple[str, ...]) -> Any:
        count = self._count(shape, depth, ancestors)
        result: dict[Any, Any] = {}
        for _ in range(count * 4):
            if len(result) >= count:
                break
            key = self.value(shape.key, depth + 1, ancestors)
            result[key] = self.value(shape.value, depth + 1, ancestors)
        return result

    def _count(self, shape: Shape, depth: int, ancestors: tuple[str, ...]) -> int:
        low = int(shape.metadata.get("min", 0))
        high = int(shape.metadata.get("max", 3))
        wanted = low if depth >= MAX_DEPTH or not self.fill_optional else self.rng.randint(1, 2)
        return max(low, min(wanted, high))

    # -- scalars -----------------------------------------------------------------------------

    def _string(self, shape: Shape, depth: int, ancestors: tuple[str, ...]) -> Any:
        if shape.serialization.get("jsonvalue"):
            return {"example": "value", "n": 1}
        enum = shape.metadata.get("enum")
        if enum:
            return enum[self.rng.randrange(len(enum))]
        low = int(shape.metadata.get("min", 0))
        high = int(shape.metadata.get("max", 64))
        pattern = shape.metadata.get("pattern")
        if pattern:
            matched = _string_matching(pattern, low, high)
            if matched is not None:
                return matched
        length = max(low, min(self.rng.randint(6, 14), high))
        text = "ex" + "".join(self.rng.choice(_ALNUM) for _ in range(max(length - 2, 0)))
        return text[:length] if length else ""

    def _blob(self, shape: Shape, depth: int, ancestors: tuple[str, ...]) -> Any:
        low = int(shape.metadata.get("min", 0))
        high = int(shape.metadata.get("max", 64))
        length = max(low, min(self.rng.randint(1, 24), high))
        return bytes(self.rng.randrange(256) for _ in range(length))

    def _boolean(self, shape: Shape, depth: int, ancestors: tuple[str, ...]) -> Any:
        return self.rng.random() < 0.5

    def _integer(self, shape: Shape, depth: int, ancestors: tuple[str, ...]) -> Any:
        low = shape.metadata.get("min")
        high = shape.metadata.get("max")
        lo = int(low) if low is not None else 1
        hi = int(high) if high is not None else max(lo, 1000)
        if lo > hi:
            return lo
        return self.rng.randint(lo, min(hi, lo + 1000))

    _long = _integer

    def _float(self, shape: Shape, depth: int, ancestors: tuple[str, ...]) -> Any:
        low = float(shape.metadata.get("min", 0))
        high = float(shape.metadata.get("max", low + 100))
        # Quarter steps are exact in float32 and float64, so every encoding keeps them.
        value = low + self.rng.randint(0, 40) * 0.25
        return value if value <= high else low

    _double = _float

    def _timestamp(self, shape: Shape, depth: int, ancestors: tuple[str, ...]) -> Any:
        return _EPOCH + timedelta(seconds=self.rng.randint(0, 10**8))


# -- strings matching a pattern ------------------------------------------------------------------

_PREFERRED_CHARS = "abcxyz0123456789ABCXYZ-_.:/ @+=,"


@functools.cache
def _string_matching(pattern: str, low: int, high: int) -> str | None:
    compiled = java_pattern(pattern)
    if compiled is None:
        return None
    try:
        parsed = _sre_parse.parse(compiled.pattern, compiled.flags)
    except Exception:
        return None
    for attempt, repeat in enumerate((1, 3, 2, 8, max(low, 1), 20, 0)):
        try:
            text = _Builder(repeat, attempt).build(parsed)
        except _NoExample:
            continue
        if low <= len(text) <= high and compiled.fullmatch(text):
            return text
    return None


class _NoExample(Exception):
    pass


class _Builder:
    """Walks a parsed regular expression and writes one string it matches."""

    def __init__(self, repeat: int, attempt: int) -> None:
        self.repeat = repeat
        self.attempt = attempt
        self.groups: dict[int, str] = {}

    def build(self, items: Any) -> str:
        out: list[str] = []
        for op, arg in items:
            out.append(self._node(op, arg))
        return "".join(out)

    def _node(self, op: Any, arg: Any) -> str:
        c = _sre_constants
        if op is c.LITERAL:
            return chr(arg)
        if op is c.NOT_LITERAL:
            return next(ch for ch in _PREFERRED_CHARS if ord(ch) != arg)
        if op is c.ANY:
            return "a"
        if op is c.IN:
            return self._char_in(arg)
        if op is c.BRANCH:
            options = arg[1]
            return self.build(options[self.attempt % len(options)])
        if op is c.SUBPATTERN:
            group, _add, _del, sub = arg
            text = self.build(sub)
            if group:
                self.groups[group] = text
            return text
        if op is getattr(c, "ATOMIC_GROUP", None):
            return self.build(arg)
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, high, sub = arg
            high = low + 1000 if high is c.MAXREPEAT else high
            count = max(low, min(self.repeat, high))
            return "".join(self.build(sub) for _ in range(count))
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            return ""
        if op is c.GROUPREF:
            return self.groups.get(arg, "")
        if op is c.CATEGORY:
            return self._char_in([(op, arg)])
        raise _NoExample(str(op))

    def _char_in(self, items: Any) -> str:
        for ch in _PREFERRED_CHARS:
            if _in_class(ch, items):
                return ch
        negated = any(op is _sre_constants.NEGATE for op, _ in items)
        if not negated:
            for op, arg in items:
                if op is _sre_constants.LITERAL:
                    return chr(arg)
                if op is _sre_constants.RANGE:
                    return chr(arg[0])
        raise _NoExample("character class")


_CATEGORY_TESTS: dict[str, Callable[[str], bool]] = {
    "CATEGORY_DIGIT": lambda ch: ch.isascii() and ch.isdigit(),
    "CATEGORY_NOT_DIGIT": lambda ch: not (ch.isascii() and ch.isdigit()),
    "CATEGORY_WORD": lambda ch: ch.isascii() and (ch.isalnum() or ch == "_"),
    "CATEGORY_NOT_WORD": lambda ch: not (ch.isascii() and (ch.isalnum() or ch == "_")),
    "CATEGORY_SPACE": lambda ch: ch in " \t\n\r\f\v",
    "CATEGORY_NOT_SPACE": lambda ch: ch not in " \t\n\r\f\v",
}


def _in_class(ch: str, items: Any) -> bool:
    c = _sre_constants
    negated = False
    found = False
    for op, arg in items:
        if op is c.NEGATE:
            negated = True
        elif op is c.LITERAL:
            found = found or ord(ch) == arg
        elif op is c.RANGE:
            found = found or arg[0] <= ord(ch) <= arg[1]
        elif op is c.CATEGORY:
            test = _CATEGORY_TESTS.get(str(arg))
            found = found or bool(test and test(ch))
    return found != negated
