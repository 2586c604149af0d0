"""Tags on users, roles and policies; the account summary and alias."""

from __future__ import annotations

from typing import Any

from tests.conftest import ClientFactory
from tests.service.iam.conftest import TRUST_EC2, allow, assert_error, error_of, policy


def test_user_tags(iam: Any, prefix: str) -> None:
    name = f"{prefix}-u"
    iam.create_user(UserName=name, Tags=[{"Key": "a", "Value": "1"}])
    iam.tag_user(UserName=name, Tags=[{"Key": "b", "Value": "2"}, {"Key": "A", "Value": "3"}])
    assert iam.list_user_tags(UserName=name)["Tags"] == [
        {"Key": "A", "Value": "3"},
        {"Key": "b", "Value": "2"},
    ]
    iam.untag_user(UserName=name, TagKeys=["a"])
    assert iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "b", "Value": "2"}]
    assert_error(error_of(iam.list_user_tags, UserName=f"{prefix}-none"), "NoSuchEntity", 404)


def test_role_and_policy_tags(iam: Any, prefix: str) -> None:
    iam.create_role(RoleName=f"{prefix}-r", AssumeRolePolicyDocument=TRUST_EC2)
    iam.tag_role(RoleName=f"{prefix}-r", Tags=[{"Key": "env", "Value": "prod"}])
    assert iam.list_role_tags(RoleName=f"{prefix}-r")["Tags"] == [{"Key": "env", "Value": "prod"}]
    iam.untag_role(RoleName=f"{prefix}-r", TagKeys=["env"])
    assert iam.list_role_tags(RoleName=f"{prefix}-r")["Tags"] == []

    arn = iam.create_policy(PolicyName=f"{prefix}-p", PolicyDocument=policy(allow("s3:*")))["Policy"]["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "x", "Value": "y"}])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "x", "Value": "y"}]
    iam.untag_policy(PolicyArn=arn, TagKeys=["x"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == []


def test_tag_limits_and_duplicates(iam: Any, prefix: str) -> None:
    name = f"{prefix}-many"
    iam.create_user(UserName=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    error = error_of(iam.tag_user, UserName=name, Tags=[{"Key": "one-more", "Value": "v"}])
    assert_error(error, "LimitExceeded", 409)
    assert len(iam.list_user_tags(UserName=name)["Tags"]) == 50
    iam.tag_user(
        UserName=name, Tags=[{"Key": "K0", "Value": "replaced"}]
    )  # same key in another case: replaced
    assert {"Key": "K0", "Value": "replaced"} in iam.list_user_tags(UserName=name)["Tags"]

    error = error_of(iam.create_user, UserName=f"{prefix}-dupe",
                     Tags=[{"Key": "x", "Value": "1"}, {"Key": "X", "Value": "2"}])  # fmt: skip
    assert_error(error, "InvalidInput", 400)
    assert_error(error_of(iam.get_user, UserName=f"{prefix}-dupe"), "NoSuchEntity", 404)
    error = error_of(
        iam.create_user, UserName=f"{prefix}-51", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    )
    assert_error(error, "ValidationError", 400)


def test_account_summary_counts(make_client: ClientFactory, prefix: str) -> None:
    iam = make_client("iam", access_key="488888888888", secret_key="test")
    before = iam.get_account_summary()["SummaryMap"]
    iam.create_user(UserName=f"{prefix}-u")
    iam.create_role(RoleName=f"{prefix}-r", AssumeRolePolicyDocument=TRUST_EC2)
    arn = iam.create_policy(PolicyName=f"{prefix}-p", PolicyDocument=policy(allow("s3:*")))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy(allow("s3:*")))
    after = iam.get_account_summary()["SummaryMap"]
    assert after["Users"] == before["Users"] + 1
    assert after["Roles"] == before["Roles"] + 1
    assert after["Policies"] == before["Policies"] + 1
    assert after["PolicyVersionsInUse"] == before["PolicyVersionsInUse"] + 2
    assert after["AccessKeysPerUserQuota"] == 2 and after["UserPolicySizeQuota"] == 2048


def test_account_alias(make_client: ClientFactory, prefix: str) -> None:
    iam = make_client("iam", access_key="477777777777", secret_key="test")
    other = make_client("iam", access_key="477777777778", secret_key="test")
    alias = f"{prefix}-corp"
    iam.create_account_alias(AccountAlias=alias)
    assert iam.list_account_aliases()["AccountAliases"] == [alias]
    assert_error(error_of(other.create_account_alias, AccountAlias=alias), "EntityAlreadyExists", 409)
    assert other.list_account_aliases()["AccountAliases"] == []
    assert_error(error_of(iam.create_account_alias, AccountAlias="-Bad--alias"), "ValidationError", 400)
    iam.delete_account_alias(AccountAlias=alias)
    assert iam.list_account_aliases()["AccountAliases"] == []
    assert_error(error_of(iam.delete_account_alias, AccountAlias=alias), "NoSuchEntity", 404)
    other.create_account_alias(AccountAlias=alias)  # free again
    other.delete_account_alias(AccountAlias=alias)
