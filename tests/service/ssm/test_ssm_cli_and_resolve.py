"""Real clients as judges: the AWS CLI against Parameter Store, and `strongroom resolve`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def _env(endpoint: str, account_id: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=account_id,
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=endpoint,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )
    return env


def _aws(env: dict[str, str], *args: str) -> Any:
    cli = Path(sys.executable).parent / "aws"
    done = subprocess.run(
        [str(cli), *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_aws_cli(endpoint: str, account_id: str, prefix: str) -> None:
    env = _env(endpoint, account_id)
    put = _aws(
        env,
        "ssm",
        "put-parameter",
        "--name",
        f"{prefix}/cli",
        "--value",
        "cli-secret",
        "--type",
        "SecureString",
    )
    assert put["Version"] == 1
    got = _aws(env, "ssm", "get-parameter", "--name", f"{prefix}/cli", "--with-decryption")
    assert got["Parameter"]["Value"] == "cli-secret"
    _aws(env, "ssm", "put-parameter", "--name", f"{prefix}/cli2", "--value", "a,b", "--type", "StringList")
    listed = _aws(env, "ssm", "get-parameters-by-path", "--path", prefix, "--with-decryption")
    assert sorted(p["Value"] for p in listed["Parameters"]) == ["a,b", "cli-secret"]
    described = _aws(env, "ssm", "describe-parameters", "--parameter-filters", f"Key=Path,Values={prefix}")
    assert len(described["Parameters"]) == 2
    _aws(env, "ssm", "delete-parameter", "--name", f"{prefix}/cli2")


def _resolve(env: dict[str, str], path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "strongroom.cli", "resolve", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_resolve_parameters(ssm: Any, endpoint: str, account_id: str, prefix: str, tmp_path: Path) -> None:
    ssm.put_parameter(Name=f"{prefix}/host", Value="db-1", Type="String")
    ssm.put_parameter(Name=f"{prefix}/host", Value="db-2", Overwrite=True)
    ssm.put_parameter(Name=f"{prefix}/pw", Value="p@ss", Type="SecureString")
    template = tmp_path / "template.yaml"
    template.write_text(
        f"Host: '{{{{resolve:ssm:{prefix}/host}}}}'\n"
        f"Old: '{{{{resolve:ssm:{prefix}/host:1}}}}'\n"
        f"Password: '{{{{resolve:ssm-secure:{prefix}/pw}}}}'\n"
        f"Arn: '{{{{resolve:ssm:arn:aws:ssm:us-east-1:{account_id}:parameter{prefix}/host:2}}}}'\n"
    )
    done = _resolve(_env(endpoint, account_id), template)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Host: 'db-2'\nOld: 'db-1'\nPassword: 'p@ss'\nArn: 'db-2'\n"

    wrong = tmp_path / "wrong.txt"
    wrong.write_text(f"{{{{resolve:ssm:{prefix}/pw}}}}")
    done = _resolve(_env(endpoint, account_id), wrong)
    assert done.returncode == 1 and "ssm-secure" in done.stderr and "p@ss" not in done.stdout + done.stderr
    missing = tmp_path / "missing.txt"
    missing.write_text(f"{{{{resolve:ssm:{prefix}/none}}}}")
    done = _resolve(_env(endpoint, account_id), missing)
    assert done.returncode == 1 and "ParameterNotFound" in done.stderr


def test_resolve_uses_the_callers_permissions(
    ssm: Any, iam: Any, endpoint: str, account_id: str, prefix: str, tmp_path: Path
) -> None:
    ssm.put_parameter(Name=f"{prefix}/guarded", Value="guarded", Type="String")
    iam.create_user(UserName=f"r{prefix[2:]}")
    key = iam.create_access_key(UserName=f"r{prefix[2:]}")["AccessKey"]
    env = _env(endpoint, account_id)
    env.update(AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
    template = tmp_path / "t.txt"
    template.write_text(f"{{{{resolve:ssm:{prefix}/guarded}}}}")
    done = _resolve(env, template)
    assert done.returncode == 1 and "AccessDeniedException" in done.stderr


def test_resolve_secretsmanager(
    make_client: Any, endpoint: str, account_id: str, prefix: str, tmp_path: Path
) -> None:
    sm = make_client("secretsmanager", access_key=account_id)
    name = f"resolve{prefix[2:]}"
    try:
        sm.create_secret(Name=name, SecretString=json.dumps({"user": "admin", "port": 5432}))
    except Exception as exc:  # the Secrets Manager service is built alongside
        pytest.skip(f"Secrets Manager unavailable: {exc}")
    template = tmp_path / "sm.txt"
    template.write_text(
        f"{{{{resolve:secretsmanager:{name}:SecretString:user}}}}/{{{{resolve:secretsmanager:{name}:SecretString:port:AWSCURRENT}}}}"
    )
    done = _resolve(_env(endpoint, account_id), template)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "admin/5432"
    ssm = make_client("ssm", access_key=account_id)
    ref = ssm.get_parameter(Name=f"/aws/reference/secretsmanager/{name}", WithDecryption=True)["Parameter"]
    assert json.loads(ref["Value"]) == {"user": "admin", "port": 5432}
    assert ref["Type"] == "SecureString"
    assert ref["ARN"].startswith(f"arn:aws:secretsmanager:us-east-1:{account_id}:secret:{name}")
    assert json.loads(ref["SourceResult"])["Name"] == name
    with pytest.raises(Exception, match="WithDecryption flag must be True"):
        ssm.get_parameter(Name=f"/aws/reference/secretsmanager/{name}")
