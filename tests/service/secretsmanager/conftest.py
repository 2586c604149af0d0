"""Secrets Manager fixtures: a fresh 75xxxxxxxxxx account per test module, clients, users."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory

REGION = "us-east-1"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def error_of(call: Callable[..., Any], **kwargs: Any) -> ClientError:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value


def code_of(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def message_of(error: ClientError) -> str:
    return str(error.response["Error"].get("Message", ""))


def wait_for(check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Rotation runs in the background, as on AWS: poll until `check` returns a true value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


@pytest.fixture(scope="module")
def account_id() -> str:
    return "75" + "".join(secrets.choice("0123456789") for _ in range(10))


@pytest.fixture(scope="module")
def other_account_id() -> str:
    return "75" + "".join(secrets.choice("0123456789") for _ in range(10))


@pytest.fixture(scope="module")
def sm(make_client: ClientFactory, account_id: str) -> Any:
    return make_client("secretsmanager", access_key=account_id)


@pytest.fixture(scope="module")
def raw_sm(make_client: ClientFactory, account_id: str) -> Any:
    """Sends what botocore would refuse, so that the server's own checks answer."""
    return make_client("secretsmanager", access_key=account_id, parameter_validation=False)


@pytest.fixture(scope="module")
def kms(make_client: ClientFactory, account_id: str) -> Any:
    return make_client("kms", access_key=account_id)


@pytest.fixture(scope="module")
def iam(make_client: ClientFactory, account_id: str) -> Any:
    return make_client("iam", access_key=account_id)


@pytest.fixture
def name() -> str:
    return f"app/{uuid.uuid4().hex[:10]}"


UserClients = Callable[..., dict[str, Any]]


def iam_user_clients(
    iam: Any, make_client: ClientFactory, document: str | None = None, *, region: str = REGION
) -> dict[str, Any]:
    """A new IAM user in `iam`'s account with `document` as its inline policy, and its clients."""
    user = f"u{uuid.uuid4().hex[:10]}"
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    if document is not None:
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=document)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    creds = {"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"], "region": region}
    return {
        "arn": arn,
        "name": user,
        "sm": make_client("secretsmanager", **creds),
        "kms": make_client("kms", **creds),
    }


@pytest.fixture(scope="module")
def user_clients(iam: Any, make_client: ClientFactory) -> Iterator[UserClients]:
    """`user_clients(policy_json)`: an IAM user with that inline policy, and its clients."""

    def make(document: str | None = None, *, region: str = REGION) -> dict[str, Any]:
        return iam_user_clients(iam, make_client, document, region=region)

    yield make
