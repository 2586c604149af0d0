"""KMS fixtures: clients of the test accounts (7xxxxxxxxxxx), users with policies, keys."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "700000000001"
OTHER_ACCOUNT = "700000000002"
REGION = "us-east-1"


def policy_document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def error_code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def error_message(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"].get("Message", ""))


def http_status(err: pytest.ExceptionInfo[ClientError]) -> int:
    return int(err.value.response["ResponseMetadata"]["HTTPStatusCode"])


@pytest.fixture(scope="session")
def kms(make_client: Any) -> Any:
    return make_client("kms", access_key=ACCOUNT)


@pytest.fixture(scope="session")
def other_kms(make_client: Any) -> Any:
    return make_client("kms", access_key=OTHER_ACCOUNT)


@pytest.fixture(scope="session")
def iam(make_client: Any) -> Any:
    return make_client("iam", access_key=ACCOUNT)


@pytest.fixture(scope="session")
def other_iam(make_client: Any) -> Any:
    return make_client("iam", access_key=OTHER_ACCOUNT)


@pytest.fixture
def key(kms: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = kms.create_key(Description="test key")["KeyMetadata"]
    return metadata


UserFactory = Callable[..., dict[str, Any]]


def _user_factory(iam: Any, make_client: Any) -> UserFactory:
    def make(*statements: dict[str, Any], region: str = REGION) -> dict[str, Any]:
        name = f"kms-user-{uuid.uuid4().hex[:8]}"
        arn = iam.create_user(UserName=name)["User"]["Arn"]
        if statements:
            iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy_document(*statements))
        access = iam.create_access_key(UserName=name)["AccessKey"]
        client = make_client(
            "kms", region=region, access_key=access["AccessKeyId"], secret_key=access["SecretAccessKey"]
        )
        return {"name": name, "arn": arn, "kms": client}

    return make


@pytest.fixture(scope="session")
def make_user(iam: Any, make_client: Any) -> UserFactory:
    """A new IAM user of ACCOUNT with the given identity-policy statements and its KMS client."""
    return _user_factory(iam, make_client)


@pytest.fixture(scope="session")
def make_other_user(other_iam: Any, make_client: Any) -> UserFactory:
    """A new IAM user of OTHER_ACCOUNT."""
    return _user_factory(other_iam, make_client)
