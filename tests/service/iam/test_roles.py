"""Roles end to end: trust policies checked as trust policies, session duration bounds, updates, deletion."""

from __future__ import annotations

import json
from typing import Any

from tests.service.iam.conftest import TRUST_EC2, allow, assert_error, error_of, policy


def test_role_lifecycle(iam: Any, account_id: str, prefix: str) -> None:
    name = f"{prefix}-role"
    role = iam.create_role(
        RoleName=name,
        Path="/svc/",
        AssumeRolePolicyDocument=TRUST_EC2,
        Description="for tests",
        MaxSessionDuration=7200,
        Tags=[{"Key": "k", "Value": "v"}],
    )["Role"]
    assert role["Arn"] == f"arn:aws:iam::{account_id}:role/svc/{name}"
    assert role["RoleId"].startswith("AROA")
    assert role["AssumeRolePolicyDocument"] == json.loads(TRUST_EC2)
    assert role["MaxSessionDuration"] == 7200

    fetched = iam.get_role(RoleName=name)["Role"]
    assert fetched["Description"] == "for tests"
    assert fetched["Tags"] == [{"Key": "k", "Value": "v"}]
    assert fetched["AssumeRolePolicyDocument"] == json.loads(TRUST_EC2)
    assert name in [r["RoleName"] for r in iam.list_roles(PathPrefix="/svc/")["Roles"]]

    iam.update_role(RoleName=name, Description="changed", MaxSessionDuration=43200)
    fetched = iam.get_role(RoleName=name)["Role"]
    assert (fetched["Description"], fetched["MaxSessionDuration"]) == ("changed", 43200)
    assert iam.update_role_description(RoleName=name, Description="again")["Role"]["Description"] == "again"

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == trust

    iam.delete_role(RoleName=name)
    assert_error(
        error_of(iam.get_role, RoleName=name),
        "NoSuchEntity",
        404,
        f"The role with name {name} cannot be found.",
    )


def test_duplicate_role(iam: Any, prefix: str) -> None:
    iam.create_role(RoleName=f"{prefix}-dup", AssumeRolePolicyDocument=TRUST_EC2, Description="first")
    error = error_of(iam.create_role, RoleName=f"{prefix}-DUP", AssumeRolePolicyDocument=TRUST_EC2)
    assert_error(error, "EntityAlreadyExists", 409, f"Role with name {prefix}-DUP already exists.")
    assert iam.get_role(RoleName=f"{prefix}-dup")["Role"]["Description"] == "first"


def test_malformed_trust_policies(iam: Any, prefix: str) -> None:
    no_principal = policy({"Effect": "Allow", "Action": "sts:AssumeRole"})
    for index, document in enumerate(["not json", "{}", no_principal, policy(allow("s3:*"))]):
        name = f"{prefix}-bad{index}"
        error = error_of(iam.create_role, RoleName=name, AssumeRolePolicyDocument=document)
        assert_error(error, "MalformedPolicyDocument", 400)
        assert_error(error_of(iam.get_role, RoleName=name), "NoSuchEntity", 404)


def test_update_assume_role_policy_refuses_malformed(iam: Any, prefix: str) -> None:
    name = f"{prefix}-trust"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_EC2)
    error = error_of(iam.update_assume_role_policy, RoleName=name, PolicyDocument='{"Version": "2012-10-17"}')
    assert_error(error, "MalformedPolicyDocument", 400)
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == json.loads(TRUST_EC2)


def test_session_duration_bounds(iam: Any, raw_iam: Any, prefix: str) -> None:
    for value in (3599, 43201):
        kwargs = {"RoleName": f"{prefix}-d{value}", "MaxSessionDuration": value}
        error = error_of(raw_iam.create_role, AssumeRolePolicyDocument=TRUST_EC2, **kwargs)
        assert_error(error, "ValidationError", 400)
        assert_error(error_of(iam.get_role, RoleName=f"{prefix}-d{value}"), "NoSuchEntity", 404)
    iam.create_role(RoleName=f"{prefix}-ok", AssumeRolePolicyDocument=TRUST_EC2)
    assert iam.get_role(RoleName=f"{prefix}-ok")["Role"]["MaxSessionDuration"] == 3600
    error = error_of(raw_iam.update_role, RoleName=f"{prefix}-ok", MaxSessionDuration=60)
    assert_error(error, "ValidationError", 400)
    assert "maxSessionDuration" in error.response["Error"]["Message"]
    assert iam.get_role(RoleName=f"{prefix}-ok")["Role"]["MaxSessionDuration"] == 3600


def test_delete_role_conflicts(iam: Any, prefix: str) -> None:
    name = f"{prefix}-busy"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_EC2)
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=policy(allow("s3:*")))
    error = error_of(iam.delete_role, RoleName=name)
    assert_error(error, "DeleteConflict", 409, "Cannot delete entity, must detach all policies first.")
    iam.detach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    error = error_of(iam.delete_role, RoleName=name)
    assert_error(error, "DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
    iam.delete_role_policy(RoleName=name, PolicyName="inline")
    iam.delete_role(RoleName=name)


def test_missing_role(iam: Any, prefix: str) -> None:
    for call, kwargs in [
        (iam.get_role, {}),
        (iam.delete_role, {}),
        (iam.update_role, {"Description": "x"}),
        (iam.update_assume_role_policy, {"PolicyDocument": TRUST_EC2}),
        (iam.list_role_policies, {}),
    ]:
        assert_error(error_of(call, RoleName=f"{prefix}-none", **kwargs), "NoSuchEntity", 404)


def test_role_boundary_and_paths(iam: Any, account_id: str, prefix: str) -> None:
    boundary = iam.create_policy(PolicyName=f"{prefix}-rb", PolicyDocument=policy(allow("s3:*")))["Policy"][
        "Arn"
    ]
    role = iam.create_role(
        RoleName=f"{prefix}-rb", AssumeRolePolicyDocument=TRUST_EC2, PermissionsBoundary=boundary
    )
    assert role["Role"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": boundary,
    }
    assert iam.get_policy(PolicyArn=boundary)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    iam.delete_role_permissions_boundary(RoleName=f"{prefix}-rb")
    assert "PermissionsBoundary" not in iam.get_role(RoleName=f"{prefix}-rb")["Role"]
    iam.put_role_permissions_boundary(RoleName=f"{prefix}-rb", PermissionsBoundary=boundary)
    assert (
        iam.get_role(RoleName=f"{prefix}-rb")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
        == boundary
    )

    missing = f"arn:aws:iam::{account_id}:policy/{prefix}-missing"
    error = error_of(iam.create_role, RoleName=f"{prefix}-rb2", AssumeRolePolicyDocument=TRUST_EC2,
                     PermissionsBoundary=missing)  # fmt: skip
    assert_error(error, "NoSuchEntity", 404)
    assert_error(error_of(iam.get_role, RoleName=f"{prefix}-rb2"), "NoSuchEntity", 404)
