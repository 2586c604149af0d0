"""Clients written by others: the AWS CLI, and the aws-secretsmanager-caching library."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.service.secretsmanager.conftest import wait_for


def aws(endpoint: str, account_id: str, *args: str) -> Any:
    local = Path(sys.executable).parent / "aws"
    program = str(local) if local.exists() else shutil.which("aws")
    if program is None:
        pytest.skip("the AWS CLI is not installed")
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": account_id,
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PAGER": "",
    }
    env.pop("AWS_PROFILE", None)
    done = subprocess.run(
        [program, "secretsmanager", *args, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"aws secretsmanager {' '.join(args)} failed: {done.stderr}")
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_cli(endpoint: str, account_id: str, name: str) -> None:
    created = aws(endpoint, account_id, "create-secret", "--name", name, "--secret-string", '{"user":"cli"}')
    assert created["Name"] == name
    value = aws(endpoint, account_id, "get-secret-value", "--secret-id", name)
    assert json.loads(value["SecretString"]) == {"user": "cli"}
    aws(endpoint, account_id, "put-secret-value", "--secret-id", name, "--secret-string", "second")
    listed = aws(endpoint, account_id, "list-secrets", "--filters", f"Key=name,Values={name}")
    assert [s["Name"] for s in listed["SecretList"]] == [name]
    password = aws(
        endpoint, account_id, "get-random-password", "--password-length", "20", "--exclude-punctuation"
    )
    assert len(password["RandomPassword"]) == 20 and password["RandomPassword"].isalnum()
    deleted = aws(
        endpoint, account_id, "delete-secret", "--secret-id", name, "--force-delete-without-recovery"
    )
    assert deleted["Name"] == name


def test_caching_library(sm: Any, name: str) -> None:
    from aws_secretsmanager_caching import SecretCache, SecretCacheConfig

    sm.create_secret(Name=name, SecretString="cached-1")
    cache = SecretCache(config=SecretCacheConfig(secret_refresh_interval=1), client=sm)
    assert cache.get_secret_string(name) == "cached-1"
    sm.put_secret_value(SecretId=name, SecretString="cached-2")
    wait_for(lambda: cache.get_secret_string(name) == "cached-2", timeout=10)
    sm.create_secret(Name=name + "-bin", SecretBinary=b"\x01\x02")
    assert cache.get_secret_binary(name + "-bin") == b"\x01\x02"
