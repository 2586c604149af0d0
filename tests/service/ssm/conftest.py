"""Parameter Store fixtures: each test module works in an account of its own (74xxxxxxxxxx)."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory


@pytest.fixture(scope="module")
def account_id() -> str:
    return "74" + "".join(secrets.choice("0123456789") for _ in range(10))


@pytest.fixture(scope="module")
def ssm(make_client: ClientFactory, account_id: str) -> Any:
    return make_client("ssm", access_key=account_id)


@pytest.fixture(scope="module")
def raw_ssm(make_client: ClientFactory, account_id: str) -> Any:
    """Sends what botocore would refuse, so that the server's own checks answer."""
    return make_client("ssm", access_key=account_id, parameter_validation=False)


@pytest.fixture(scope="module")
def iam(make_client: ClientFactory, account_id: str) -> Any:
    return make_client("iam", access_key=account_id)


@pytest.fixture(scope="module")
def kms(make_client: ClientFactory, account_id: str) -> Any:
    return make_client("kms", access_key=account_id)


@pytest.fixture
def prefix() -> str:
    return f"/t{uuid.uuid4().hex[:10]}"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action: str | list[str], resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


UserClients = Callable[..., Any]


@pytest.fixture(scope="module")
def user_client(make_client: ClientFactory, iam: Any) -> UserClients:
    """`user_client("ssm", policy_document)`: a client of a new IAM user holding that inline policy."""

    def make(service: str, document: str, **kwargs: Any) -> Any:
        name = f"u{uuid.uuid4().hex[:10]}"
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=document)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return make_client(
            service, access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"], **kwargs
        )

    return make


def error_of(call: Callable[..., Any], **kwargs: Any) -> ClientError:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value


def assert_error(error: ClientError, code: str, message: str | None = None, status: int = 400) -> None:
    assert error.response["Error"]["Code"] == code, error.response
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == status, error.response
    if message is not None:
        assert error.response["Error"]["Message"] == message, error.response["Error"]["Message"]
