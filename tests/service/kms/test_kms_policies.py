"""GetKeyPolicy, PutKeyPolicy, ListKeyPolicies: validation, principals, size, lockout safety."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.kms.conftest import ACCOUNT, UserFactory, error_code, error_message, policy_document

ROOT = f"arn:aws:iam::{ACCOUNT}:root"
ADMIN = {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}


def test_default_policy(kms: Any, key: dict[str, Any]) -> None:
    out = kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")
    assert out["PolicyName"] == "default"
    policy = json.loads(out["Policy"])
    assert policy["Statement"] == [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": ROOT},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    assert json.loads(kms.get_key_policy(KeyId=key["KeyId"])["Policy"]) == policy
    assert kms.list_key_policies(KeyId=key["KeyId"])["PolicyNames"] == ["default"]


def test_put_key_policy_round_trips(kms: Any, key: dict[str, Any]) -> None:
    text = policy_document(
        ADMIN,
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Principal": {"AWS": ROOT},
            "Action": "kms:Describe*",
            "Resource": "*",
        },
    )
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=text)
    assert kms.get_key_policy(KeyId=key["KeyId"])["Policy"] == text


def test_unknown_policy_name(kms: Any, key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as err:
        kms.get_key_policy(KeyId=key["KeyId"], PolicyName="other")
    assert error_code(err) == "NotFoundException"


@pytest.mark.parametrize(
    "document",
    [
        "{",
        json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
        ),
        policy_document({"Effect": "Maybe", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}),
        policy_document(
            {"Effect": "Allow", "Principal": {"AWS": "not-an-arn"}, "Action": "kms:*", "Resource": "*"}
        ),
        policy_document({**ADMIN, "Bogus": 1}),
    ],
)
def test_malformed_policies_are_refused(kms: Any, key: dict[str, Any], document: str) -> None:
    before = kms.get_key_policy(KeyId=key["KeyId"])["Policy"]
    with pytest.raises(ClientError) as err:
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=document)
    assert error_code(err) == "MalformedPolicyDocumentException"
    assert kms.get_key_policy(KeyId=key["KeyId"])["Policy"] == before


def test_a_principal_that_does_not_exist(kms: Any, key: dict[str, Any]) -> None:
    ghost = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/ghost-user"},
        "Action": "kms:Encrypt",
        "Resource": "*",
    }
    with pytest.raises(ClientError) as err:
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy_document(ADMIN, ghost))
    assert error_code(err) == "MalformedPolicyDocumentException"
    assert error_message(err) == "Policy contains a statement with one or more invalid principals."


def test_policy_over_32_kb(kms: Any, key: dict[str, Any]) -> None:
    big = policy_document(
        ADMIN,
        {
            "Sid": "Pad",
            "Effect": "Allow",
            "Principal": {"AWS": ROOT},
            "Action": "kms:Describe*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:userid": ["x" * 100] * 330}},
        },
    )
    assert len(big) > 32768
    with pytest.raises(ClientError) as err:
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=big)
    assert error_code(err) == "LimitExceededException"


def test_lockout_safety_check(kms: Any, key: dict[str, Any], make_user: UserFactory) -> None:
    user = make_user()
    lockout = policy_document(
        {"Effect": "Allow", "Principal": {"AWS": user["arn"]}, "Action": "kms:*", "Resource": "*"}
    )
    with pytest.raises(ClientError) as err:
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=lockout)
    assert error_code(err) == "MalformedPolicyDocumentException"
    assert (
        error_message(err) == "The new key policy will not allow you to update the key policy in the future."
    )
    with pytest.raises(ClientError) as err:
        kms.create_key(Policy=lockout)
    assert error_code(err) == "MalformedPolicyDocumentException"
    kms.put_key_policy(
        KeyId=key["KeyId"], PolicyName="default", Policy=lockout, BypassPolicyLockoutSafetyCheck=True
    )
    with pytest.raises(ClientError) as err:
        kms.get_key_policy(KeyId=key["KeyId"])
    assert error_code(err) == "AccessDeniedException"
    # The user the policy names can still use and manage the key.
    assert user["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x")
    with pytest.raises(ClientError) as err:  # the user has no IAM policy: handing back would lock it out
        user["kms"].put_key_policy(KeyId=key["Arn"], PolicyName="default", Policy=policy_document(ADMIN))
    assert error_code(err) == "MalformedPolicyDocumentException"
    user["kms"].put_key_policy(
        KeyId=key["Arn"],
        PolicyName="default",
        Policy=policy_document(ADMIN),
        BypassPolicyLockoutSafetyCheck=True,
    )
    assert kms.get_key_policy(KeyId=key["KeyId"])["PolicyName"] == "default"


def test_put_key_policy_needs_permission(kms: Any, key: dict[str, Any], make_user: UserFactory) -> None:
    user = make_user({"Effect": "Allow", "Action": "kms:GetKeyPolicy", "Resource": "*"})
    assert user["kms"].get_key_policy(KeyId=key["Arn"])["PolicyName"] == "default"
    with pytest.raises(ClientError) as err:
        user["kms"].put_key_policy(KeyId=key["Arn"], PolicyName="default", Policy=policy_document(ADMIN))
    assert error_code(err) == "AccessDeniedException"
