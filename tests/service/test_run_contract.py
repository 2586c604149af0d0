"""The run contract: health, dev mode, the dev clock, bootstrap credentials, unimplemented ops."""

from __future__ import annotations

import configparser
import os
import stat
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from tests.support.at_rest import places_holding
from tests.support.server import ServerProcess, boto_config


def test_health_answers_ok(endpoint: str) -> None:
    r = requests.get(f"{endpoint}/_strongroom/health", timeout=5)
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_dev_clock_moves_business_time_forward(server: ServerProcess) -> None:
    before = datetime.fromisoformat(
        requests.get(f"{server.endpoint}/_strongroom/dev/clock", timeout=5).json()["now"]
    )
    after = datetime.fromisoformat(server.advance_clock(0.5))
    assert after - before >= timedelta(seconds=0.5)
    again = datetime.fromisoformat(
        requests.get(f"{server.endpoint}/_strongroom/dev/clock", timeout=5).json()["now"]
    )
    assert again >= after


@pytest.mark.parametrize("body", [{}, {"advance_seconds": -5}, {"advance_seconds": "soon"}, [1]])
def test_dev_clock_refuses_bad_input(server: ServerProcess, body: Any) -> None:
    before = requests.get(f"{server.endpoint}/_strongroom/dev/clock", timeout=5).json()["now"]
    r = requests.post(f"{server.endpoint}/_strongroom/dev/clock", json=body, timeout=5)
    assert r.status_code == 400
    assert r.json()["__type"] == "ValidationException"
    after = requests.get(f"{server.endpoint}/_strongroom/dev/clock", timeout=5).json()["now"]
    assert datetime.fromisoformat(after) - datetime.fromisoformat(before) < timedelta(seconds=5)


def test_dev_is_refused_unless_bound_to_loopback(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "strongroom.cli",
            "serve",
            "--dev",
            "--host",
            "0.0.0.0",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "loopback" in result.stderr


def test_any_twelve_digit_key_is_the_root_of_that_account(make_client: Any) -> None:
    sts = make_client("sts", access_key="123456789012")
    identity = sts.get_caller_identity()
    assert identity["Account"] == "123456789012"
    assert identity["Arn"] == "arn:aws:iam::123456789012:root"
    assert make_client("sts").get_caller_identity()["Account"] == "000000000000"


def test_a_wrong_dev_secret_is_refused(make_client: Any) -> None:
    sts = make_client("sts", secret_key="not-test")
    with pytest.raises(ClientError) as err:
        sts.get_caller_identity()
    assert err.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_an_unimplemented_operation_names_itself(make_client: Any) -> None:
    guardduty = make_client("guardduty")
    with pytest.raises(ClientError) as err:
        guardduty.list_detectors()
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert err.value.response["Error"]["Code"] == "NotImplemented"
    assert "guardduty:ListDetectors" in err.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def production_server(tmp_path_factory: pytest.TempPathFactory, database_url_factory: Any) -> Any:
    data_dir = tmp_path_factory.mktemp("prod") / "data"
    proc = ServerProcess(data_dir, dev=False, database_url=database_url_factory())
    proc.start()
    yield proc
    proc.stop()


def test_first_start_writes_root_credentials_that_work(production_server: ServerProcess) -> None:
    path = production_server.data_dir / "credentials"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    parser = configparser.ConfigParser()
    parser.read(path)
    profile = parser["strongroom"]
    sts = boto3.client(
        "sts",
        endpoint_url=production_server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=profile["aws_access_key_id"],
        aws_secret_access_key=profile["aws_secret_access_key"],
        config=boto_config(),
    )
    identity = sts.get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{identity['Account']}:root"
    assert str(path.resolve()) in production_server.log()
    assert profile["aws_secret_access_key"] not in production_server.log()


def test_without_dev_the_test_key_and_the_dev_clock_do_not_exist(production_server: ServerProcess) -> None:
    sts = boto3.client(
        "sts",
        endpoint_url=production_server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=boto_config(),
    )
    with pytest.raises(ClientError) as err:
        sts.get_caller_identity()
    assert err.value.response["Error"]["Code"] == "InvalidClientTokenId"
    r = requests.post(
        f"{production_server.endpoint}/_strongroom/dev/clock", json={"advance_seconds": 1}, timeout=5
    )
    assert r.status_code == 404


def test_root_credentials_from_the_environment(tmp_path: Path, database_url_factory: Any) -> None:
    env = {
        "STRONGROOM_ROOT_ACCESS_KEY_ID": "AKIASTRONGROOMTEST01",
        "STRONGROOM_ROOT_SECRET_ACCESS_KEY": "s3cr3t/s3cr3t/s3cr3t/s3cr3t/s3cr3t/s3cr3t",
        "STRONGROOM_ACCOUNT_ID": "444455556666",
    }
    proc = ServerProcess(tmp_path / "data", dev=False, env=env, database_url=database_url_factory()).start()
    try:
        sts = boto3.client(
            "sts",
            endpoint_url=proc.endpoint,
            region_name="eu-central-1",
            aws_access_key_id=env["STRONGROOM_ROOT_ACCESS_KEY_ID"],
            aws_secret_access_key=env["STRONGROOM_ROOT_SECRET_ACCESS_KEY"],
            config=boto_config(),
        )
        assert sts.get_caller_identity()["Account"] == "444455556666"
        assert not (tmp_path / "data" / "credentials").exists()
    finally:
        proc.stop()


def test_no_secret_access_key_is_stored_in_plaintext(make_client: Any, server: ServerProcess) -> None:
    iam = make_client("iam", access_key="610987654321")
    iam.create_user(UserName="scanned")
    secret = iam.create_access_key(UserName="scanned")["AccessKey"]["SecretAccessKey"]
    assert places_holding(server, [secret.encode()]) == []
