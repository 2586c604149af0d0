"""Secrets Manager's events on the bus, observed through a rule whose target is an HTTP receiver.

AWS sends two kinds (Secrets Manager user guide, "Match Secrets Manager events with EventBridge"):
"AWS API Call via CloudTrail" for every write call, and "AWS Service Event via CloudTrail" for what
the service does on its own: RotationStarted, RotationSucceeded, RotationFailed, ... Both carry
the CloudTrail record as their detail; neither ever carries a secret value.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.service.events.conftest import wire
from tests.service.events.receiver import Receiver, running_receiver
from tests.service.secretsmanager.conftest import code_of, error_of
from tests.service.secretsmanager.rotation_function import RotationFunction, registered
from tests.support.server import ServerProcess

SECRET_VALUE = "never-on-the-bus-8812"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r


@pytest.fixture(scope="module")
def events(make_client: Any, account_id: str) -> Any:
    return make_client("events", access_key=account_id)


@pytest.fixture(scope="module")
def function(sm: Any, account_id: str, server: ServerProcess) -> Iterator[tuple[RotationFunction, str]]:
    rotator = RotationFunction(sm)
    rotator.new_value = lambda token: f"{SECRET_VALUE}-{token}"
    yield from registered(server, account_id, rotator, "events")


def test_cloudtrail_events_for_write_calls_only(
    sm: Any, events: Any, receiver: Receiver, account_id: str, name: str
) -> None:
    pattern = {
        "source": ["aws.secretsmanager"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["secretsmanager.amazonaws.com"]},
    }
    wire(events, receiver, pattern=pattern)
    arn = sm.create_secret(Name=name, SecretString=SECRET_VALUE)["ARN"]
    sm.get_secret_value(SecretId=name)  # read-only calls send no event
    sm.describe_secret(SecretId=name)
    sm.put_secret_value(SecretId=arn, SecretString=SECRET_VALUE + "-2")
    assert code_of(error_of(sm.get_secret_value, SecretId=name + "-missing")) == "ResourceNotFoundException"
    created, put = receiver.about(name, 2)
    assert receiver.quiet_for(0.5) == 0
    created, put = sorted((created, put), key=lambda e: str(e["detail"]["eventName"]))
    assert [created["detail"]["eventName"], put["detail"]["eventName"]] == ["CreateSecret", "PutSecretValue"]
    for event in (created, put):
        assert event["source"] == "aws.secretsmanager" and event["account"] == account_id
        detail = event["detail"]
        assert detail["eventSource"] == "secretsmanager.amazonaws.com" and detail["awsRegion"] == "us-east-1"
        assert detail["eventType"] == "AwsApiCall" and detail["readOnly"] is False
        assert detail["userIdentity"]["accountId"] == account_id
    assert created["detail"]["requestParameters"]["name"] == name
    assert all(SECRET_VALUE.encode() not in r.body for r in receiver.requests)


def test_rotation_sends_service_events(
    sm: Any,
    events: Any,
    receiver: Receiver,
    account_id: str,
    name: str,
    function: tuple[RotationFunction, str],
) -> None:
    rotator, function_arn = function
    pattern = {"source": ["aws.secretsmanager"], "detail-type": ["AWS Service Event via CloudTrail"]}
    wire(events, receiver, pattern=pattern)
    arn = sm.create_secret(Name=name, SecretString="before")["ARN"]
    sm.rotate_secret(SecretId=name, RotationLambdaARN=function_arn)
    # Sorted by name: EventBridge does not promise order ("RotationStarted" < "RotationSucceeded").
    started, succeeded = sorted(receiver.about(arn, 2), key=lambda e: str(e["detail"]["eventName"]))
    assert [started["detail"]["eventName"], succeeded["detail"]["eventName"]] == [
        "RotationStarted",
        "RotationSucceeded",
    ]
    for event in (started, succeeded):
        assert event["detail-type"] == "AWS Service Event via CloudTrail"
        assert event["source"] == "aws.secretsmanager" and event["account"] == account_id
        detail = event["detail"]
        assert detail["eventSource"] == "secretsmanager.amazonaws.com"
        assert detail["eventType"] == "AwsServiceEvent"
        assert detail["userIdentity"] == {
            "accountId": account_id,
            "invokedBy": "secretsmanager.amazonaws.com",
        }
        assert detail["sourceIPAddress"] == "secretsmanager.amazonaws.com"
        assert detail["additionalEventData"]["SecretId"] == arn
        assert detail["recipientAccountId"] == account_id and detail["awsRegion"] == "us-east-1"
    # A failing step: RotationFailed, and AWSCURRENT stays where it was.
    current = sm.get_secret_value(SecretId=name)["VersionId"]
    rotator.fail_step = "setSecret"
    try:
        sm.rotate_secret(SecretId=name)
        failed = sorted(receiver.about(arn, 4)[2:], key=lambda e: str(e["detail"]["eventName"]))
    finally:
        rotator.fail_step = None
    assert [e["detail"]["eventName"] for e in failed] == ["RotationFailed", "RotationStarted"]
    assert failed[0]["detail"]["additionalEventData"]["FailureReason"]
    assert sm.get_secret_value(SecretId=name)["VersionId"] == current
    assert all(SECRET_VALUE.encode() not in r.body for r in receiver.requests)
