"""Access keys: what IAM keeps, what it returns once, and that the keys really sign (or stop signing)."""

from __future__ import annotations

from typing import Any

from tests.conftest import ClientFactory
from tests.service.iam.conftest import allow, assert_error, error_of, policy


def user_with_key(iam: Any, name: str) -> dict[str, Any]:
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="self", PolicyDocument=policy(allow("iam:GetUser")))
    key: dict[str, Any] = iam.create_access_key(UserName=name)["AccessKey"]
    return key


def test_access_key_lifecycle(iam: Any, prefix: str) -> None:
    name = f"{prefix}-keys"
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    assert key["UserName"] == name and key["Status"] == "Active"
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert len(key["SecretAccessKey"]) == 40

    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in listed] == [(key["AccessKeyId"], "Active")]
    assert "SecretAccessKey" not in listed[0]

    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Inactive"

    last_used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert last_used["UserName"] == name
    assert last_used["AccessKeyLastUsed"]["ServiceName"] == "N/A"

    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"] == []


def test_third_key_exceeds_quota(iam: Any, prefix: str) -> None:
    name = f"{prefix}-three"
    iam.create_user(UserName=name)
    iam.create_access_key(UserName=name)
    iam.create_access_key(UserName=name)
    error = error_of(iam.create_access_key, UserName=name)
    assert_error(error, "LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
    assert len(iam.list_access_keys(UserName=name)["AccessKeyMetadata"]) == 2


def test_unknown_key(iam: Any, prefix: str) -> None:
    name = f"{prefix}-nokey"
    iam.create_user(UserName=name)
    missing = "AKIAAAAAAAAAAAAAAAAA"
    message = f"The Access Key with id {missing} cannot be found."
    assert_error(
        error_of(iam.delete_access_key, UserName=name, AccessKeyId=missing), "NoSuchEntity", 404, message
    )
    assert_error(
        error_of(iam.update_access_key, UserName=name, AccessKeyId=missing, Status="Inactive"),
        "NoSuchEntity",
        404,
        message,
    )


def test_key_of_another_user_cannot_be_deleted_through_this_one(iam: Any, prefix: str) -> None:
    iam.create_user(UserName=f"{prefix}-a")
    iam.create_user(UserName=f"{prefix}-b")
    key = iam.create_access_key(UserName=f"{prefix}-a")["AccessKey"]["AccessKeyId"]
    assert_error(
        error_of(iam.delete_access_key, UserName=f"{prefix}-b", AccessKeyId=key), "NoSuchEntity", 404
    )
    assert len(iam.list_access_keys(UserName=f"{prefix}-a")["AccessKeyMetadata"]) == 1


def test_bad_status_is_a_validation_error(iam: Any, prefix: str) -> None:
    name = f"{prefix}-status"
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    assert_error(
        error_of(iam.update_access_key, UserName=name, AccessKeyId=key, Status="Paused"),
        "ValidationError",
        400,
    )
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Active"


def test_user_key_signs_requests_as_that_user(
    iam: Any, make_client: ClientFactory, account_id: str, prefix: str
) -> None:
    name = f"{prefix}-signer"
    key = user_with_key(iam, name)
    as_user = make_client("iam", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    me = as_user.get_user()["User"]
    assert me["UserName"] == name
    assert me["Arn"] == f"arn:aws:iam::{account_id}:user/{name}"
    # The caller's own keys, without naming the user:
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]] == [
        key["AccessKeyId"]
    ]


def test_wrong_secret_is_refused(iam: Any, make_client: ClientFactory, prefix: str) -> None:
    key = user_with_key(iam, f"{prefix}-wrong")
    as_user = make_client("iam", access_key=key["AccessKeyId"], secret_key="x" * 40)
    assert_error(error_of(as_user.get_user), "SignatureDoesNotMatch", 403)


def test_inactive_key_stops_signing_and_active_again_resumes(
    iam: Any, make_client: ClientFactory, prefix: str
) -> None:
    name = f"{prefix}-inactive"
    key = user_with_key(iam, name)
    as_user = make_client("iam", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert as_user.get_user()["User"]["UserName"] == name
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert_error(error_of(as_user.get_user), "InvalidClientTokenId", 403)
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Active")
    assert as_user.get_user()["User"]["UserName"] == name


def test_deleted_key_stops_signing(iam: Any, make_client: ClientFactory, prefix: str) -> None:
    name = f"{prefix}-deleted"
    key = user_with_key(iam, name)
    as_user = make_client("iam", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert as_user.get_user()["User"]["UserName"] == name
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    assert_error(error_of(as_user.get_user), "InvalidClientTokenId", 403)


def test_renamed_user_keeps_its_keys(iam: Any, make_client: ClientFactory, prefix: str) -> None:
    name = f"{prefix}-renamed"
    key = user_with_key(iam, name)
    iam.update_user(UserName=name, NewUserName=f"{name}-new")
    as_user = make_client("iam", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert as_user.get_user()["User"]["UserName"] == f"{name}-new"
    assert iam.get_user_policy(UserName=f"{name}-new", PolicyName="self")["PolicyName"] == "self"
