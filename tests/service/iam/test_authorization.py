"""IAM users are refused what no policy allows, with AWS's message; allows and explicit denies work."""

from __future__ import annotations

from typing import Any

from tests.conftest import ClientFactory
from tests.service.iam.conftest import allow, assert_error, deny, error_of, policy


def new_user_client(iam: Any, make_client: ClientFactory, name: str) -> Any:
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return make_client("iam", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])


def test_user_without_policies_is_denied(
    iam: Any, make_client: ClientFactory, account_id: str, prefix: str
) -> None:
    name = f"{prefix}-x"
    client = new_user_client(iam, make_client, name)
    error = error_of(client.list_users)
    assert_error(error, "AccessDenied", 403)
    message = error.response["Error"]["Message"]
    assert message.startswith(
        f"User: arn:aws:iam::{account_id}:user/{name} is not authorized to perform: iam:ListUsers "
        f"on resource: arn:aws:iam::{account_id}:user/"
    ), message
    assert "identity-based policy" in message


def test_inline_allow_then_explicit_deny(iam: Any, make_client: ClientFactory, prefix: str) -> None:
    name = f"{prefix}-allowed"
    client = new_user_client(iam, make_client, name)
    iam.put_user_policy(UserName=name, PolicyName="list", PolicyDocument=policy(allow("iam:ListUsers")))
    assert name in [u["UserName"] for u in client.list_users()["Users"]]

    iam.put_user_policy(UserName=name, PolicyName="no-list", PolicyDocument=policy(deny("iam:List*")))
    error = error_of(client.list_users)
    assert_error(error, "AccessDenied", 403)
    assert "explicit deny" in error.response["Error"]["Message"]

    iam.delete_user_policy(UserName=name, PolicyName="no-list")
    assert client.list_users()["Users"]


def test_denied_write_changes_nothing(iam: Any, make_client: ClientFactory, prefix: str) -> None:
    client = new_user_client(iam, make_client, f"{prefix}-writer")
    assert_error(error_of(client.create_user, UserName=f"{prefix}-sneaky"), "AccessDenied", 403)
    assert_error(error_of(iam.get_user, UserName=f"{prefix}-sneaky"), "NoSuchEntity", 404)


def test_resource_scoped_allow(iam: Any, make_client: ClientFactory, account_id: str, prefix: str) -> None:
    name = f"{prefix}-scoped"
    client = new_user_client(iam, make_client, name)
    iam.create_user(UserName=f"{prefix}-other")
    iam.put_user_policy(
        UserName=name,
        PolicyName="self-only",
        PolicyDocument=policy(allow("iam:GetUser", f"arn:aws:iam::{account_id}:user/{name}")),
    )
    assert client.get_user()["User"]["UserName"] == name
    assert_error(error_of(client.get_user, UserName=f"{prefix}-other"), "AccessDenied", 403)


def test_attached_aws_managed_policy_grants(iam: Any, make_client: ClientFactory, prefix: str) -> None:
    name = f"{prefix}-reader"
    client = new_user_client(iam, make_client, name)
    assert_error(error_of(client.list_roles), "AccessDenied", 403)
    iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert "Roles" in client.list_roles()
    assert_error(error_of(client.create_user, UserName=f"{prefix}-nope"), "AccessDenied", 403)
    iam.detach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert_error(error_of(client.list_roles), "AccessDenied", 403)


def test_customer_managed_policy_follows_its_default_version(
    iam: Any, make_client: ClientFactory, prefix: str
) -> None:
    name = f"{prefix}-versioned"
    client = new_user_client(iam, make_client, name)
    arn = iam.create_policy(PolicyName=f"{prefix}-p", PolicyDocument=policy(allow("iam:ListUsers")))[
        "Policy"
    ]["Arn"]
    iam.attach_user_policy(UserName=name, PolicyArn=arn)
    assert client.list_users()["Users"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy(allow("iam:ListRoles")), SetAsDefault=True)
    assert_error(error_of(client.list_users), "AccessDenied", 403)
    assert "Roles" in client.list_roles()
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert client.list_users()["Users"]


def test_permissions_boundary_limits_the_user(iam: Any, make_client: ClientFactory, prefix: str) -> None:
    name = f"{prefix}-bounded"
    client = new_user_client(iam, make_client, name)
    iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=policy(allow("iam:*")))
    assert "Roles" in client.list_roles()
    boundary = iam.create_policy(PolicyName=f"{prefix}-b", PolicyDocument=policy(allow("iam:ListUsers")))[
        "Policy"
    ]
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=boundary["Arn"])
    assert client.list_users()["Users"]
    assert_error(error_of(client.list_roles), "AccessDenied", 403)
    iam.delete_user_permissions_boundary(UserName=name)
    assert "Roles" in client.list_roles()
