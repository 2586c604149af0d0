"""Managed policies: versions, defaults, attachments, the limits IAM enforces and AWS managed policies."""

from __future__ import annotations

import json
from typing import Any

from tests.service.iam.conftest import TRUST_EC2, allow, assert_error, error_of, policy

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def test_policy_lifecycle(iam: Any, account_id: str, prefix: str) -> None:
    text = policy(allow("s3:GetObject"))
    created = iam.create_policy(
        PolicyName=f"{prefix}-p", Path="/team/", PolicyDocument=text, Description="d",
        Tags=[{"Key": "k", "Value": "v"}],
    )["Policy"]  # fmt: skip
    arn = created["Arn"]
    assert arn == f"arn:aws:iam::{account_id}:policy/team/{prefix}-p"
    assert created["PolicyId"].startswith("ANPA")
    assert (created["DefaultVersionId"], created["AttachmentCount"], created["IsAttachable"]) == (
        "v1",
        0,
        True,
    )

    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["Description"] == "d" and got["Tags"] == [{"Key": "k", "Value": "v"}]
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == json.loads(text) and version["IsDefaultVersion"] is True

    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy(allow("s3:*")))["PolicyVersion"]
    assert (v2["VersionId"], v2["IsDefaultVersion"]) == ("v2", False)
    v3 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy(allow("sqs:*")), SetAsDefault=True)
    assert v3["PolicyVersion"]["IsDefaultVersion"] is True
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    listed = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in listed] == [
        ("v3", True),
        ("v2", False),
        ("v1", False),
    ]

    iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    iam.delete_policy(PolicyArn=arn)
    error = error_of(iam.get_policy, PolicyArn=arn)
    assert_error(error, "NoSuchEntity", 404, f"Policy {arn} does not exist or is not attachable.")


def test_duplicate_policy_name(iam: Any, prefix: str) -> None:
    iam.create_policy(PolicyName=f"{prefix}-dup", PolicyDocument=policy(allow("s3:*")))
    error = error_of(
        iam.create_policy, PolicyName=f"{prefix}-DUP", Path="/other/", PolicyDocument=policy(allow("s3:*"))
    )
    message = f"A policy called {prefix}-DUP already exists. Duplicate names are not allowed."
    assert_error(error, "EntityAlreadyExists", 409, message)


def test_malformed_and_oversize_managed_policies(iam: Any, account_id: str, prefix: str) -> None:
    for index, text in enumerate(["[]", '{"Statement": []}', policy({"Effect": "Allow", "Action": "s3:*"})]):
        error = error_of(iam.create_policy, PolicyName=f"{prefix}-bad{index}", PolicyDocument=text)
        assert_error(error, "MalformedPolicyDocument", 400)
        assert_error(
            error_of(iam.get_policy, PolicyArn=f"arn:aws:iam::{account_id}:policy/{prefix}-bad{index}"),
            "NoSuchEntity",
            404,
        )
    huge = policy(allow([f"s3:GetObjectVersionTagging{i:03d}" for i in range(200)]))
    error = error_of(iam.create_policy, PolicyName=f"{prefix}-huge", PolicyDocument=huge)
    assert_error(error, "LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")


def test_sixth_version_exceeds_the_limit(iam: Any, prefix: str) -> None:
    arn = iam.create_policy(PolicyName=f"{prefix}-v", PolicyDocument=policy(allow("s3:*")))["Policy"]["Arn"]
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy(allow("s3:*")))
    error = error_of(
        iam.create_policy_version, PolicyArn=arn, PolicyDocument=policy(allow("s3:*")), SetAsDefault=True
    )
    message = (
        "A managed policy can have up to 5 versions. Before you create a new version, "
        "you must delete an existing version."
    )
    assert_error(error, "LimitExceeded", 409, message)
    assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 5
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert (
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy(allow("s3:*")))["PolicyVersion"][
            "VersionId"
        ]
        == "v6"
    )


def test_default_version_cannot_be_deleted(iam: Any, prefix: str) -> None:
    arn = iam.create_policy(PolicyName=f"{prefix}-d", PolicyDocument=policy(allow("s3:*")))["Policy"]["Arn"]
    error = error_of(iam.delete_policy_version, PolicyArn=arn, VersionId="v1")
    assert_error(error, "DeleteConflict", 409, "Cannot delete the default version of a policy.")
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v1"]
    assert_error(error_of(iam.delete_policy_version, PolicyArn=arn, VersionId="v9"), "NoSuchEntity", 404)
    assert_error(error_of(iam.set_default_policy_version, PolicyArn=arn, VersionId="v9"), "NoSuchEntity", 404)


def test_delete_policy_conflicts(iam: Any, prefix: str) -> None:
    arn = iam.create_policy(PolicyName=f"{prefix}-c", PolicyDocument=policy(allow("s3:*")))["Policy"]["Arn"]
    iam.create_user(UserName=f"{prefix}-u")
    iam.attach_user_policy(UserName=f"{prefix}-u", PolicyArn=arn)
    assert_error(error_of(iam.delete_policy, PolicyArn=arn), "DeleteConflict", 409,
                 "Cannot delete a policy attached to entities.")  # fmt: skip
    iam.detach_user_policy(UserName=f"{prefix}-u", PolicyArn=arn)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy(allow("s3:*")))
    error = error_of(iam.delete_policy, PolicyArn=arn)
    assert_error(error, "DeleteConflict", 409)
    assert error.response["Error"]["Message"].startswith("This policy has more than one version.")
    iam.put_user_permissions_boundary(UserName=f"{prefix}-u", PermissionsBoundary=arn)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert_error(error_of(iam.delete_policy, PolicyArn=arn), "DeleteConflict", 409)  # used as a boundary
    iam.delete_user_permissions_boundary(UserName=f"{prefix}-u")
    iam.delete_policy(PolicyArn=arn)


def test_attachments_and_entities(iam: Any, prefix: str) -> None:
    arn = iam.create_policy(PolicyName=f"{prefix}-a", PolicyDocument=policy(allow("s3:*")))["Policy"]["Arn"]
    iam.create_user(UserName=f"{prefix}-u")
    iam.create_role(RoleName=f"{prefix}-r", AssumeRolePolicyDocument=TRUST_EC2)
    iam.attach_user_policy(UserName=f"{prefix}-u", PolicyArn=arn)
    iam.attach_user_policy(UserName=f"{prefix}-u", PolicyArn=arn)  # again: no change, no error
    iam.attach_role_policy(RoleName=f"{prefix}-r", PolicyArn=arn)
    iam.attach_role_policy(RoleName=f"{prefix}-r", PolicyArn=ADMIN)

    assert iam.list_attached_user_policies(UserName=f"{prefix}-u")["AttachedPolicies"] == [
        {"PolicyName": f"{prefix}-a", "PolicyArn": arn}
    ]
    attached = iam.list_attached_role_policies(RoleName=f"{prefix}-r")["AttachedPolicies"]
    assert {p["PolicyArn"] for p in attached} == {arn, ADMIN}
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 2

    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == [f"{prefix}-u"]
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [f"{prefix}-r"]
    only_roles = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role")
    assert only_roles["PolicyUsers"] == [] and len(only_roles["PolicyRoles"]) == 1

    iam.detach_role_policy(RoleName=f"{prefix}-r", PolicyArn=arn)
    error = error_of(iam.detach_role_policy, RoleName=f"{prefix}-r", PolicyArn=arn)
    assert_error(error, "NoSuchEntity", 404, f"Policy {arn} was not found.")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1


def test_attach_missing_or_invalid_policy(iam: Any, account_id: str, prefix: str) -> None:
    iam.create_user(UserName=f"{prefix}-u")
    missing = f"arn:aws:iam::{account_id}:policy/{prefix}-none"
    error = error_of(iam.attach_user_policy, UserName=f"{prefix}-u", PolicyArn=missing)
    assert_error(error, "NoSuchEntity", 404, f"Policy {missing} does not exist or is not attachable.")
    error = error_of(iam.attach_user_policy, UserName=f"{prefix}-u", PolicyArn="arn:aws:s3:::not-a-policy")
    assert_error(error, "InvalidInput", 400, "ARN arn:aws:s3:::not-a-policy is not valid.")
    assert iam.list_attached_user_policies(UserName=f"{prefix}-u")["AttachedPolicies"] == []


def test_attach_limit(iam: Any, prefix: str) -> None:
    iam.create_user(UserName=f"{prefix}-u")
    arns = [
        iam.create_policy(PolicyName=f"{prefix}-l{i}", PolicyDocument=policy(allow("s3:*")))["Policy"]["Arn"]
        for i in range(11)
    ]
    for arn in arns[:10]:
        iam.attach_user_policy(UserName=f"{prefix}-u", PolicyArn=arn)
    error = error_of(iam.attach_user_policy, UserName=f"{prefix}-u", PolicyArn=arns[10])
    assert_error(error, "LimitExceeded", 409, "Cannot exceed quota for PoliciesPerUser: 10")
    assert len(iam.list_attached_user_policies(UserName=f"{prefix}-u")["AttachedPolicies"]) == 10


def test_list_policies_scopes(iam: Any, prefix: str) -> None:
    arn = iam.create_policy(
        PolicyName=f"{prefix}-s", Path=f"/{prefix}/", PolicyDocument=policy(allow("s3:*"))
    )["Policy"]["Arn"]
    local = {p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]}
    aws = {p["Arn"] for p in iam.list_policies(Scope="AWS")["Policies"]}
    assert arn in local and arn not in aws
    assert {
        ADMIN,
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::aws:policy/IAMFullAccess",
        "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
        "arn:aws:iam::aws:policy/PowerUserAccess",
    } <= aws
    assert not any(a.startswith("arn:aws:iam::aws:") for a in local)
    assert [p["Arn"] for p in iam.list_policies(Scope="Local", PathPrefix=f"/{prefix}/")["Policies"]] == [arn]
    assert arn not in {p["Arn"] for p in iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]}
    iam.create_user(UserName=f"{prefix}-u")
    iam.attach_user_policy(UserName=f"{prefix}-u", PolicyArn=arn)
    assert arn in {p["Arn"] for p in iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]}


def test_aws_managed_policy_documents(iam: Any) -> None:
    got = iam.get_policy(PolicyArn=ADMIN)["Policy"]
    version = iam.get_policy_version(PolicyArn=ADMIN, VersionId=got["DefaultVersionId"])["PolicyVersion"]
    assert version["Document"]["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    power = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess")["Policy"]
    document = iam.get_policy_version(PolicyArn=power["Arn"], VersionId=power["DefaultVersionId"])[
        "PolicyVersion"
    ]
    assert document["Document"]["Statement"][0]["NotAction"] == ["iam:*", "organizations:*", "account:*"]


def test_aws_managed_policies_cannot_be_changed(iam: Any) -> None:
    assert_error(error_of(iam.delete_policy, PolicyArn=ADMIN), "InvalidInput", 400)
    assert_error(error_of(iam.create_policy_version, PolicyArn=ADMIN, PolicyDocument=policy(allow("s3:*"))),
                 "InvalidInput", 400)  # fmt: skip
    assert iam.get_policy(PolicyArn=ADMIN)["Policy"]["DefaultVersionId"] == "v1"
