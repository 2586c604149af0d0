"""The AWS CLI as a client: a user, a policy and a role through `aws iam ...`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.service.iam.conftest import TRUST_EC2, allow, policy


def aws_cli() -> list[str]:
    local = Path(sys.executable).parent / "aws"
    if local.exists():
        return [str(local)]
    found = shutil.which("aws")
    if found is None:
        pytest.skip("the AWS CLI is not installed")
    return [found]


def run(endpoint: str, account_id: str, *args: str) -> Any:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": account_id,
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PAGER": "",
    }
    env.pop("AWS_PROFILE", None)
    command = [*aws_cli(), "iam", *args, "--output", "json"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise AssertionError(f"aws iam {' '.join(args)} failed: {done.stderr}")
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_cli_flow(endpoint: str, account_id: str, prefix: str) -> None:
    user = run(endpoint, account_id, "create-user", "--user-name", f"{prefix}-cli")["User"]
    assert user["Arn"] == f"arn:aws:iam::{account_id}:user/{prefix}-cli"
    document = policy(allow("s3:ListAllMyBuckets"))
    run(endpoint, account_id, "put-user-policy", "--user-name", f"{prefix}-cli", "--policy-name", "p",
        "--policy-document", document)  # fmt: skip
    got = run(endpoint, account_id, "get-user-policy", "--user-name", f"{prefix}-cli", "--policy-name", "p")
    assert got["PolicyDocument"] == json.loads(document)
    role = run(endpoint, account_id, "create-role", "--role-name", f"{prefix}-cli-role",
               "--assume-role-policy-document", TRUST_EC2)["Role"]  # fmt: skip
    assert role["AssumeRolePolicyDocument"] == json.loads(TRUST_EC2)
    run(endpoint, account_id, "attach-role-policy", "--role-name", f"{prefix}-cli-role",
        "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")  # fmt: skip
    attached = run(endpoint, account_id, "list-attached-role-policies", "--role-name", f"{prefix}-cli-role")
    assert attached["AttachedPolicies"] == [
        {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    ]
    names = [u["UserName"] for u in run(endpoint, account_id, "list-users")["Users"]]
    assert f"{prefix}-cli" in names
    keys = run(endpoint, account_id, "create-access-key", "--user-name", f"{prefix}-cli")["AccessKey"]
    assert keys["Status"] == "Active"
    run(
        endpoint,
        account_id,
        "delete-access-key",
        "--user-name",
        f"{prefix}-cli",
        "--access-key-id",
        keys["AccessKeyId"],
    )
    run(endpoint, account_id, "delete-user-policy", "--user-name", f"{prefix}-cli", "--policy-name", "p")
    run(endpoint, account_id, "delete-user", "--user-name", f"{prefix}-cli")
