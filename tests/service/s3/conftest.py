"""S3 fixtures: clients of the test accounts (77xxxxxxxxxx), buckets, KMS keys, IAM users."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "770000000001"
OTHER_ACCOUNT = "770000000002"
REGION = "us-east-1"
OTHER_REGION = "eu-west-1"


def policy_document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def error_code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def http_status(err: pytest.ExceptionInfo[ClientError]) -> int:
    return int(err.value.response["ResponseMetadata"]["HTTPStatusCode"])


def unique_bucket(prefix: str = "sr") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


@pytest.fixture(scope="session")
def s3(make_client: Any) -> Any:
    return make_client("s3", access_key=ACCOUNT, signature_version="s3v4")


@pytest.fixture(scope="session")
def s3_eu(make_client: Any) -> Any:
    return make_client("s3", access_key=ACCOUNT, region=OTHER_REGION, signature_version="s3v4")


@pytest.fixture(scope="session")
def other_s3(make_client: Any) -> Any:
    return make_client("s3", access_key=OTHER_ACCOUNT, signature_version="s3v4")


@pytest.fixture(scope="session")
def kms(make_client: Any) -> Any:
    return make_client("kms", access_key=ACCOUNT)


@pytest.fixture(scope="session")
def iam(make_client: Any) -> Any:
    return make_client("iam", access_key=ACCOUNT)


@pytest.fixture
def bucket(s3: Any) -> str:
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def versioned_bucket(s3: Any) -> str:
    name = unique_bucket("ver")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


UserFactory = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def make_user(iam: Any, make_client: Any) -> UserFactory:
    """A new IAM user of ACCOUNT with the given identity-policy statements, and its S3 client."""

    def make(*statements: dict[str, Any]) -> dict[str, Any]:
        name = f"s3-user-{uuid.uuid4().hex[:8]}"
        arn = iam.create_user(UserName=name)["User"]["Arn"]
        if statements:
            iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy_document(*statements))
        access = iam.create_access_key(UserName=name)["AccessKey"]
        client = make_client(
            "s3",
            access_key=access["AccessKeyId"],
            secret_key=access["SecretAccessKey"],
            signature_version="s3v4",
        )
        return {"name": name, "arn": arn, "s3": client}

    return make
