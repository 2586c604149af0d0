"""Rotation with a registered rotation function (the self-hosted rotation Lambda)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.service.secretsmanager.conftest import code_of, error_of, message_of, wait_for
from tests.service.secretsmanager.rotation_function import RotationFunction, registered
from tests.support.server import ServerProcess

STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"]


@pytest.fixture(scope="module")
def function(sm: Any, account_id: str, server: ServerProcess) -> Iterator[tuple[RotationFunction, str]]:
    rotator = RotationFunction(sm)
    yield from registered(server, account_id, rotator, "rotator")


def rotated(sm: Any, name: str, after: datetime | None = None) -> Any:
    described = sm.describe_secret(SecretId=name)
    last = described.get("LastRotatedDate")
    return described if last is not None and (after is None or last > after) else None


def test_rotate_immediately(sm: Any, name: str, function: tuple[RotationFunction, str]) -> None:
    rotator, arn = function
    first = sm.create_secret(Name=name, SecretString="before")["VersionId"]
    result = sm.rotate_secret(
        SecretId=name, RotationLambdaARN=arn, RotationRules={"AutomaticallyAfterDays": 30}
    )
    token = result["VersionId"]
    described = wait_for(lambda: rotated(sm, name))
    assert [step for step, t in rotator.calls if t == token] == STEPS
    assert sm.get_secret_value(SecretId=name)["SecretString"] == f"rotated-{token}"
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "before"
    assert described["RotationEnabled"] is True
    assert described["RotationLambdaARN"] == arn
    assert described["RotationRules"]["AutomaticallyAfterDays"] == 30
    assert described["VersionIdsToStages"] == {token: ["AWSCURRENT"], first: ["AWSPREVIOUS"]}
    next_date = described["NextRotationDate"]
    assert next_date.hour == 0 and next_date.minute == 0
    assert timedelta(days=29) < next_date - described["LastRotatedDate"] <= timedelta(days=30)


def test_failed_step_leaves_current(sm: Any, name: str, function: tuple[RotationFunction, str]) -> None:
    rotator, arn = function
    sm.create_secret(Name=name, SecretString="keep-me")
    rotator.fail_step = "testSecret"
    try:
        token = sm.rotate_secret(SecretId=name, RotationLambdaARN=arn)["VersionId"]
        wait_for(lambda: ("testSecret", token) in rotator.calls)
        wait_for(lambda: sm.describe_secret(SecretId=name)["VersionIdsToStages"].get(token) == ["AWSPENDING"])
        assert ("finishSecret", token) not in rotator.calls
        assert sm.get_secret_value(SecretId=name)["SecretString"] == "keep-me"
        assert (
            sm.get_secret_value(SecretId=name, VersionStage="AWSPENDING")["SecretString"]
            == f"rotated-{token}"
        )
        assert "LastRotatedDate" not in sm.describe_secret(SecretId=name)
    finally:
        rotator.fail_step = None
    # The unfinished rotation is reattempted with its own token.
    error = error_of(sm.rotate_secret, SecretId=name)
    assert code_of(error) == "InvalidRequestException"
    assert message_of(error) == "A previous rotation isn't complete. That rotation will be reattempted."
    wait_for(lambda: rotated(sm, name))
    assert sm.get_secret_value(SecretId=name)["VersionId"] == token


def test_scheduled_rotation_follows_the_clock(
    sm: Any, name: str, function: tuple[RotationFunction, str], server: ServerProcess
) -> None:
    _, arn = function
    sm.create_secret(Name=name, SecretString="scheduled")
    result = sm.rotate_secret(
        SecretId=name,
        RotationLambdaARN=arn,
        RotationRules={"AutomaticallyAfterDays": 2},
        RotateImmediately=False,
    )
    assert "VersionId" not in result
    described = sm.describe_secret(SecretId=name)
    assert described["RotationEnabled"] is True and "LastRotatedDate" not in described
    assert described["NextRotationDate"] > datetime.now(UTC) + timedelta(days=1)
    server.advance_clock(3 * 86400)
    described = wait_for(lambda: rotated(sm, name))
    assert sm.get_secret_value(SecretId=name)["SecretString"].startswith("rotated-")
    assert described["NextRotationDate"] > described["LastRotatedDate"]


def test_schedule_expression_and_window(sm: Any, name: str, function: tuple[RotationFunction, str]) -> None:
    _, arn = function
    sm.create_secret(Name=name, SecretString="cron")
    rules = {"ScheduleExpression": "cron(0 4 ? * SUN *)", "Duration": "3h"}
    sm.rotate_secret(SecretId=name, RotationLambdaARN=arn, RotationRules=rules, RotateImmediately=False)
    described = sm.describe_secret(SecretId=name)
    assert described["RotationRules"] == rules
    assert described["NextRotationDate"].weekday() == 6 and described["NextRotationDate"].hour == 4
    bad = error_of(
        sm.rotate_secret,
        SecretId=name,
        RotationRules={"AutomaticallyAfterDays": 1, "ScheduleExpression": "rate(1 days)"},
    )
    assert code_of(bad) == "InvalidParameterException"
    too_often = error_of(
        sm.rotate_secret, SecretId=name, RotationRules={"ScheduleExpression": "rate(1 hours)"}
    )
    assert code_of(too_often) == "InvalidParameterException"


def test_cancel_and_errors(
    sm: Any, name: str, account_id: str, function: tuple[RotationFunction, str]
) -> None:
    _, arn = function
    sm.create_secret(Name=name, SecretString="x")
    assert code_of(error_of(sm.rotate_secret, SecretId=name)) == "InvalidRequestException"
    unknown = f"arn:aws:lambda:us-east-1:{account_id}:function:nobody-home"
    assert (
        code_of(error_of(sm.rotate_secret, SecretId=name, RotationLambdaARN=unknown))
        == "AccessDeniedException"
    )
    sm.rotate_secret(
        SecretId=name,
        RotationLambdaARN=arn,
        RotationRules={"AutomaticallyAfterDays": 7},
        RotateImmediately=False,
    )
    sm.cancel_rotate_secret(SecretId=name)
    described = sm.describe_secret(SecretId=name)
    assert described["RotationEnabled"] is False and "NextRotationDate" not in described


def test_manual_put_abandons_pending_rotation(
    sm: Any, name: str, function: tuple[RotationFunction, str]
) -> None:
    rotator, arn = function
    sm.create_secret(Name=name, SecretString="one")
    rotator.fail_step = "setSecret"
    try:
        token = sm.rotate_secret(SecretId=name, RotationLambdaARN=arn)["VersionId"]
        wait_for(lambda: ("setSecret", token) in rotator.calls)
    finally:
        rotator.fail_step = None
    wait_for(lambda: "AWSPENDING" in sm.describe_secret(SecretId=name)["VersionIdsToStages"].get(token, []))
    sm.put_secret_value(SecretId=name, SecretString="manual")
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert all("AWSPENDING" not in labels for labels in stages.values())
