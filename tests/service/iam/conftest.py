"""IAM fixtures: each test module works in an account of its own; each test names things uniquely."""

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
    """A fresh dev account: a 12-digit access key id with secret `test` is that account's root."""
    return "4" + "".join(secrets.choice("0123456789") for _ in range(11))


@pytest.fixture(scope="module")
def iam(make_client: ClientFactory, account_id: str) -> Any:
    return make_client("iam", access_key=account_id, secret_key="test")


@pytest.fixture(scope="module")
def raw_iam(make_client: ClientFactory, account_id: str) -> Any:
    """A client that sends what botocore would refuse to, so that the server's own checks answer."""
    return make_client("iam", access_key=account_id, secret_key="test", parameter_validation=False)


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action: str | list[str], resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


TRUST_EC2 = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def error_of(call: Callable[..., Any], **kwargs: Any) -> ClientError:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value


def assert_error(error: ClientError, code: str, status: int, message: str | None = None) -> None:
    assert error.response["Error"]["Code"] == code, error.response
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == status, error.response
    if message is not None:
        assert error.response["Error"]["Message"] == message
