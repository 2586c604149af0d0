"""Users end to end: create, read, list, rename, delete, and every refusal IAM makes on the way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.service.iam.conftest import allow, assert_error, error_of, policy


def user_names(iam: Any, **kwargs: Any) -> list[str]:
    return [u["UserName"] for u in iam.list_users(**kwargs)["Users"]]


def test_user_lifecycle(iam: Any, account_id: str, prefix: str) -> None:
    name = f"{prefix}-alice"
    created = iam.create_user(UserName=name, Path="/team/", Tags=[{"Key": "dept", "Value": "eng"}])["User"]
    assert created["Arn"] == f"arn:aws:iam::{account_id}:user/team/{name}"
    assert created["UserId"].startswith("AIDA") and len(created["UserId"]) == 21
    assert created["Path"] == "/team/"
    assert created["Tags"] == [{"Key": "dept", "Value": "eng"}]

    fetched = iam.get_user(UserName=name.upper())["User"]  # names are case-insensitive
    assert fetched["UserName"] == name and fetched["UserId"] == created["UserId"]
    assert fetched["Tags"] == [{"Key": "dept", "Value": "eng"}]

    assert name in user_names(iam, PathPrefix="/team/")
    assert name not in user_names(iam, PathPrefix="/other/")

    iam.update_user(UserName=name, NewUserName=f"{name}-2", NewPath="/ops/")
    moved = iam.get_user(UserName=f"{name}-2")["User"]
    assert moved["Arn"] == f"arn:aws:iam::{account_id}:user/ops/{name}-2"
    assert moved["UserId"] == created["UserId"]
    assert moved["Tags"] == [{"Key": "dept", "Value": "eng"}]  # tags follow the rename
    assert_error(error_of(iam.get_user, UserName=name), "NoSuchEntity", 404)

    iam.delete_user(UserName=f"{name}-2")
    assert_error(
        error_of(iam.get_user, UserName=f"{name}-2"),
        "NoSuchEntity",
        404,
        f"The user with name {name}-2 cannot be found.",
    )


def test_root_get_user_without_name(iam: Any, account_id: str) -> None:
    user = iam.get_user()["User"]
    assert user["Arn"] == f"arn:aws:iam::{account_id}:root"
    assert user["UserId"] == account_id


def test_duplicate_user_refused_in_any_case(iam: Any, prefix: str) -> None:
    iam.create_user(UserName=f"{prefix}-bob", Path="/a/")
    error = error_of(iam.create_user, UserName=f"{prefix}-BOB", Path="/b/")
    assert_error(error, "EntityAlreadyExists", 409, f"User with name {prefix}-BOB already exists.")
    assert iam.get_user(UserName=f"{prefix}-bob")["User"]["Path"] == "/a/"


def test_rename_onto_existing_user_refused(iam: Any, prefix: str) -> None:
    iam.create_user(UserName=f"{prefix}-a")
    iam.create_user(UserName=f"{prefix}-b")
    error = error_of(iam.update_user, UserName=f"{prefix}-a", NewUserName=f"{prefix}-b")
    assert_error(error, "EntityAlreadyExists", 409)
    assert iam.get_user(UserName=f"{prefix}-a")["User"]["UserName"] == f"{prefix}-a"


def test_missing_user(iam: Any, prefix: str) -> None:
    for call, kwargs in [
        (iam.get_user, {"UserName": f"{prefix}-nobody"}),
        (iam.delete_user, {"UserName": f"{prefix}-nobody"}),
        (iam.update_user, {"UserName": f"{prefix}-nobody", "NewPath": "/x/"}),
        (iam.list_access_keys, {"UserName": f"{prefix}-nobody"}),
    ]:
        assert_error(
            error_of(call, **kwargs),
            "NoSuchEntity",
            404,
            f"The user with name {prefix}-nobody cannot be found.",
        )


def test_too_long_name_is_a_validation_error(iam: Any, prefix: str) -> None:
    name = prefix + "x" * 70
    error = error_of(iam.create_user, UserName=name)
    assert_error(error, "ValidationError", 400)
    assert "userName" in error.response["Error"]["Message"]
    assert name not in user_names(iam)


def test_invalid_name_and_path(iam: Any, prefix: str) -> None:
    assert_error(error_of(iam.create_user, UserName=f"{prefix} has spaces"), "ValidationError", 400)
    assert_error(error_of(iam.create_user, UserName=f"{prefix}-p", Path="no-slashes"), "ValidationError", 400)
    assert_error(
        error_of(iam.create_user, UserName=f"{prefix}-p", Path="/a" + "b" * 520 + "/"), "ValidationError", 400
    )
    assert f"{prefix}-p" not in user_names(iam)


def test_delete_conflicts_in_iam_order(iam: Any, account_id: str, prefix: str) -> None:
    name = f"{prefix}-busy"
    read_only = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=policy(allow("s3:GetObject")))
    iam.attach_user_policy(UserName=name, PolicyArn=read_only)

    steps: list[tuple[str, Callable[..., Any], dict[str, str]]] = [
        ("must delete access keys first", iam.delete_access_key, {"AccessKeyId": key}),
        ("must delete policies first", iam.delete_user_policy, {"PolicyName": "inline"}),
        ("must detach all policies first", iam.detach_user_policy, {"PolicyArn": read_only}),
    ]
    for reason, cleanup, kwargs in steps:
        message = f"Cannot delete entity, {reason}."
        assert_error(error_of(iam.delete_user, UserName=name), "DeleteConflict", 409, message)
        assert iam.get_user(UserName=name)["User"]["UserName"] == name
        cleanup(UserName=name, **kwargs)
    iam.delete_user(UserName=name)
    assert name not in user_names(iam)


def test_list_users_paginates(iam: Any, prefix: str) -> None:
    names = [f"{prefix}-page-{i}" for i in range(5)]
    for name in names:
        iam.create_user(UserName=name, Path=f"/{prefix}/")
    first = iam.list_users(PathPrefix=f"/{prefix}/", MaxItems=2)
    assert first["IsTruncated"] is True and len(first["Users"]) == 2
    second = iam.list_users(PathPrefix=f"/{prefix}/", MaxItems=2, Marker=first["Marker"])
    third = iam.list_users(PathPrefix=f"/{prefix}/", MaxItems=2, Marker=second["Marker"])
    assert third["IsTruncated"] is False
    seen = [u["UserName"] for page in (first, second, third) for u in page["Users"]]
    assert seen == sorted(names)
    paginated = [
        u["UserName"]
        for page in iam.get_paginator("list_users").paginate(
            PathPrefix=f"/{prefix}/", PaginationConfig={"PageSize": 3}
        )
        for u in page["Users"]
    ]
    assert paginated == sorted(names)


def test_bad_marker_is_invalid_input(iam: Any) -> None:
    assert_error(error_of(iam.list_users, Marker="garbage"), "InvalidInput", 400)


def test_accounts_are_isolated(iam: Any, make_client: Any, prefix: str) -> None:
    iam.create_user(UserName=f"{prefix}-mine")
    other = make_client("iam", access_key="499999999999", secret_key="test")
    assert_error(error_of(other.get_user, UserName=f"{prefix}-mine"), "NoSuchEntity", 404)
