"""The cost meter end to end: KMS usage priced as AWS would, over the admin path and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.server import ServerProcess

ACCOUNT = "760000000004"


def usage(server: ServerProcess, **query: str) -> requests.Response:
    return requests.get(f"{server.endpoint}/_strongroom/usage", params=query, timeout=30)


def lines_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    [kms] = [s for s in report["services"] if s["service"] == "kms"]
    [entry] = [a for a in kms["accounts"] if a["account"] == ACCOUNT]
    found: list[dict[str, Any]] = entry["lines"]
    return found


def requests_counted(report: dict[str, Any], description_start: str) -> int:
    return sum(
        int(line["quantity"])
        for line in lines_of(report)
        if line["description"].startswith(description_start)
    )


@pytest.fixture(scope="module")
def used(make_client: Any, server: ServerProcess) -> dict[str, Any]:
    """Some usage of ACCOUNT: two keys, 10 symmetric requests, 3 RSA signatures, one rotation."""
    # Other tests move the session server's clock: keep this usage (and its hour) inside one month.
    now = server.now()
    next_month = (now.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=32)).replace(
        day=1
    )
    if next_month - now < timedelta(hours=3):
        server.advance_clock((next_month - now).total_seconds() + 60)
    kms = make_client("kms", access_key=ACCOUNT)
    key = kms.create_key()["KeyMetadata"]
    rsa = kms.create_key(KeySpec="RSA_3072", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    for _ in range(10):
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    for _ in range(3):
        kms.sign(KeyId=rsa["KeyId"], Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    server.advance_clock(0)  # runs the rotation
    server.advance_clock(3600)  # an hour of key time
    deadline = time.monotonic() + 10
    while True:  # request counts reach the database within a second or so
        report: dict[str, Any] = usage(server, account=ACCOUNT).json()
        if (
            requests_counted(report, "Asymmetric") >= 3
            and requests_counted(report, "Requests (symmetric") >= 13
        ):
            return report
        if time.monotonic() > deadline:
            raise AssertionError(f"usage never caught up: {json.dumps(report, indent=1)}")
        time.sleep(0.2)


def test_requests_are_counted_by_price_category(used: dict[str, Any]) -> None:
    lines = lines_of(used)
    asymmetric = [line for line in lines if line["description"].startswith("Asymmetric")]
    assert [int(line["quantity"]) for line in asymmetric] == [3]
    assert Decimal(asymmetric[0]["cost_usd"]) == Decimal("0.000045")  # 3 x $0.15 / 10,000
    # CreateKey x2, Encrypt x10, RotateKeyOnDemand: all in the free tier (and nothing billed).
    symmetric = [line for line in lines if line["description"].startswith("Requests (symmetric")]
    assert sum(int(line["quantity"]) for line in symmetric) == 13
    assert all(Decimal(line["cost_usd"]) == 0 for line in symmetric)
    assert all(line["description"].endswith("free tier") for line in symmetric)


def test_keys_and_rotations_are_prorated_key_months(used: dict[str, Any]) -> None:
    lines = lines_of(used)
    [keys] = [line for line in lines if line["description"] == "Customer managed KMS keys"]
    # Two keys for about an hour of a month of 672-744 hours.
    assert Decimal("0.002") < Decimal(keys["quantity"]) < Decimal("0.004")
    assert keys["unit_price_usd"] == "1.0" and keys["region"] == "us-east-1"
    [rotated] = [line for line in lines if line["description"].startswith("Rotated key material")]
    assert Decimal(rotated["quantity"]) < Decimal(keys["quantity"])
    total = next(t for t in used["totals"] if t["account"] == ACCOUNT)
    assert Decimal(total["total_usd"]) == sum(Decimal(line["cost_usd"]) for line in lines)
    [kms] = [s for s in used["services"] if s["service"] == "kms"]
    assert kms["prices"]["source"] == "https://aws.amazon.com/kms/pricing/"


def test_bad_queries_are_refused(server: ServerProcess) -> None:
    for query in ({"account": "12345"}, {"period": "2026-13"}, {"account": ACCOUNT, "period": "last month"}):
        response = usage(server, **query)
        assert response.status_code == 400, query
        assert response.json()["__type"] == "ValidationException"


def test_an_account_without_usage_costs_nothing(server: ServerProcess) -> None:
    report = usage(server, account="760000000099").json()
    assert [s["service"] for s in report["services"]] == ["kms", "secretsmanager", "ssm"]
    for service in report["services"]:
        assert service["accounts"] == [{"account": "760000000099", "lines": [], "total_usd": "0.000000"}]
    assert report["totals"] == [{"account": "760000000099", "total_usd": "0.000000"}]


def test_the_cli_prints_the_same_report(used: dict[str, Any], server: ServerProcess) -> None:
    command = [
        sys.executable,
        "-m",
        "strongroom.cli",
        "usage",
        "--account",
        ACCOUNT,
        "--data-dir",
        str(server.data_dir),
    ]
    if server.database_url:
        command += ["--database-url", server.database_url]
    printed = subprocess.run(
        [*command, "--format", "json"], capture_output=True, text=True, timeout=60, check=True
    )
    report = json.loads(printed.stdout)
    assert report["period"] == used["period"]
    assert requests_counted(report, "Asymmetric") == 3
    text = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout
    assert f"account {ACCOUNT}" in text and "Customer managed KMS keys" in text
    bad_command = [
        sys.executable,
        "-m",
        "strongroom.cli",
        "usage",
        "--account",
        "nope",
        "--data-dir",
        str(server.data_dir),
    ]
    bad = subprocess.run(bad_command, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "12-digit" in bad.stderr


def test_counts_made_just_before_a_shutdown_survive_it(tmp_path: Path, database_url_factory: Any) -> None:
    """The meter writes what it counted when its worker stops, not only on its next pass."""
    proc = ServerProcess(tmp_path / "data", database_url=database_url_factory()).start()
    try:
        kms = proc.client("kms", access_key=ACCOUNT)
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        for _ in range(20):
            kms.encrypt(KeyId=key, Plaintext=b"x")
        proc.stop()  # SIGTERM right away: well inside the meter's one-second pass
        proc.start()
        report: dict[str, Any] = usage(proc, account=ACCOUNT).json()
        assert requests_counted(report, "Requests (symmetric") == 21
    finally:
        proc.stop()
