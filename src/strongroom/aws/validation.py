"""Checks a parsed request against its input shape the way AWS does, with AWS's own messages.

AWS reports every broken constraint at once::

    2 validation errors detected: Value 'abc' at 'keyId' failed to satisfy constraint: Member must
    have length less than or equal to 2; Value null at 'plaintext' failed to satisfy constraint:
    Member must not be null

Paths name members with their first letter lower-cased, joined by dots; list items are
`name.<1-based index>.member`. Sensitive members and blobs are never echoed (`Value at 'x'`).

Model patterns are Java regular expressions; `java_pattern` translates them to Python's `re`
(Unicode `\\p{..}` classes, `\\Q..\\E`, `\\z`, UTF-16 surrogate pairs). A pattern that cannot be
translated faithfully is skipped rather than guessed.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from botocore.model import Shape

from strongroom.aws.errors import ValidationError

__all__ = ["java_pattern", "validate", "validation_errors"]


def validate(shape: Shape | None, params: Mapping[str, Any]) -> None:
    """Raise `ValidationError` listing every constraint of `shape` that `params` breaks."""
    # Nearly every request is valid: a compiled yes/no check answers that without building paths
    # or messages; only a request it rejects walks the shape again to word AWS's errors.
    if shape is None or not isinstance(params, Mapping) or _structure_check(shape)(params):
        return
    errors = validation_errors(shape, params)
    if errors:
        raise ValidationError(_message(errors))


def validation_errors(shape: Shape | None, params: Mapping[str, Any]) -> list[str]:
    """Each broken constraint as AWS words it (`Value 'x' at 'path' failed to satisfy ...`)."""
    errors: list[str] = []
    if shape is not None and isinstance(params, Mapping):
        _check_structure(shape, params, "", errors)
    return errors


def _message(errors: list[str]) -> str:
    count = len(errors)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(errors)


def _member_path(prefix: str, name: str) -> str:
    member = name[:1].lower() + name[1:]
    return f"{prefix}.{member}" if prefix else member


def _check_structure(shape: Shape, value: Mapping[str, Any], path: str, errors: list[str]) -> None:
    if shape.type_name != "structure" or getattr(shape, "is_document_type", False):
        return
    required = set(shape.required_members)
    for name, member in shape.members.items():
        member_path = _member_path(path, name)
        member_value = value.get(name)
        if member_value is None:
            if name in required:
                errors.append(f"Value null at '{member_path}' failed to satisfy constraint: {_NOT_NULL}")
            continue
        _check(member, member_value, member_path, errors)


_NOT_NULL = "Member must not be null"


def _check(shape: Shape, value: Any, path: str, errors: list[str]) -> None:
    for constraint in _constraint_failures(shape, value):
        errors.append(f"{_value_phrase(shape, value)} at '{path}' failed to satisfy constraint: {constraint}")
    type_name = shape.type_name
    if type_name == "structure" and isinstance(value, Mapping):
        _check_structure(shape, value, path, errors)
    elif type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value, start=1):
            item_path = f"{path}.{index}.member"
            if item is None:
                errors.append(f"Value null at '{item_path}' failed to satisfy constraint: {_NOT_NULL}")
            else:
                _check(shape.member, item, item_path, errors)
    elif type_name == "map" and isinstance(value, Mapping):
        _check_map_entries(shape, value, path, errors)


def _check_map_entries(shape: Shape, value: Mapping[Any, Any], path: str, errors: list[str]) -> None:
    key_failures: list[str] = []
    value_failures: list[str] = []
    nested: list[str] = []
    for key, item in value.items():
        key_failures.extend(f for f in _constraint_failures(shape.key, key) if f not in key_failures)
        if item is None:
            continue
        value_failures.extend(f for f in _constraint_failures(shape.value, item) if f not in value_failures)
        if shape.value.type_name in ("structure", "list", "map"):
            item_path = f"{path}.{key}"
            if shape.value.type_name == "structure" and isinstance(item, Mapping):
                _check_structure(shape.value, item, item_path, nested)
            elif shape.value.type_name == "list" and isinstance(item, list):
                for index, element in enumerate(item, start=1):
                    if element is not None:
                        _check(shape.value.member, element, f"{item_path}.{index}.member", nested)
            elif shape.value.type_name == "map" and isinstance(item, Mapping):
                _check_map_entries(shape.value, item, item_path, nested)
    phrase = _value_phrase(shape, value) if key_failures or value_failures else ""
    if key_failures:
        errors.append(
            f"{phrase} at '{path}' failed to satisfy constraint: "
            f"Map keys must satisfy constraint: [{', '.join(key_failures)}]"
        )
    if value_failures:
        errors.append(
            f"{phrase} at '{path}' failed to satisfy constraint: "
            f"Map value must satisfy constraint: [{', '.join(value_failures)}]"
        )
    errors.extend(nested)


def _constraint_failures(shape: Shape, value: Any) -> list[str]:
    """The `Member must ...` phrases for the shape's own constraints that `value` breaks."""
    metadata = shape.metadata
    type_name = shape.type_name
    failures: list[str] = []
    if type_name == "string" and isinstance(value, str):
        enum = metadata.get("enum")
        if enum and value not in enum:
            failures.append(f"Member must satisfy enum value set: [{', '.join(enum)}]")
        failures.extend(_length_failures(metadata, len(value)))
        pattern = metadata.get("pattern")
        if pattern:
            compiled = java_pattern(pattern)
            if compiled is not None and compiled.fullmatch(value) is None:
                failures.append(f"Member must satisfy regular expression pattern: {pattern}")
    elif (
        (type_name == "blob" and isinstance(value, bytes | bytearray))
        or (type_name == "list" and isinstance(value, list))
        or (type_name == "map" and isinstance(value, Mapping))
    ):
        failures.extend(_length_failures(metadata, len(value)))
    elif type_name in _NUMERIC_TYPES and isinstance(value, int | float) and not isinstance(value, bool):
        if "min" in metadata and value < metadata["min"]:
            failures.append(f"Member must have value greater than or equal to {_number(metadata['min'])}")
        if "max" in metadata and value > metadata["max"]:
            failures.append(f"Member must have value less than or equal to {_number(metadata['max'])}")
    return failures


_NUMERIC_TYPES = frozenset({"integer", "long", "float", "double", "bigdecimal", "biginteger"})


def _length_failures(metadata: Mapping[str, Any], length: int) -> list[str]:
    failures: list[str] = []
    if "max" in metadata and length > metadata["max"]:
        failures.append(f"Member must have length less than or equal to {_number(metadata['max'])}")
    if "min" in metadata and length < metadata["min"]:
        failures.append(f"Member must have length greater than or equal to {_number(metadata['min'])}")
    return failures


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _value_phrase(shape: Shape, value: Any) -> str:
    # Secrets never travel back in an error message: AWS drops the value of sensitive members.
    if shape.metadata.get("sensitive") or shape.type_name == "blob" or _contains_sensitive(shape, 0):
        return "Value"
    return f"Value '{_java_string(value)}'"


def _contains_sensitive(shape: Shape, depth: int) -> bool:
    if depth > 8:
        return False
    if shape.metadata.get("sensitive") or shape.type_name == "blob":
        return True
    if shape.type_name == "list":
        return _contains_sensitive(shape.member, depth + 1)
    if shape.type_name == "map":
        return _contains_sensitive(shape.key, depth + 1) or _contains_sensitive(shape.value, depth + 1)
    if shape.type_name == "structure" and not getattr(shape, "is_document_type", False):
        return any(_contains_sensitive(m, depth + 1) for m in shape.members.values())
    return False


def _java_string(value: Any) -> str:
    """Renders a value as Java's `toString` would, which is what AWS echoes."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_java_string(k)}={_java_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_java_string(v) for v in value) + "]"
    return str(value)


# --- compiled checks: does a value break nothing? ----------------------------------------------
#
# Each mirrors the walk above (`_check`, `_check_structure`, `_check_map_entries`) and answers
# only whether it would report nothing. A check is built once per shape and kept on the shape
# object itself (botocore caches member shapes on their parents, and a shape and its checks then
# die together). None stands for "always passes", so members without constraints cost nothing.

_Check = Callable[[Any], bool]
_Compiler = Callable[[Shape, tuple[str, ...]], "_Check | None"]
_STRUCTURE_KEY = "_strongroom_structure_check"
_ENTRIES_KEY = "_strongroom_map_entries_check"
_VALUE_KEY = "_strongroom_value_check"
_OWN_KEY = "_strongroom_own_check"


def _structure_check(shape: Shape) -> _Check:
    """The check of `_check_structure(shape, value, ...)` for a Mapping value."""
    found = _compiled(shape, _STRUCTURE_KEY, _compile_structure, ())
    return found if found is not None else _passes


def _passes(_value: Any) -> bool:
    return True


def _compiled(shape: Shape, key: str, compiler: _Compiler, seen: tuple[str, ...]) -> _Check | None:
    cache = shape.__dict__
    if key in cache:
        found: _Check | None = cache[key]
        return found
    if shape.name in seen:
        # A recursive shape: its next level is another shape object, compiled on first use.
        return _deferred(shape, key, compiler)
    built = cache[key] = compiler(shape, (*seen, shape.name))
    return built


def _deferred(shape: Shape, key: str, compiler: _Compiler) -> _Check:
    def check_later(value: Any) -> bool:
        check = _compiled(shape, key, compiler, ())
        return check is None or check(value)

    return check_later


def _compile_structure(shape: Shape, seen: tuple[str, ...]) -> _Check | None:
    if shape.type_name != "structure" or getattr(shape, "is_document_type", False):
        return None
    required = set(shape.required_members)
    plan: list[tuple[str, bool, _Check | None]] = []
    for name, member in shape.members.items():
        check = _compiled(member, _VALUE_KEY, _compile_value, seen)
        if check is not None or name in required:
            plan.append((name, name in required, check))
    if not plan:
        return None
    members = tuple(plan)

    def check_structure(value: Any) -> bool:
        get = value.get
        for name, is_required, check in members:
            item = get(name)
            if item is None:
                if is_required:
                    return False
            elif check is not None and not check(item):
                return False
        return True

    return check_structure


def _compile_value(shape: Shape, seen: tuple[str, ...]) -> _Check | None:
    """The check of `_check(shape, value, ...)`: own constraints, then what the value holds."""
    own = _own_check(shape)
    type_name = shape.type_name
    nested: _Check | None = None
    if type_name == "structure":
        nested = _when_mapping(_compiled(shape, _STRUCTURE_KEY, _compile_structure, seen))
    elif type_name == "list":
        nested = _list_items_check(_compiled(shape.member, _VALUE_KEY, _compile_value, seen))
    elif type_name == "map":
        nested = _when_mapping(_compiled(shape, _ENTRIES_KEY, _compile_map_entries, seen))
    if own is None:
        return nested
    if nested is None:
        return own
    own_check, nested_check = own, nested
    return lambda value: own_check(value) and nested_check(value)


def _when_mapping(check: _Check | None) -> _Check | None:
    if check is None:
        return None
    inner = check

    def check_mapping(value: Any) -> bool:
        return not isinstance(value, Mapping) or inner(value)

    return check_mapping


def _list_items_check(item_check: _Check | None) -> _Check:
    def check_items(value: Any) -> bool:
        if not isinstance(value, list):
            return True
        if item_check is None:
            return all(item is not None for item in value)
        return all(item is not None and item_check(item) for item in value)

    return check_items


def _compile_map_entries(shape: Shape, seen: tuple[str, ...]) -> _Check | None:
    """The check of `_check_map_entries(shape, value, ...)` for a Mapping value."""
    key_check = _own_check(shape.key)
    value_shape = shape.value
    item_own = _own_check(value_shape)
    item_nested: _Check | None = None
    if value_shape.type_name == "structure":
        item_nested = _when_mapping(_compiled(value_shape, _STRUCTURE_KEY, _compile_structure, seen))
    elif value_shape.type_name == "list":
        element_check = _compiled(value_shape.member, _VALUE_KEY, _compile_value, seen)
        if element_check is not None:
            item_nested = _list_elements_check(element_check)
    elif value_shape.type_name == "map":
        item_nested = _when_mapping(_compiled(value_shape, _ENTRIES_KEY, _compile_map_entries, seen))
    if key_check is None and item_own is None and item_nested is None:
        return None

    def check_entries(value: Any) -> bool:
        for key, item in value.items():
            if key_check is not None and not key_check(key):
                return False
            if item is None:
                continue
            if item_own is not None and not item_own(item):
                return False
            if item_nested is not None and not item_nested(item):
                return False
        return True

    return check_entries


def _list_elements_check(element_check: _Check) -> _Check:
    # Inside a map value, `_check_map_entries` skips null list elements instead of reporting them.
    def check_elements(value: Any) -> bool:
        if not isinstance(value, list):
            return True
        return all(element is None or element_check(element) for element in value)

    return check_elements


def _own_check(shape: Shape) -> _Check | None:
    """The check of `_constraint_failures(shape, value) == []`."""
    cache = shape.__dict__
    if _OWN_KEY not in cache:
        cache[_OWN_KEY] = _compile_own(shape)
    found: _Check | None = cache[_OWN_KEY]
    return found


def _compile_own(shape: Shape) -> _Check | None:
    metadata = shape.metadata
    type_name = shape.type_name
    low: Any = metadata.get("min")
    high: Any = metadata.get("max")
    has_low, has_high = "min" in metadata, "max" in metadata
    if type_name == "string":
        enum = metadata.get("enum")
        allowed = frozenset(enum) if enum else None
        pattern = metadata.get("pattern")
        compiled = java_pattern(pattern) if pattern else None
        fullmatch = compiled.fullmatch if compiled is not None else None
        if allowed is None and not has_low and not has_high and fullmatch is None:
            return None

        def check_string(value: Any) -> bool:
            if not isinstance(value, str):
                return True
            if allowed is not None and value not in allowed:
                return False
            length = len(value)
            if (has_high and length > high) or (has_low and length < low):
                return False
            return fullmatch is None or fullmatch(value) is not None

        return check_string
    if type_name in ("blob", "list", "map") and (has_low or has_high):
        sized: Any = {"blob": (bytes, bytearray), "list": list, "map": Mapping}[type_name]

        def check_length(value: Any) -> bool:
            if not isinstance(value, sized):
                return True
            length = len(value)
            return not ((has_high and length > high) or (has_low and length < low))

        return check_length
    if type_name in _NUMERIC_TYPES and (has_low or has_high):

        def check_range(value: Any) -> bool:
            if not isinstance(value, int | float) or isinstance(value, bool):
                return True
            return not ((has_high and value > high) or (has_low and value < low))

        return check_range
    return None


# --- Java regular expressions -------------------------------------------------------------------


class _Untranslatable(Exception):
    """The Java pattern uses a construct Python's `re` cannot express faithfully."""


@functools.lru_cache(maxsize=4096)
def java_pattern(pattern: str) -> re.Pattern[str] | None:
    """The Python equivalent of a Java regular expression, or None when it cannot be translated."""
    try:
        translated = _translate(pattern)
        with warnings.catch_warnings():
            # Python warns about nested sets ("[[") where Java means a union: treat as untranslatable.
            warnings.simplefilter("error")
            # Java's \w, \d, \s and case folding are ASCII-only by default, like re.ASCII.
            return re.compile(translated, re.ASCII)
    except (_Untranslatable, re.error, FutureWarning, ValueError, OverflowError):
        return None


_POSIX_CLASSES = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "Graph": "a-zA-Z0-9" + re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "Print": "\\x20-\\x7e",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1f\\x7f",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0b\\f\\r",
    "all": "\\x00-\\U0010ffff",
}
_JAVA_WHITESPACE = (
    "\\t\\n\\x0b\\f\\r\\x1c-\\x20\\u1680\\u2000-\\u2006\\u2008-\\u200a\\u2028\\u2029\\u205f\\u3000"
)
_PROPERTY_ALIASES = {
    "IsWhitespace": None,
    "IsWhite_Space": None,
    "IsLetter": "L",
    "IsDigit": "Nd",
    "IsUppercase": "Lu",
    "IsLowercase": "Ll",
    "IsPunctuation": "P",
    "IsControl": "Cc",
}


@functools.lru_cache(maxsize=1)
def _category_ranges() -> dict[str, list[tuple[int, int]]]:
    ranges: dict[str, list[tuple[int, int]]] = {}
    start = 0
    for category, group in itertools.groupby(range(0x110000), key=lambda cp: unicodedata.category(chr(cp))):
        length = sum(1 for _ in group)
        ranges.setdefault(category, []).append((start, start + length - 1))
        start += length
    return ranges


def _ranges_for(name: str) -> list[tuple[int, int]]:
    categories = _category_ranges()
    if name in categories:
        return categories[name]
    if len(name) == 1 and any(c.startswith(name) for c in categories):
        merged = sorted(r for c, rs in categories.items() if c.startswith(name) for r in rs)
        return merged
    raise _Untranslatable(name)


def _complement(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    result: list[tuple[int, int]] = []
    next_start = 0
    for start, end in sorted(ranges):
        if start > next_start:
            result.append((next_start, start - 1))
        next_start = max(next_start, end + 1)
    if next_start <= 0x10FFFF:
        result.append((next_start, 0x10FFFF))
    return result


def _render_ranges(ranges: list[tuple[int, int]]) -> str:
    return "".join(
        f"\\U{start:08x}" if start == end else f"\\U{start:08x}-\\U{end:08x}" for start, end in ranges
    )


@functools.lru_cache(maxsize=256)
def _property_class(name: str, negated: bool) -> str:
    """The contents of a character class (without brackets) for `\\p{name}` or `\\P{name}`."""
    if name in _POSIX_CLASSES and not negated:
        return _POSIX_CLASSES[name]
    if name in ("IsWhitespace", "IsWhite_Space") and not negated:
        return _JAVA_WHITESPACE
    alias = _PROPERTY_ALIASES.get(name, name)
    if alias is None or name in _POSIX_CLASSES:
        raise _Untranslatable(name)
    if alias.startswith("Is") and len(alias) in (3, 4):
        alias = alias[2:]
    ranges = _ranges_for(alias)
    return _render_ranges(_complement(ranges) if negated else ranges)


_UNSUPPORTED_ESCAPES = frozenset("hHvVRXGkKcNe")


def _translate(pattern: str) -> str:
    out: list[str] = []
    in_class = 0
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise _Untranslatable("trailing backslash")
            e = pattern[i + 1]
            i += 2
            if e in "pP":
                if i < n and pattern[i] == "{":
                    close = pattern.find("}", i)
                    if close < 0:
                        raise _Untranslatable("unterminated property")
                    name = pattern[i + 1 : close]
                    i = close + 1
                else:
                    if i >= n:
                        raise _Untranslatable("bad property")
                    name = pattern[i]
                    i += 1
                negated = e == "P"
                if in_class:
                    out.append(_property_class(name, negated))
                    if i + 1 < n and pattern[i] == "-" and pattern[i + 1] != "]":
                        out.append("\\-")
                        i += 1
                else:
                    out.append("[" + _property_class(name, negated) + "]")
            elif e == "Q":
                end = pattern.find("\\E", i)
                literal = pattern[i:] if end < 0 else pattern[i:end]
                i = n if end < 0 else end + 2
                out.append(re.escape(literal))
            elif e == "z":
                out.append("\\Z")
            elif e == "Z":
                if in_class:
                    raise _Untranslatable("\\Z in class")
                out.append("(?=\\n?\\Z)")
            elif e == "u":
                code, i = _unicode_escape(pattern, i)
                out.append(f"\\U{code:08x}")
            elif e == "x" and i < n and pattern[i] == "{":
                close = pattern.find("}", i)
                if close < 0:
                    raise _Untranslatable("bad \\x{}")
                out.append(f"\\U{int(pattern[i + 1 : close], 16):08x}")
                i = close + 1
            elif e in _UNSUPPORTED_ESCAPES:
                raise _Untranslatable(f"\\{e}")
            elif e in "wdsWDS" and in_class and i + 1 < n and pattern[i] == "-" and pattern[i + 1] != "]":
                # Java reads a '-' after a class shorthand as a literal; Python calls it a bad range.
                out.append(f"\\{e}\\-")
                i += 1
            else:
                out.append("\\" + e)
            continue
        if c == "[":
            if in_class:
                raise _Untranslatable("nested character class")
            in_class = 1
            out.append(c)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            continue
        if c == "]" and in_class:
            in_class = 0
        elif in_class and c == "&" and pattern.startswith("&&", i):
            raise _Untranslatable("class intersection")
        out.append(c)
        i += 1
    return "".join(out)


def _unicode_escape(pattern: str, i: int) -> tuple[int, int]:
    digits = pattern[i : i + 4]
    if len(digits) != 4:
        raise _Untranslatable("short \\u escape")
    code = int(digits, 16)
    i += 4
    # Java patterns are UTF-16: a surrogate pair written as two escapes means one code point.
    if 0xD800 <= code <= 0xDBFF and pattern.startswith("\\u", i):
        low = int(pattern[i + 2 : i + 6], 16)
        if 0xDC00 <= low <= 0xDFFF:
            return 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00), i + 6
    return code, i
