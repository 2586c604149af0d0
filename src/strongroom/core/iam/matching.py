"""Wildcard matching for actions, resources and ARN conditions, compiled once and cached.

``*`` matches any run of characters and ``?`` exactly one. In an ARN pattern (one that starts
with ``arn:`` and has all six segments) a wildcard in the first five segments stays inside its
segment, as AWS checks each segment separately; in the resource segment it may span ``:`` and
``/``. A set of patterns becomes one alternation regex, so matching a statement's Action or
Resource list costs one ``fullmatch``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from strongroom.core.iam.context import Context
from strongroom.core.iam.variables import Piece, Template, parse_template


def _is_arn_pattern(pieces: Sequence[Piece]) -> bool:
    text = "".join(text for text, _ in pieces)
    return text.startswith("arn:") and text.count(":") >= 5


def _glob_source(pieces: Sequence[Piece], arn_segments: bool) -> str:
    arn = arn_segments and _is_arn_pattern(pieces)
    out: list[str] = []
    colons = 0
    for text, literal in pieces:
        for char in text:
            if char == ":":
                colons += 1
                out.append(":")
            elif char == "*" and not literal:
                out.append("[^:]*" if arn and colons < 5 else ".*")
            elif char == "?" and not literal:
                out.append("[^:]" if arn and colons < 5 else ".")
            else:
                out.append(re.escape(char))
    return "".join(out)


@lru_cache(maxsize=16384)
def compile_pieces(pieces: tuple[Piece, ...], arn_segments: bool = True) -> re.Pattern[str]:
    """The regex for one resolved pattern (pieces from a policy variable are literal)."""
    return re.compile(_glob_source(pieces, arn_segments), re.DOTALL)


@lru_cache(maxsize=4096)
def compile_globs(patterns: tuple[str, ...], arn_segments: bool = True) -> re.Pattern[str]:
    """One regex matching any of the patterns; ``arn_segments`` keeps wildcards in ARN segments."""
    sources = (_glob_source(((pattern, False),), arn_segments) for pattern in patterns)
    return re.compile("|".join(f"(?:{source})" for source in sources), re.DOTALL)


def glob_match(pattern: str, value: str, *, arn_segments: bool = True) -> bool:
    return compile_globs((pattern,), arn_segments).fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class PatternSet:
    """A list of wildcard patterns (an Action, Resource or ARN-condition list).

    Patterns without variables are folded into one regex; patterns with variables are
    resolved against the request context and matched one by one.
    """

    patterns: tuple[str, ...]
    match_all: bool
    regex: re.Pattern[str] | None
    templates: tuple[Template, ...]

    def matches(self, value: str, context: Context) -> bool:
        if self.match_all:
            return True
        if self.regex is not None and self.regex.fullmatch(value) is not None:
            return True
        for template in self.templates:
            pieces = template.resolve(context)
            if pieces is not None and compile_pieces(pieces).fullmatch(value) is not None:
                return True
        return False


def pattern_set(patterns: Iterable[str], *, lower: bool = False, variables: bool = False) -> PatternSet:
    """Compile patterns; ``lower`` for case-insensitive sets (actions), ``variables`` for 2012-10-17."""
    originals = tuple(patterns)
    plain: list[str] = []
    templates: list[Template] = []
    for pattern in originals:
        text = pattern.lower() if lower else pattern
        parsed = parse_template(text) if variables else text
        if isinstance(parsed, Template):
            templates.append(parsed)
        else:
            plain.append(parsed)
    match_all = "*" in plain
    regex = compile_globs(tuple(plain)) if plain and not match_all else None
    return PatternSet(originals, match_all, regex, tuple(templates))
