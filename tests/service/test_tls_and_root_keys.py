"""HTTPS listeners and the root-of-trust providers, through a real server."""

from __future__ import annotations

import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.server import ServerProcess, boto_config


def _sts(proc: ServerProcess, verify: Any = None) -> Any:
    return boto3.client(
        "sts",
        endpoint_url=proc.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        verify=verify,
        config=boto_config(),
    )


def test_self_signed_tls_with_an_exportable_ca(tmp_path: Path, database_url_factory: Any) -> None:
    data_dir = tmp_path / "data"
    proc = ServerProcess(
        data_dir, extra_args=["--tls", "self-signed"], database_url=database_url_factory()
    ).start()
    try:
        exported = subprocess.run(
            [sys.executable, "-m", "strongroom.cli", "tls", "export-ca", "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        assert exported.startswith("-----BEGIN CERTIFICATE-----")
        ca_file = tmp_path / "ca.pem"
        ca_file.write_text(exported)
        assert _sts(proc, verify=str(ca_file)).get_caller_identity()["Account"] == "000000000000"
        # A client that trusts only the system store refuses the certificate.
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(f"{proc.endpoint}/_strongroom/health", timeout=5)
        context = ssl.create_default_context(cafile=str(ca_file))
        with urllib.request.urlopen(f"{proc.endpoint}/_strongroom/health", timeout=5, context=context) as r:
            assert r.status == 200
        assert b"PRIVATE KEY-----\nMII" not in (data_dir / "tls" / "server.key").read_bytes()
        assert b"ENCRYPTED PRIVATE KEY" in (data_dir / "tls" / "server.key").read_bytes()
    finally:
        proc.stop()


def test_passphrase_root_refuses_to_start_without_it(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "strongroom.cli",
            "serve",
            "--dev",
            "--port",
            "1",
            "--data-dir",
            str(tmp_path / "d"),
            "--root-key-provider",
            "passphrase",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in __import__("os").environ.items() if k != "STRONGROOM_ROOT_PASSPHRASE"},
    )
    assert result.returncode != 0
    assert "STRONGROOM_ROOT_PASSPHRASE" in result.stderr


def test_passphrase_root_serves_and_restarts_with_the_same_passphrase(
    tmp_path: Path, database_url_factory: Any
) -> None:
    env = {"STRONGROOM_ROOT_PASSPHRASE": "correct horse battery staple"}
    url = database_url_factory()
    args = ["--root-key-provider", "passphrase"]
    proc = ServerProcess(tmp_path / "data", dev=False, env=env, extra_args=args, database_url=url).start()
    credentials = (tmp_path / "data" / "credentials").read_text()
    key_id = credentials.split("aws_access_key_id = ")[1].split()[0]
    secret = credentials.split("aws_secret_access_key = ")[1].split()[0]
    proc.stop()
    wrong = ServerProcess(
        tmp_path / "data",
        dev=False,
        env={"STRONGROOM_ROOT_PASSPHRASE": "wrong passphrase!!"},
        extra_args=args,
        database_url=url,
    )
    with pytest.raises(RuntimeError):
        wrong.start(timeout=30)
    proc.start()
    try:
        sts = proc.client("sts", access_key=key_id, secret_key=secret)
        assert sts.get_caller_identity()["Arn"].endswith(":root")
    finally:
        proc.stop()
