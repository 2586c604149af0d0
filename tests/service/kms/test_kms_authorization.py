"""Who may use a key: key policies first, IAM where the key policy delegates, cross-account, conditions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.kms.conftest import (
    ACCOUNT,
    OTHER_ACCOUNT,
    REGION,
    UserFactory,
    error_code,
    error_message,
    http_status,
    policy_document,
)

ROOT = f"arn:aws:iam::{ACCOUNT}:root"
OTHER_ROOT = f"arn:aws:iam::{OTHER_ACCOUNT}:root"
ADMIN = {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}
ALLOW_USE = {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}


def _key_with(kms: Any, *statements: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = kms.create_key(Policy=policy_document(ADMIN, *statements))["KeyMetadata"]
    return meta


def test_default_policy_lets_iam_decide(kms: Any, key: dict[str, Any], make_user: UserFactory) -> None:
    allowed = make_user(ALLOW_USE)
    assert allowed["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x")["KeyId"] == key["Arn"]
    nobody = make_user()
    with pytest.raises(ClientError) as err:
        nobody["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x")
    assert error_code(err) == "AccessDeniedException"
    assert http_status(err) == 400
    assert error_message(err) == (
        f"User: {nobody['arn']} is not authorized to perform: kms:Encrypt on resource: {key['Arn']} "
        "because no identity-based policy allows the kms:Encrypt action"
    )


def test_iam_alone_is_not_enough_without_delegation(kms: Any, make_user: UserFactory) -> None:
    user = make_user(ALLOW_USE)
    key = kms.create_key(
        Policy=policy_document(
            {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:PutKeyPolicy", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:DescribeKey", "Resource": "*"},
        ),
        BypassPolicyLockoutSafetyCheck=False,
    )["KeyMetadata"]
    # The account principal appears only for PutKeyPolicy/DescribeKey: Encrypt is not delegated.
    with pytest.raises(ClientError) as err:
        user["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x")
    assert error_code(err) == "AccessDeniedException"
    assert "because no resource-based policy allows the kms:Encrypt action" in error_message(err)
    # Even the account root is bound by the key policy.
    with pytest.raises(ClientError) as err:
        kms.encrypt(KeyId=key["Arn"], Plaintext=b"x")
    assert error_code(err) == "AccessDeniedException"


def test_a_key_policy_naming_the_user_needs_no_iam_policy(kms: Any, make_user: UserFactory) -> None:
    user = make_user()
    key = _key_with(
        kms, {"Effect": "Allow", "Principal": {"AWS": user["arn"]}, "Action": "kms:Encrypt", "Resource": "*"}
    )
    assert user["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x")["KeyId"] == key["Arn"]
    with pytest.raises(ClientError) as err:
        user["kms"].decrypt(CiphertextBlob=kms.encrypt(KeyId=key["Arn"], Plaintext=b"x")["CiphertextBlob"])
    assert error_code(err) == "AccessDeniedException"


def test_explicit_deny_in_the_key_policy_wins(kms: Any, make_user: UserFactory) -> None:
    user = make_user(ALLOW_USE)
    key = _key_with(
        kms, {"Effect": "Deny", "Principal": {"AWS": user["arn"]}, "Action": "kms:Encrypt", "Resource": "*"}
    )
    with pytest.raises(ClientError) as err:
        user["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x")
    assert error_code(err) == "AccessDeniedException"
    assert "with an explicit deny in a resource-based policy" in error_message(err)
    assert user["kms"].describe_key(KeyId=key["Arn"])["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_explicit_deny_in_iam_wins(kms: Any, key: dict[str, Any], make_user: UserFactory) -> None:
    user = make_user(ALLOW_USE, {"Effect": "Deny", "Action": "kms:Encrypt", "Resource": key["Arn"]})
    with pytest.raises(ClientError) as err:
        user["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x")
    assert "with an explicit deny in an identity-based policy" in error_message(err)


def test_encryption_context_conditions(kms: Any, make_user: UserFactory) -> None:
    user = make_user()
    key = _key_with(
        kms,
        {
            "Effect": "Allow",
            "Principal": {"AWS": user["arn"]},
            "Action": ["kms:Encrypt", "kms:Decrypt"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {"kms:EncryptionContext:tenant": "blue"},
                "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["tenant", "purpose"]},
            },
        },
    )
    ok = user["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "blue"})
    assert user["kms"].decrypt(CiphertextBlob=ok["CiphertextBlob"], EncryptionContext={"tenant": "blue"})
    for context in ({"tenant": "red"}, {}, {"tenant": "blue", "other": "1"}):
        with pytest.raises(ClientError) as err:
            user["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext=context)
        assert error_code(err) == "AccessDeniedException"


def test_request_alias_condition(kms: Any, make_user: UserFactory) -> None:
    user = make_user()
    key = _key_with(
        kms,
        {
            "Effect": "Allow",
            "Principal": {"AWS": user["arn"]},
            "Action": "kms:Encrypt",
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:RequestAlias": "alias/by-name"}},
        },
    )
    kms.create_alias(AliasName="alias/by-name", TargetKeyId=key["KeyId"])
    try:
        assert user["kms"].encrypt(KeyId="alias/by-name", Plaintext=b"x")["KeyId"] == key["Arn"]
        with pytest.raises(ClientError) as err:
            user["kms"].encrypt(KeyId=key["KeyId"], Plaintext=b"x")
        assert error_code(err) == "AccessDeniedException"
    finally:
        kms.delete_alias(AliasName="alias/by-name")


def test_key_spec_and_caller_account_conditions_in_iam(
    kms: Any, key: dict[str, Any], make_user: UserFactory
) -> None:
    user = make_user(
        {
            **ALLOW_USE,
            "Condition": {"StringEquals": {"kms:KeySpec": "SYMMETRIC_DEFAULT", "kms:CallerAccount": ACCOUNT}},
        }
    )
    assert user["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x")
    denied = make_user({**ALLOW_USE, "Condition": {"StringEquals": {"kms:KeyOrigin": "EXTERNAL"}}})
    with pytest.raises(ClientError):
        denied["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x")


def test_resource_tag_condition(kms: Any, make_user: UserFactory) -> None:
    tagged = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "blue"}])["KeyMetadata"]
    untagged = kms.create_key()["KeyMetadata"]
    user = make_user({**ALLOW_USE, "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"}}})
    assert user["kms"].encrypt(KeyId=tagged["Arn"], Plaintext=b"x")
    with pytest.raises(ClientError):
        user["kms"].encrypt(KeyId=untagged["Arn"], Plaintext=b"x")


def test_cross_account_needs_both_policies(kms: Any, other_kms: Any, make_other_user: UserFactory) -> None:
    shared = _key_with(
        kms,
        {
            "Effect": "Allow",
            "Principal": {"AWS": OTHER_ROOT},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"],
            "Resource": "*",
        },
    )
    private = kms.create_key()["KeyMetadata"]
    with_iam = make_other_user(ALLOW_USE)
    without_iam = make_other_user()
    blob = with_iam["kms"].encrypt(KeyId=shared["Arn"], Plaintext=b"across")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"across"
    assert with_iam["kms"].decrypt(CiphertextBlob=blob)["Plaintext"] == b"across"
    assert other_kms.encrypt(KeyId=shared["Arn"], Plaintext=b"root of B")["KeyId"] == shared["Arn"]
    with pytest.raises(ClientError) as err:
        without_iam["kms"].encrypt(KeyId=shared["Arn"], Plaintext=b"x")
    assert "because no identity-based policy allows the kms:Encrypt action" in error_message(err)
    with pytest.raises(ClientError) as err:
        with_iam["kms"].encrypt(KeyId=private["Arn"], Plaintext=b"x")
    assert "because no resource-based policy allows the kms:Encrypt action" in error_message(err)
    # A bare key id or alias always means the caller's own account.
    with pytest.raises(ClientError) as err:
        with_iam["kms"].encrypt(KeyId=shared["KeyId"], Plaintext=b"x")
    assert error_code(err) == "NotFoundException"


def test_aws_managed_key_is_usable_only_through_its_service(kms: Any) -> None:
    meta = kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS" and meta["KeyState"] == "Enabled"
    assert meta["Arn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{meta['KeyId']}"
    assert kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]["KeyId"] == meta["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"])
    conditions = policy["Statement"][0]["Condition"]["StringEquals"]
    assert conditions == {
        "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com",
        "kms:CallerAccount": ACCOUNT,
    }
    with pytest.raises(ClientError) as err:
        kms.encrypt(KeyId="alias/aws/secretsmanager", Plaintext=b"x")
    assert error_code(err) == "AccessDeniedException"
    for call in (
        lambda: kms.disable_key(KeyId=meta["KeyId"]),
        lambda: kms.schedule_key_deletion(KeyId=meta["KeyId"]),
        lambda: kms.put_key_policy(KeyId=meta["KeyId"], PolicyName="default", Policy=policy_document(ADMIN)),
        lambda: kms.update_key_description(KeyId=meta["KeyId"], Description="mine now"),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert error_code(err) == "AccessDeniedException"
    keys = kms.get_paginator("list_keys").paginate().build_full_result()["Keys"]
    assert meta["KeyId"] in {k["KeyId"] for k in keys}
    aliases = {
        a["AliasName"]: a for a in kms.get_paginator("list_aliases").paginate().build_full_result()["Aliases"]
    }
    assert aliases["alias/aws/secretsmanager"]["TargetKeyId"] == meta["KeyId"]


def test_unknown_aws_alias_is_not_created(kms: Any) -> None:
    with pytest.raises(ClientError) as err:
        kms.describe_key(KeyId="alias/aws/not-a-service")
    assert error_code(err) == "NotFoundException"


def test_aws_owned_keys_are_out_of_reach(kms: Any) -> None:
    with pytest.raises(ClientError) as err:
        kms.generate_data_key(KeyId="alias/aws-owned/s3", KeySpec="AES_256")
    assert error_code(err) == "NotFoundException"
