"""Several nodes over one PostgreSQL database: one state, one root of trust, exactly-once work."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.server import TEST_DATABASE_ENV, ServerProcess, boto_config

pytestmark = pytest.mark.skipif(
    not os.environ.get(TEST_DATABASE_ENV), reason="several nodes need a shared PostgreSQL database"
)


def _client(
    proc: ServerProcess,
    service: str,
    key: str = "510987654321",
    secret: str = "test",
    token: str | None = None,
) -> Any:
    return boto3.client(
        service,
        endpoint_url=proc.endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=boto_config(),
    )


def test_two_nodes_share_identities_and_sessions(tmp_path: Path, database_url_factory: Any) -> None:
    url = database_url_factory()
    first = ServerProcess(tmp_path / "a", database_url=url).start()
    # A second node needs the same root of trust: the operator copies the root key.
    (tmp_path / "b").mkdir(mode=0o700)
    shutil.copy2(tmp_path / "a" / "root.key", tmp_path / "b" / "root.key")
    second = ServerProcess(tmp_path / "b", database_url=url).start()
    try:
        iam_a = _client(first, "iam")
        iam_a.create_user(UserName="shared")
        key = iam_a.create_access_key(UserName="shared")["AccessKey"]
        on_b = _client(second, "sts", key["AccessKeyId"], key["SecretAccessKey"])
        assert on_b.get_caller_identity()["Arn"].endswith(":user/shared")
        iam_a.put_user_policy(
            UserName="shared",
            PolicyName="session",
            PolicyDocument=(
                '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetSessionToken","Resource":"*"}]}'
            ),
        )
        creds = on_b.get_session_token()["Credentials"]
        back_on_a = _client(
            first, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
        )
        assert back_on_a.get_caller_identity()["Arn"].endswith(":user/shared")
    finally:
        second.stop()
        first.stop()
