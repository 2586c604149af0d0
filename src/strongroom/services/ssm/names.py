"""Parameter names, hierarchies, ARNs and the `name:version` / `name:label` selectors.

A name is case-sensitive; letters, digits and `_.-`, optionally formed as a path (`/a/b/c`) of
at most 15 levels. A name with a slash must start with one. `aws` and `ssm` prefixes (any case,
with or without the leading slash) are reserved. The ARN of `/a/b` is `...:parameter/a/b` and of
`plain` is `...:parameter/plain`; the whole ARN may be at most 1011 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from strongroom.services.ssm import errors

MAX_LEVELS = 15
MAX_ARN_LENGTH = 1011
_SEGMENT = re.compile(r"[a-zA-Z0-9_.\-]+")
_INVALID_NAME = (
    'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, it can '
    "consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, "
    "numbers and the following 3 symbols .-_"
)
_PARAMETER_ARN = re.compile(r"arn:aws[a-z-]*:ssm:([a-z0-9-]+):(\d{12}|):parameter(/[^:]*)((?::.*)?)")


def parameter_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:ssm:{region}:{account}:parameter{name if name.startswith('/') else '/' + name}"


def is_reserved(name: str) -> bool:
    return name.lstrip("/").lower().startswith("aws")


def check_name(name: str, region: str, account: str) -> None:
    """Raise the error AWS answers for a name PutParameter cannot create."""
    if is_reserved(name):
        raise errors.reserved_name(name)
    bare = name[1:] if name.startswith("/") else name
    if bare.lower().startswith("ssm"):
        raise errors.validation(_INVALID_NAME)
    if "/" in bare and not name.startswith("/"):
        raise errors.validation("Parameter name must be a fully qualified name.")
    segments = bare.split("/")
    if not all(_SEGMENT.fullmatch(s) for s in segments):
        raise errors.validation(_INVALID_NAME)
    if len(segments) > MAX_LEVELS:
        raise errors.hierarchy_too_deep()
    if len(parameter_arn(region, account, name)) > MAX_ARN_LENGTH:
        raise errors.validation(
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member "
            f"must have length less than or equal to {MAX_ARN_LENGTH} (including the ARN that precedes it)"
        )


def is_valid_name(name: str) -> bool:
    bare = name[1:] if name.startswith("/") else name
    if not bare or ("/" in bare and not name.startswith("/")):
        return False
    return all(_SEGMENT.fullmatch(s) for s in bare.split("/"))


@dataclass(frozen=True)
class Selector:
    """A name as GetParameter takes it: `name`, `name:7` (a version) or `name:label`."""

    name: str
    version: int | None = None
    label: str | None = None
    # `...:parameter/a` names `/a` or `a`: the two share an ARN, so a lookup tries both.
    from_arn: bool = False

    @property
    def suffix(self) -> str | None:
        if self.version is not None:
            return f":{self.version}"
        if self.label is not None:
            return f":{self.label}"
        return None


class InvalidSelector(ValueError):
    """A name GetParameter(s) cannot resolve; GetParameters lists it in InvalidParameters."""


# Every GetParameter parses its name (and the cost meter's classifier did too): a pure function
# of short strings returning an immutable Selector, so the hot names are parsed once.
@lru_cache(maxsize=4096)
def parse_selector(text: str, region: str, account: str) -> Selector:
    """`name[:version|:label]`, or a parameter ARN of this account and region."""
    original = text
    if text.startswith("arn:"):
        match = _PARAMETER_ARN.fullmatch(text)
        if match is None or match[1] != region or match[2] not in (account, ""):
            raise InvalidSelector(text)
        text = match[3] + match[4]
    from_arn = text != original
    name, colon, selector = text.partition(":")
    if not colon:
        return Selector(name, from_arn=from_arn)
    if not selector or ":" in selector:
        raise InvalidSelector(original)
    if selector.isdigit():
        return Selector(name, version=int(selector), from_arn=from_arn)
    return Selector(name, label=selector, from_arn=from_arn)


def public_arn(region: str, name: str) -> str:
    """Public parameters (`/aws/service/...`) belong to no account."""
    return f"arn:aws:ssm:{region}::parameter{name}"


def check_path(path: str) -> None:
    """A GetParametersByPath path: `/` or a fully qualified hierarchy of at most 15 levels."""
    if not path.startswith("/") or (path != "/" and not is_valid_name(path.rstrip("/"))):
        raise errors.validation(
            "The parameter doesn't meet the parameter name requirements. The parameter name must begin "
            'with a forward slash "/". It can\'t be prefixed with "aws" or "ssm" (case-insensitive). It must '
            "use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). "
            "Special characters are not allowed. All sub-paths, if specified, must use the forward slash "
            'symbol "/". Valid example: /get/parameters2-/by1./path0_.'
        )
    if path.rstrip("/").count("/") > MAX_LEVELS:
        raise errors.hierarchy_too_deep()


def under_path(name: str, path: str, *, recursive: bool) -> bool:
    """Whether `name` lies under `path` (`/a` holds `/a/b`; only recursively `/a/b/c`)."""
    full = name if name.startswith("/") else "/" + name
    prefix = path.rstrip("/") + "/"
    if not full.startswith(prefix) or full == prefix:
        return False
    return recursive or "/" not in full[len(prefix) :]
