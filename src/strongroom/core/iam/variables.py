"""Policy variables: ``${aws:username}``, ``${aws:PrincipalTag/team, 'none'}`` and the escapes.

A string in a Resource element or in a String/ARN condition value may hold variables when the
policy's Version is 2012-10-17 (under 2008-10-17 they are plain text). At evaluation time each
variable is replaced by the value of the context key it names; ``${*}``, ``${?}`` and ``${$}``
stand for a literal ``*``, ``?`` and ``$`` that are not wildcards. A variable whose key is
absent or multivalued resolves to its default (``${key, 'default'}``; ``''`` inside a default is
one quote); without a default, the whole value cannot match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from strongroom.core.iam.context import Context, scalar_text

_VARIABLE = re.compile(r"\$\{\s*([^\s,'}]+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}

# A resolved piece of a value: its text, and whether wildcards in it are literal characters.
Piece = tuple[str, bool]


@dataclass(frozen=True, slots=True)
class Variable:
    """``${key}`` or ``${key, 'default'}``: replaced by a context value at evaluation time."""

    key: str
    default: str | None


@dataclass(frozen=True, slots=True)
class Template:
    """A policy string with variables in it, kept in pieces until a request fills them in."""

    source: str
    parts: tuple[Piece | Variable, ...]

    def resolve(self, context: Context) -> tuple[Piece, ...] | None:
        """The pieces with every variable replaced, or None when one cannot be resolved."""
        pieces: list[Piece] = []
        for part in self.parts:
            if isinstance(part, Variable):
                value = context.get(part.key)
                text = scalar_text(value) if value is not None else None
                if text is None:
                    if part.default is None:
                        return None
                    text = part.default
                pieces.append((text, True))
            else:
                pieces.append(part)
        return tuple(pieces)

    def resolve_text(self, context: Context) -> str | None:
        pieces = self.resolve(context)
        return None if pieces is None else "".join(text for text, _ in pieces)


def parse_template(text: str) -> str | Template:
    """The text itself when it holds no variable, else a Template of its pieces."""
    if "${" not in text:
        return text
    parts: list[Piece | Variable] = []
    position = 0
    for match in _VARIABLE.finditer(text):
        if match.start() > position:
            parts.append((text[position : match.start()], False))
        name, default = match.group(1), match.group(2)
        if name in _ESCAPES and default is None:
            parts.append((_ESCAPES[name], True))
        else:
            parts.append(Variable(name.lower(), None if default is None else default.replace("''", "'")))
        position = match.end()
    if not parts:
        return text
    if position < len(text):
        parts.append((text[position:], False))
    return Template(text, tuple(parts))
