"""The cost meter for Parameter Store end to end: advanced parameter-months and API interactions."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.conftest import ClientFactory
from tests.service.ssm.conftest import assert_error, error_of
from tests.support.server import ServerProcess

HIGH_THROUGHPUT = "/ssm/parameter-store/high-throughput-enabled"


def usage(server: ServerProcess, **query: str) -> dict[str, Any]:
    response = requests.get(f"{server.endpoint}/_strongroom/usage", params=query, timeout=30)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def lines_of(report: dict[str, Any], account: str) -> list[dict[str, Any]]:
    [service] = [s for s in report["services"] if s["service"] == "ssm"]
    [entry] = [a for a in service["accounts"] if a["account"] == account]
    found: list[dict[str, Any]] = entry["lines"]
    return found


def interactions(report: dict[str, Any], account: str) -> dict[str, int]:
    return {
        line["description"]: int(line["quantity"])
        for line in lines_of(report, account)
        if line["description"].startswith("API interactions")
    }


def month_hours(moment: datetime) -> int:
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return int(((start + timedelta(days=32)).replace(day=1) - start).total_seconds() // 3600)


@pytest.fixture(scope="module")
def used(make_client: ClientFactory, server: ServerProcess, account_id: str) -> dict[str, Any]:
    now = server.now()
    next_month = (now.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=32)).replace(
        day=1
    )
    if next_month - now < timedelta(hours=3):
        server.advance_clock((next_month - now).total_seconds() + 60)
    ssm = make_client("ssm", access_key=account_id)
    ssm.put_parameter(Name="/usage/standard", Value="s", Type="String")  # standard
    ssm.put_parameter(Name="/usage/advanced", Value="a", Type="String", Tier="Advanced")  # advanced
    for _ in range(3):
        ssm.get_parameter(Name="/usage/standard")  # standard
    ssm.get_parameters(Names=["/usage/standard", "/usage/advanced"])  # advanced (names one)
    ssm.get_parameter(Name="/usage/advanced:1")  # advanced (a selector on it)
    arn = ssm.get_parameter(Name="/usage/advanced")["Parameter"]["ARN"]  # advanced
    ssm.get_parameter(Name=f"{arn}:1")  # advanced (its ARN)
    ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/usage/advanced")  # advanced
    ssm.get_parameters(Names=["/usage/standard", "bad:name:x"])  # standard (one name unreadable)
    ssm.update_service_setting(SettingId=HIGH_THROUGHPUT, SettingValue="true")  # standard (not on yet)
    for _ in range(2):
        ssm.get_parameter(Name="/usage/standard")  # higher throughput
    ssm.reset_service_setting(SettingId=HIGH_THROUGHPUT)  # higher throughput (still on when it came)
    ssm.get_parameter(Name="/usage/standard")  # standard again
    # A refused put (a standard parameter cannot take a policy) changes nothing but is an interaction.
    error = error_of(
        ssm.put_parameter,
        Name="/usage/standard",
        Value="x",
        Type="String",
        Overwrite=True,
        Tier="Standard",
        Policies='[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2099-01-01T00:00:00Z"}}]',
    )
    assert_error(error, "ValidationException")  # standard
    assert ssm.get_parameter(Name="/usage/standard")["Parameter"]["Version"] == 1  # standard
    server.advance_clock(3600)
    deadline = time.monotonic() + 10
    while True:
        report = usage(server, account=account_id)
        if sum(interactions(report, account_id).values()) >= 18:
            report["month_hours"] = month_hours(server.now())
            return report
        if time.monotonic() > deadline:
            raise AssertionError(f"usage never caught up: {json.dumps(report, indent=1)}")
        time.sleep(0.2)


def test_interactions_are_classified_as_aws_prices_them(used: dict[str, Any], account_id: str) -> None:
    assert interactions(used, account_id) == {
        "API interactions, standard throughput": 9,
        "API interactions with advanced parameters": 6,
        "API interactions, higher throughput": 3,
    }
    costs = {line["description"]: Decimal(line["cost_usd"]) for line in lines_of(used, account_id)}
    assert costs["API interactions, standard throughput"] == 0
    assert costs["API interactions with advanced parameters"] == Decimal("0.00003")  # 6 x $0.05 / 10,000
    assert costs["API interactions, higher throughput"] == Decimal("0.000015")


def test_only_advanced_parameters_cost_parameter_months(used: dict[str, Any], account_id: str) -> None:
    [line] = [x for x in lines_of(used, account_id) if x["unit"] == "parameter-month"]
    assert line["description"] == "Advanced parameters" and line["region"] == "us-east-1"
    # One advanced parameter for an hour; the standard one is free.
    assert abs(Decimal(line["quantity"]) - Decimal(1) / used["month_hours"]) < Decimal("0.00003")
    assert line["unit_price_usd"] == "0.05"
    [service] = [s for s in used["services"] if s["service"] == "ssm"]
    assert service["prices"]["source"] == "https://aws.amazon.com/systems-manager/pricing/"
