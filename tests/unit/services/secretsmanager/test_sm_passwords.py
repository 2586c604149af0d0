"""GetRandomPassword's options."""

from __future__ import annotations

import string

import pytest

from strongroom.aws.errors import ServiceError
from strongroom.services.secretsmanager.passwords import PUNCTUATION, random_password


def test_default_has_every_type() -> None:
    for _ in range(50):
        password = random_password()
        assert len(password) == 32
        assert any(c in string.ascii_lowercase for c in password)
        assert any(c in string.ascii_uppercase for c in password)
        assert any(c in string.digits for c in password)
        assert any(c in PUNCTUATION for c in password)
        assert " " not in password


def test_exclusions_and_space() -> None:
    password = random_password(
        200, exclude_punctuation=True, exclude_numbers=True, exclude_characters="abcXYZ", include_space=True
    )
    assert set(password) <= set(string.ascii_letters + " ") - set("abcXYZ")
    assert " " in password


def test_short_password_with_every_type() -> None:
    assert len(random_password(4)) == 4
    with pytest.raises(ServiceError):
        random_password(3)
    assert len(random_password(3, require_each_included_type=False)) == 3


def test_everything_excluded() -> None:
    with pytest.raises(ServiceError) as info:
        random_password(
            10, exclude_lowercase=True, exclude_uppercase=True, exclude_numbers=True, exclude_punctuation=True
        )
    assert info.value.code == "InvalidParameterException"
