"""Inline policies on users and roles: documents round-trip, malformed ones and oversize ones are refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.service.iam.conftest import TRUST_EC2, allow, assert_error, error_of, policy

MALFORMED = [
    "not json at all",
    '{"Version": "2012-10-17"}',
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]}',
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}',
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",'
    ' "Principal": "*"}]}',
    '{"Version": "1999-01-01", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}',
]


def test_user_inline_policy_round_trip(iam: Any, prefix: str) -> None:
    name = f"{prefix}-u"
    iam.create_user(UserName=name)
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"],
             "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}},
        ],
    }  # fmt: skip
    iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=json.dumps(document))
    got = iam.get_user_policy(UserName=name, PolicyName="read")
    assert got["PolicyDocument"] == document
    assert (got["UserName"], got["PolicyName"]) == (name, "read")
    iam.put_user_policy(UserName=name, PolicyName="another", PolicyDocument=policy(allow("sqs:*")))
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == ["another", "read"]
    iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=policy(allow("s3:*")))
    assert (
        iam.get_user_policy(UserName=name, PolicyName="read")["PolicyDocument"]["Statement"][0]["Action"]
        == "s3:*"
    )
    iam.delete_user_policy(UserName=name, PolicyName="read")
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == ["another"]
    error = error_of(iam.get_user_policy, UserName=name, PolicyName="read")
    assert_error(error, "NoSuchEntity", 404, "The user policy with name read cannot be found.")
    assert_error(error_of(iam.delete_user_policy, UserName=name, PolicyName="read"), "NoSuchEntity", 404)


def test_role_inline_policy_round_trip(iam: Any, prefix: str) -> None:
    name = f"{prefix}-r"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_EC2)
    text = policy(allow("kms:Decrypt"))
    iam.put_role_policy(RoleName=name, PolicyName="kms", PolicyDocument=text)
    assert iam.get_role_policy(RoleName=name, PolicyName="kms")["PolicyDocument"] == json.loads(text)
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["kms"]
    iam.delete_role_policy(RoleName=name, PolicyName="kms")
    error = error_of(iam.get_role_policy, RoleName=name, PolicyName="kms")
    assert_error(error, "NoSuchEntity", 404, "The role policy with name kms cannot be found.")


@pytest.mark.parametrize("document", MALFORMED)
def test_malformed_inline_policies_are_refused(iam: Any, prefix: str, document: str) -> None:
    name = f"{prefix}-m"
    iam.create_user(UserName=name)
    error = error_of(iam.put_user_policy, UserName=name, PolicyName="bad", PolicyDocument=document)
    assert_error(error, "MalformedPolicyDocument", 400)
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == []


def test_trust_policy_is_not_an_identity_policy(iam: Any, prefix: str) -> None:
    name = f"{prefix}-trustdoc"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_EC2)
    error = error_of(iam.put_role_policy, RoleName=name, PolicyName="p", PolicyDocument=TRUST_EC2)
    assert_error(error, "MalformedPolicyDocument", 400)


def test_user_inline_size_is_the_sum_of_its_policies(iam: Any, prefix: str) -> None:
    name = f"{prefix}-big"
    iam.create_user(UserName=name)
    actions = [f"s3:GetObjectVersionTagging{i:03d}" for i in range(35)]  # ~1.3k characters
    iam.put_user_policy(UserName=name, PolicyName="one", PolicyDocument=policy(allow(actions)))
    error = error_of(
        iam.put_user_policy, UserName=name, PolicyName="two", PolicyDocument=policy(allow(actions))
    )
    assert_error(error, "LimitExceeded", 409, f"Maximum policy size of 2048 bytes exceeded for user {name}")
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == ["one"]
    # Replacing a policy counts it once, and white space is free:
    iam.put_user_policy(
        UserName=name,
        PolicyName="one",
        PolicyDocument=json.dumps(json.loads(policy(allow(actions))), indent=8),
    )


def test_role_allows_larger_inline_policies(iam: Any, prefix: str) -> None:
    name = f"{prefix}-bigrole"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_EC2)
    actions = [f"s3:GetObjectVersionTagging{i:03d}" for i in range(100)]  # ~3.7k characters
    iam.put_role_policy(RoleName=name, PolicyName="one", PolicyDocument=policy(allow(actions)))
    huge = [f"s3:GetObjectVersionTagging{i:03d}" for i in range(300)]
    error = error_of(iam.put_role_policy, RoleName=name, PolicyName="two", PolicyDocument=policy(allow(huge)))
    assert_error(error, "LimitExceeded", 409, f"Maximum policy size of 10240 bytes exceeded for role {name}")


def test_inline_policy_on_missing_entity(iam: Any, prefix: str) -> None:
    text = policy(allow("s3:*"))
    assert_error(
        error_of(iam.put_user_policy, UserName=f"{prefix}-none", PolicyName="p", PolicyDocument=text),
        "NoSuchEntity",
        404,
        f"The user with name {prefix}-none cannot be found.",
    )
    assert_error(
        error_of(iam.put_role_policy, RoleName=f"{prefix}-none", PolicyName="p", PolicyDocument=text),
        "NoSuchEntity",
        404,
    )
