"""What a target receives: the event, `Input`, `InputPath`, or an `InputTransformer` template.

JSON paths are the subset AWS supports: `$`, dot notation (names with letters, digits, dashes,
underscores and slashes), array indices (`[0]`) and `*` (every member, collected into a list).

Template substitution follows AWS's documented rules: a placeholder inside a JSON string
literal receives the value's text, escaped for a JSON string (a string's own characters, or
any other value's JSON); a placeholder outside quotes receives the value as JSON when the
template is JSON (an object or array), and a string's bare text in a plain-text template.
A path that finds nothing yields `null` (an empty string inside quotes).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "InvalidTransform",
    "check_input_path",
    "check_template",
    "render_input",
    "resolve_path",
]

_SEGMENT = re.compile(r"\.([A-Za-z0-9_\-/@:$]+|\*)|\[(\d+|\*)\]")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_MISSING = object()
RESERVED_PREFIX = "aws."


class InvalidTransform(ValueError):
    """A path or template AWS would refuse (raised at PutTargets, never at delivery)."""


def _segments(path: str) -> list[str | int]:
    if path == "$":
        return []
    if not path.startswith("$"):
        raise InvalidTransform(f"Invalid JsonPath: {path}")
    out: list[str | int] = []
    position = 1
    for match in _SEGMENT.finditer(path, 1):
        if match.start() != position:
            raise InvalidTransform(f"Invalid JsonPath: {path}")
        name, index = match[1], match[2]
        if name is not None:
            out.append(name)
        else:
            out.append("*" if index == "*" else int(index))
        position = match.end()
    if position != len(path):
        raise InvalidTransform(f"Invalid JsonPath: {path}")
    return out


def check_input_path(path: str) -> None:
    _segments(path)


def resolve_path(document: Any, path: str) -> Any:
    """The value at `path` in `document`, or None when the path finds nothing."""
    value = _walk(document, _segments(path))
    return None if value is _MISSING else value


def _walk(value: Any, segments: list[str | int]) -> Any:
    for i, segment in enumerate(segments):
        if segment == "*":
            members = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
            found = [_walk(m, segments[i + 1 :]) for m in members]
            return [f for f in found if f is not _MISSING]
        if isinstance(segment, int):
            if not isinstance(value, list) or segment >= len(value):
                return _MISSING
            value = value[segment]
        elif isinstance(value, dict) and segment in value:
            value = value[segment]
        else:
            return _MISSING
    return value


def check_template(paths: Mapping[str, str], template: str) -> None:
    for name, path in paths.items():
        if name.lower().startswith(RESERVED_PREFIX):
            raise InvalidTransform(f"InputPathsMap key {name} is reserved: keys cannot start with 'aws.'")
        check_input_path(path)
    if _looks_like_json(template):
        # Placeholders are replaced by a neutral value first: the rest must be valid JSON.
        probe = _substitute(template, lambda name, quoted: "" if quoted else "null", json_template=True)
        try:
            json.loads(probe)
        except ValueError:
            raise InvalidTransform("InputTemplate is not valid JSON.") from None


def _looks_like_json(template: str) -> bool:
    return template.lstrip()[:1] in ("{", "[")


def render_input(
    event: Mapping[str, Any],
    *,
    input_text: str | None,
    input_path: str | None,
    transformer: Mapping[str, Any] | None,
    rule_arn: str,
    rule_name: str,
    ingestion_time: str,
) -> str:
    """The body a target receives for this event, as text."""
    if input_text is not None:
        return input_text
    if input_path is not None:
        return json.dumps(resolve_path(event, input_path), separators=(",", ":"))
    if transformer is None:
        return json.dumps(event, separators=(",", ":"))
    values: dict[str, Any] = {
        name: resolve_path(event, path) for name, path in (transformer.get("InputPathsMap") or {}).items()
    }
    without_detail = {k: v for k, v in event.items() if k != "detail"}
    predefined: dict[str, Any] = {
        "aws.events.rule-arn": rule_arn,
        "aws.events.rule-name": rule_name,
        "aws.events.event.ingestion-time": ingestion_time,
        "aws.events.event": _Raw(json.dumps(without_detail, separators=(",", ":"))),
        "aws.events.event.json": _Raw(json.dumps(dict(event), separators=(",", ":"))),
    }
    template: str = transformer["InputTemplate"]
    is_json = _looks_like_json(template)

    def fill(name: str, quoted: bool) -> str | None:
        if name in predefined:
            value = predefined[name]
        elif name in values:
            value = values[name]
        else:
            return None  # not a variable: the text stays as written
        return _render_value(value, quoted=quoted, json_template=is_json)

    return _substitute(template, fill, json_template=is_json)


class _Raw(str):
    """Already JSON text (the predefined whole-event variables): inserted unescaped."""


def _render_value(value: Any, *, quoted: bool, json_template: bool) -> str:
    if isinstance(value, _Raw):
        return str(value)
    if quoted:
        text = value if isinstance(value, str) else ("" if value is None else _json(value))
        return json.dumps(text)[1:-1]
    if isinstance(value, str) and not json_template:
        return value
    return _json(value)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _substitute(template: str, fill: Any, *, json_template: bool) -> str:
    out: list[str] = []
    in_string = False
    i = 0
    while i < len(template):
        c = template[i]
        if c == "\\" and in_string:
            out.append(template[i : i + 2])
            i += 2
            continue
        if c == '"':
            in_string = not in_string
            out.append(c)
            i += 1
            continue
        if c == "<":
            match = _PLACEHOLDER.match(template, i)
            if match is not None:
                replacement = fill(match[1], in_string)
                if replacement is not None:
                    out.append(replacement)
                    i = match.end()
                    continue
        out.append(c)
        i += 1
    return "".join(out)
