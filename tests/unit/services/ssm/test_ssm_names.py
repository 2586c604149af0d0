"""Parameter names, selectors and paths."""

from __future__ import annotations

import pytest

from strongroom.aws.errors import AWSError
from strongroom.services.ssm.names import (
    InvalidSelector,
    Selector,
    check_name,
    check_path,
    parameter_arn,
    parse_selector,
    under_path,
)

ACCOUNT, REGION = "740000000000", "us-east-1"


def test_arns() -> None:
    assert parameter_arn(REGION, ACCOUNT, "/a/b") == f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/a/b"
    assert parameter_arn(REGION, ACCOUNT, "plain") == f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/plain"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("/aws/x", "AccessDeniedException"),
        ("AWSx", "AccessDeniedException"),
        ("ssm", "ValidationException"),
        ("/Ssm/x", "ValidationException"),
        ("a/b", "ValidationException"),
        ("/a//b", "ValidationException"),
        ("/a/b/", "ValidationException"),
        ("sp ace", "ValidationException"),
        ("/" + "/".join("l" * 1 for _ in range(16)), "HierarchyLevelLimitExceededException"),
        ("/" + "n" * 1000, "ValidationException"),
    ],
)
def test_invalid_names(name: str, code: str) -> None:
    with pytest.raises(AWSError) as info:
        check_name(name, REGION, ACCOUNT)
    assert info.value.code == code


@pytest.mark.parametrize(
    "name", ["plain", "/a", "/a/b.c-d_e", "/" + "/".join("l" for _ in range(15)), "awesome"[3:]]
)
def test_valid_names(name: str) -> None:
    check_name(name, REGION, ACCOUNT)


def test_selectors() -> None:
    assert parse_selector("/a/b", REGION, ACCOUNT) == Selector("/a/b")
    assert parse_selector("/a/b:3", REGION, ACCOUNT) == Selector("/a/b", version=3)
    assert parse_selector("/a/b:prod", REGION, ACCOUNT) == Selector("/a/b", label="prod")
    arn = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/a/b:2"
    assert parse_selector(arn, REGION, ACCOUNT) == Selector("/a/b", version=2, from_arn=True)
    for bad in ("/a:", "/a:1:2", f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/a", "arn:aws:ssm:x"):
        with pytest.raises(InvalidSelector):
            parse_selector(bad, REGION, ACCOUNT)


def test_paths() -> None:
    assert under_path("/a/b", "/a", recursive=False)
    assert under_path("/a/b", "/a/", recursive=False)
    assert not under_path("/a/b/c", "/a", recursive=False)
    assert under_path("/a/b/c", "/a", recursive=True)
    assert not under_path("/ab", "/a", recursive=True)
    assert under_path("plain", "/", recursive=False)
    assert not under_path("/a", "/a", recursive=True)
    check_path("/")
    for bad in ("a", "/a//b", "/a b"):
        with pytest.raises(AWSError):
            check_path(bad)


def test_selectors_are_parsed_per_region_and_account_every_time() -> None:
    """parse_selector is memoized: an ARN's answer depends on the region and account it is read
    in, and a refused selector is refused on every call, not only the first."""
    arn = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/db:3"
    for _ in range(2):
        assert parse_selector(arn, REGION, ACCOUNT) == Selector("/app/db", version=3, from_arn=True)
        with pytest.raises(InvalidSelector):
            parse_selector(arn, "eu-west-1", ACCOUNT)
        with pytest.raises(InvalidSelector):
            parse_selector(arn, REGION, "740000000001")
        with pytest.raises(InvalidSelector):
            parse_selector("/app/db:", REGION, ACCOUNT)
