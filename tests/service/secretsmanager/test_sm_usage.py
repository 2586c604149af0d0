"""The cost meter for Secrets Manager end to end: secret-months (replicas too) and API calls."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.conftest import ClientFactory
from tests.support.server import ServerProcess

MONTH_HOURS = {28: 672, 29: 696, 30: 720, 31: 744}


def usage(server: ServerProcess, **query: str) -> dict[str, Any]:
    response = requests.get(f"{server.endpoint}/_strongroom/usage", params=query, timeout=30)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def lines_of(report: dict[str, Any], account: str) -> list[dict[str, Any]]:
    [service] = [s for s in report["services"] if s["service"] == "secretsmanager"]
    [entry] = [a for a in service["accounts"] if a["account"] == account]
    found: list[dict[str, Any]] = entry["lines"]
    return found


def calls(report: dict[str, Any], account: str, region: str) -> int:
    return sum(
        int(line["quantity"])
        for line in lines_of(report, account)
        if line["description"] == "API calls" and line["region"] == region
    )


def month_hours(moment: datetime) -> int:
    following = (moment.replace(day=1) + timedelta(days=32)).replace(day=1)
    return MONTH_HOURS[(following - moment.replace(day=1)).days]


def keep_in_one_month(server: ServerProcess, hours: int) -> None:
    """Other tests move the session server's clock: keep the next `hours` inside one month."""
    now = server.now()
    next_month = (now.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=32)).replace(
        day=1
    )
    if next_month - now < timedelta(hours=hours + 1):
        server.advance_clock((next_month - now).total_seconds() + 60)


@pytest.fixture(scope="module")
def used(make_client: ClientFactory, server: ServerProcess, account_id: str) -> dict[str, Any]:
    """Two secrets and a replica of one for two hours; one secret deleted after the first hour."""
    keep_in_one_month(server, 3)
    sm = make_client("secretsmanager", access_key=account_id)
    sm_eu = make_client("secretsmanager", access_key=account_id, region="eu-west-1")
    sm.create_secret(Name="usage/kept", SecretString="a")
    sm.create_secret(Name="usage/deleted", SecretString="b")
    sm.replicate_secret_to_regions(SecretId="usage/kept", AddReplicaRegions=[{"Region": "eu-west-1"}])
    for _ in range(5):
        sm.get_secret_value(SecretId="usage/kept")
    for _ in range(2):
        sm_eu.get_secret_value(SecretId="usage/kept")
    server.advance_clock(3600)
    sm.delete_secret(SecretId="usage/deleted", RecoveryWindowInDays=7)
    server.advance_clock(3600)
    deadline = time.monotonic() + 10
    while True:  # request counts reach the database within a second or so
        report = usage(server, account=account_id)
        if calls(report, account_id, "us-east-1") >= 9 and calls(report, account_id, "eu-west-1") >= 2:
            report["month_hours"] = month_hours(server.now())
            return report
        if time.monotonic() > deadline:
            raise AssertionError(f"usage never caught up: {json.dumps(report, indent=1)}")
        time.sleep(0.2)


def test_every_api_call_is_counted_in_its_region(used: dict[str, Any], account_id: str) -> None:
    # CreateSecret x2, ReplicateSecretToRegions, GetSecretValue x5, DeleteSecret; and 2 reads of the replica.
    assert calls(used, account_id, "us-east-1") == 9
    assert calls(used, account_id, "eu-west-1") == 2
    [line] = [
        line
        for line in lines_of(used, account_id)
        if line["description"] == "API calls" and line["region"] == "us-east-1"
    ]
    assert Decimal(line["unit_price_usd"]) == Decimal("0.000005")  # $0.05 per 10,000
    assert Decimal(line["cost_usd"]) == Decimal("0.000045")


def test_secrets_and_replicas_are_prorated_secret_months(used: dict[str, Any], account_id: str) -> None:
    months = {
        line["region"]: Decimal(line["quantity"])
        for line in lines_of(used, account_id)
        if line["unit"] == "secret-month"
    }
    hours = Decimal(used["month_hours"])
    # us-east-1: the kept secret for two hours, the deleted one only until it was scheduled for deletion.
    assert abs(months["us-east-1"] - 3 / hours) < Decimal("0.00005")
    # eu-west-1: the replica, a secret of its own on the bill, for two hours.
    assert abs(months["eu-west-1"] - 2 / hours) < Decimal("0.00005")
    [line] = [
        x for x in lines_of(used, account_id) if x["region"] == "us-east-1" and x["unit"] == "secret-month"
    ]
    assert line["unit_price_usd"] == "0.4"
    assert Decimal(line["cost_usd"]) == (Decimal(line["quantity"]) * Decimal("0.4")).quantize(
        Decimal("0.000001")
    )
    [service] = [s for s in used["services"] if s["service"] == "secretsmanager"]
    assert service["prices"]["source"] == "https://aws.amazon.com/secrets-manager/pricing/"
    total = next(t for t in used["totals"] if t["account"] == account_id)
    assert Decimal(total["total_usd"]) == sum(Decimal(x["cost_usd"]) for x in lines_of(used, account_id))


def test_a_month_without_usage_costs_nothing(
    server: ServerProcess, account_id: str, used: dict[str, Any]
) -> None:
    report = usage(server, account=account_id, period="2001-01")
    assert lines_of(report, account_id) == []


def test_the_cli_prints_secretsmanager_lines(
    used: dict[str, Any], server: ServerProcess, account_id: str
) -> None:
    command = [sys.executable, "-m", "strongroom.cli", "usage", "--account", account_id]
    command += ["--data-dir", str(server.data_dir), "--format", "json"]
    if server.database_url:
        command += ["--database-url", server.database_url]
    report = json.loads(
        subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout
    )
    assert calls(report, account_id, "us-east-1") == 9
