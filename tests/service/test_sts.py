"""STS end to end: identities, role sessions with trust policies, session tokens, expiry."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.server import ServerProcess

ACCOUNT = "210987654321"
OTHER_ACCOUNT = "210987654322"


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _trust(principal: Any, **extra: Any) -> str:
    return _policy({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})


@pytest.fixture(scope="module")
def iam(make_client: Any) -> Any:
    return make_client("iam", access_key=ACCOUNT)


@pytest.fixture
def user(iam: Any, make_client: Any) -> dict[str, Any]:
    name = f"u-{uuid.uuid4().hex[:8]}"
    created = iam.create_user(UserName=name)["User"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {
        "name": name,
        "arn": created["Arn"],
        "id": created["UserId"],
        "sts": make_client("sts", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"]),
        "key": key,
    }


def _role(iam: Any, trust: str, **kwargs: Any) -> dict[str, Any]:
    role: dict[str, Any] = iam.create_role(
        RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=trust, **kwargs
    )["Role"]
    return role


def test_caller_identity_of_a_user(user: dict[str, Any]) -> None:
    identity = user["sts"].get_caller_identity()
    assert identity == {**identity, "Account": ACCOUNT, "Arn": user["arn"], "UserId": user["id"]}


def test_a_trusted_user_assumes_a_role_and_acts_as_the_session(
    iam: Any, user: dict[str, Any], make_client: Any
) -> None:
    role = _role(iam, _trust({"AWS": user["arn"]}))
    assumed = user["sts"].assume_role(RoleArn=role["Arn"], RoleSessionName="deploy")
    creds = assumed["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert (
        assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/deploy"
    )
    session = make_client(
        "sts",
        access_key=creds["AccessKeyId"],
        secret_key=creds["SecretAccessKey"],
        token=creds["SessionToken"],
    )
    identity = session.get_caller_identity()
    assert identity["Arn"] == assumed["AssumedRoleUser"]["Arn"]
    assert identity["UserId"] == f"{role['RoleId']}:deploy"


def test_an_untrusted_user_is_denied(iam: Any, user: dict[str, Any]) -> None:
    role = _role(iam, _trust({"AWS": f"arn:aws:iam::{ACCOUNT}:user/someone-else"}))
    with pytest.raises(ClientError) as err:
        user["sts"].assume_role(RoleArn=role["Arn"], RoleSessionName="sx")
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert (
        f"User: {user['arn']} is not authorized to perform: sts:AssumeRole"
        in err.value.response["Error"]["Message"]
    )


def test_trusting_the_account_needs_an_identity_policy_too(iam: Any, user: dict[str, Any]) -> None:
    role = _role(iam, _trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    with pytest.raises(ClientError) as err:
        user["sts"].assume_role(RoleArn=role["Arn"], RoleSessionName="sx")
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    iam.put_user_policy(
        UserName=user["name"],
        PolicyName="assume",
        PolicyDocument=_policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role["Arn"]}),
    )
    assert user["sts"].assume_role(RoleArn=role["Arn"], RoleSessionName="sx")["Credentials"]


def test_external_id_condition(iam: Any, user: dict[str, Any]) -> None:
    role = _role(iam, _trust({"AWS": user["arn"]}, Condition={"StringEquals": {"sts:ExternalId": "abc-123"}}))
    with pytest.raises(ClientError) as err:
        user["sts"].assume_role(RoleArn=role["Arn"], RoleSessionName="sx")
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError):
        user["sts"].assume_role(RoleArn=role["Arn"], RoleSessionName="sx", ExternalId="wrong-id")
    assert user["sts"].assume_role(RoleArn=role["Arn"], RoleSessionName="sx", ExternalId="abc-123")


def test_the_root_user_cannot_assume_roles(iam: Any, make_client: Any) -> None:
    role = _role(iam, _trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    with pytest.raises(ClientError) as err:
        make_client("sts", access_key=ACCOUNT).assume_role(RoleArn=role["Arn"], RoleSessionName="sx")
    assert err.value.response["Error"]["Code"] == "AccessDenied"


def test_a_missing_role_is_a_denial(user: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as err:
        user["sts"].assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/does-not-exist", RoleSessionName="sx")
    assert err.value.response["Error"]["Code"] == "AccessDenied"


def test_duration_beyond_the_roles_maximum_is_refused(
    iam: Any, user: dict[str, Any], make_client: Any
) -> None:
    role = _role(iam, _trust({"AWS": user["arn"]}))
    with pytest.raises(ClientError) as err:
        user["sts"].assume_role(RoleArn=role["Arn"], RoleSessionName="sx", DurationSeconds=7200)
    assert err.value.response["Error"]["Code"] == "ValidationError"
    unchecked = make_client(
        "sts",
        access_key=user["key"]["AccessKeyId"],
        secret_key=user["key"]["SecretAccessKey"],
        parameter_validation=False,
    )
    with pytest.raises(ClientError) as err:
        unchecked.assume_role(RoleArn=role["Arn"], RoleSessionName="sx", DurationSeconds=60)
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_session_policy_narrows_the_role(iam: Any, user: dict[str, Any], make_client: Any) -> None:
    role = _role(iam, _trust({"AWS": user["arn"]}))
    iam.put_role_policy(
        RoleName=role["RoleName"],
        PolicyName="all-iam",
        PolicyDocument=_policy({"Effect": "Allow", "Action": "iam:*", "Resource": "*"}),
    )
    session_policy = _policy({"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"})
    creds = user["sts"].assume_role(RoleArn=role["Arn"], RoleSessionName="narrow", Policy=session_policy)[
        "Credentials"
    ]
    session_iam = make_client(
        "iam",
        access_key=creds["AccessKeyId"],
        secret_key=creds["SecretAccessKey"],
        token=creds["SessionToken"],
    )
    assert session_iam.get_role(RoleName=role["RoleName"])["Role"]["Arn"] == role["Arn"]
    with pytest.raises(ClientError) as err:
        session_iam.list_users()
    assert err.value.response["Error"]["Code"] == "AccessDenied"


def test_a_malformed_session_policy_is_refused(iam: Any, user: dict[str, Any]) -> None:
    role = _role(iam, _trust({"AWS": user["arn"]}))
    with pytest.raises(ClientError) as err:
        user["sts"].assume_role(RoleArn=role["Arn"], RoleSessionName="sx", Policy='{"Statement": "nope"}')
    assert err.value.response["Error"]["Code"] == "MalformedPolicyDocument"


def test_cross_account_needs_both_sides(make_client: Any, user: dict[str, Any], iam: Any) -> None:
    other_iam = make_client("iam", access_key=OTHER_ACCOUNT)
    role = _role(other_iam, _trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    with pytest.raises(ClientError):
        user["sts"].assume_role(RoleArn=role["Arn"], RoleSessionName="sx")  # the identity side does not allow
    iam.put_user_policy(
        UserName=user["name"],
        PolicyName="assume-any",
        PolicyDocument=_policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}),
    )
    assumed = user["sts"].assume_role(RoleArn=role["Arn"], RoleSessionName="sx")
    assert assumed["AssumedRoleUser"]["Arn"].startswith(f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/")


def test_session_credentials_expire_when_the_clock_moves(
    iam: Any, user: dict[str, Any], make_client: Any, server: ServerProcess
) -> None:
    role = _role(iam, _trust({"AWS": user["arn"]}))
    creds = user["sts"].assume_role(RoleArn=role["Arn"], RoleSessionName="short", DurationSeconds=900)[
        "Credentials"
    ]
    session = make_client(
        "sts",
        access_key=creds["AccessKeyId"],
        secret_key=creds["SecretAccessKey"],
        token=creds["SessionToken"],
    )
    session.get_caller_identity()
    server.advance_clock(901)
    with pytest.raises(ClientError) as err:
        session.get_caller_identity()
    assert err.value.response["Error"]["Code"] == "ExpiredToken"


def test_a_tampered_session_token_is_refused(iam: Any, user: dict[str, Any], make_client: Any) -> None:
    role = _role(iam, _trust({"AWS": user["arn"]}))
    creds = user["sts"].assume_role(RoleArn=role["Arn"], RoleSessionName="tt")["Credentials"]
    token = creds["SessionToken"]
    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    session = make_client(
        "sts", access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"], token=tampered
    )
    with pytest.raises(ClientError) as err:
        session.get_caller_identity()
    assert err.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_get_session_token_for_a_user_and_not_for_a_session(
    user: dict[str, Any], iam: Any, make_client: Any
) -> None:
    iam.put_user_policy(
        UserName=user["name"],
        PolicyName="session",
        PolicyDocument=_policy({"Effect": "Allow", "Action": "sts:GetSessionToken", "Resource": "*"}),
    )
    creds = user["sts"].get_session_token(DurationSeconds=900)["Credentials"]
    session = make_client(
        "sts",
        access_key=creds["AccessKeyId"],
        secret_key=creds["SecretAccessKey"],
        token=creds["SessionToken"],
    )
    assert session.get_caller_identity()["Arn"] == user["arn"]
    with pytest.raises(ClientError) as err:
        session.get_session_token()
    assert err.value.response["Error"]["Code"] == "AccessDenied"


def test_an_invalid_session_name_is_a_validation_error(
    user: dict[str, Any], iam: Any, make_client: Any
) -> None:
    role = _role(iam, _trust({"AWS": user["arn"]}))
    unchecked = make_client(
        "sts",
        access_key=user["key"]["AccessKeyId"],
        secret_key=user["key"]["SecretAccessKey"],
        parameter_validation=False,
    )
    with pytest.raises(ClientError) as err:
        unchecked.assume_role(RoleArn=role["Arn"], RoleSessionName="has spaces")
    assert err.value.response["Error"]["Code"] == "ValidationError"
