"""GetRandomPassword: AWS's character classes and options, drawn from the OS CSPRNG."""

from __future__ import annotations

import secrets
import string

from strongroom.services.secretsmanager.errors import invalid_parameter

PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
DEFAULT_LENGTH = 32


def random_password(
    length: int = DEFAULT_LENGTH,
    *,
    exclude_characters: str = "",
    exclude_numbers: bool = False,
    exclude_punctuation: bool = False,
    exclude_uppercase: bool = False,
    exclude_lowercase: bool = False,
    include_space: bool = False,
    require_each_included_type: bool = True,
) -> str:
    excluded = set(exclude_characters)
    classes: list[str] = []
    for skip, pool in (
        (exclude_lowercase, string.ascii_lowercase),
        (exclude_uppercase, string.ascii_uppercase),
        (exclude_numbers, string.digits),
        (exclude_punctuation, PUNCTUATION),
        (not include_space, " "),
    ):
        if not skip:
            allowed = "".join(c for c in pool if c not in excluded)
            if allowed:
                classes.append(allowed)
    if not classes:
        raise invalid_parameter(
            "The password can't be generated: every character type is excluded by the request."
        )
    if require_each_included_type and length < len(classes):
        raise invalid_parameter(
            f"The password length {length} is too short to include a character of each of the "
            f"{len(classes)} required types."
        )
    alphabet = "".join(classes)
    chars = [secrets.choice(alphabet) for _ in range(length)]
    if require_each_included_type:
        # One of each type at distinct random places: uniform enough and never a retry loop.
        places = secrets.SystemRandom().sample(range(length), len(classes))
        for place, cls in zip(places, classes, strict=True):
            chars[place] = secrets.choice(cls)
    return "".join(chars)
