"""Parameter Store's events on the bus, observed through a rule whose target is an HTTP receiver.

"Parameter Store Change" on create, update, label and delete; "Parameter Store Policy Action"
when a policy acts (moved clock); the CloudTrail-sourced "AWS API Call via CloudTrail" of a write,
without the SecureString value; reads send nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.service.events.conftest import wire
from tests.service.events.receiver import Receiver, running_receiver
from tests.service.ssm.conftest import assert_error, error_of
from tests.support.server import ServerProcess

SECRET_VALUE = "never-on-the-bus-5521"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r


@pytest.fixture(scope="module")
def events(make_client: Any, account_id: str) -> Any:
    return make_client("events", access_key=account_id)


def test_parameter_store_change_on_create_update_label_delete(
    ssm: Any, events: Any, receiver: Receiver, account_id: str, prefix: str
) -> None:
    wire(events, receiver, pattern={"source": ["aws.ssm"], "detail-type": ["Parameter Store Change"]})
    name = f"{prefix}/changes"
    arn = f"arn:aws:ssm:us-east-1:{account_id}:parameter{name}"
    ssm.put_parameter(Name=name, Value="v1", Type="String", Description="first")
    ssm.put_parameter(Name=name, Value="v2", Type="String", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["blue"])
    ssm.get_parameter(Name=name)  # reads change nothing and send nothing
    ssm.delete_parameter(Name=name)
    # A refused change (it does not exist any more) sends nothing either.
    assert_error(error_of(ssm.delete_parameter, Name=name), "ParameterNotFound")
    got = receiver.about(name, 4)
    assert receiver.quiet_for(0.5) == 0
    # EventBridge does not promise order (deliveries run in parallel): compare as a set.
    assert sorted(e["detail"]["operation"] for e in got) == [
        "Create",
        "Delete",
        "LabelParameterVersion",
        "Update",
    ]
    for event in got:
        assert event["source"] == "aws.ssm" and event["detail-type"] == "Parameter Store Change"
        assert event["account"] == account_id and event["region"] == "us-east-1"
        assert event["resources"] == [arn]
        assert event["detail"]["name"] == name and event["detail"]["type"] == "String"
    [created] = [e for e in got if e["detail"]["operation"] == "Create"]
    assert created["detail"] == {
        "operation": "Create",
        "name": name,
        "type": "String",
        "description": "first",
    }


def test_policy_actions_follow_the_clock(
    ssm: Any, events: Any, receiver: Receiver, server: ServerProcess, server_now: Any, prefix: str
) -> None:
    types = ["Parameter Store Change", "Parameter Store Policy Action"]
    wire(events, receiver, pattern={"source": ["aws.ssm"], "detail-type": types})
    name = f"{prefix}/expiring"
    expires = server_now() + timedelta(hours=2)
    policies = [
        {
            "Type": "Expiration",
            "Version": "1.0",
            "Attributes": {"Timestamp": expires.strftime("%Y-%m-%dT%H:%M:%S.000Z")},
        },
        {"Type": "ExpirationNotification", "Version": "1.0", "Attributes": {"Before": "1", "Unit": "Hours"}},
    ]
    ssm.put_parameter(
        Name=name, Value="short", Type="SecureString", Tier="Advanced", Policies=json.dumps(policies)
    )
    server.advance_clock(3600 + 120)
    # Deliveries run in parallel: tell the two apart by their type, not by their order.
    first = receiver.about(name, 2)
    [created] = [e for e in first if e["detail-type"] == "Parameter Store Change"]
    [notified] = [e for e in first if e["detail-type"] == "Parameter Store Policy Action"]
    assert created["detail"]["operation"] == "Create"
    assert notified["detail-type"] == "Parameter Store Policy Action"
    detail = notified["detail"]
    assert detail["parameter-name"] == name and detail["parameter-type"] == "SecureString"
    assert detail["policy-type"] == "ExpirationNotification" and detail["action-status"] == "Finished"
    assert json.loads(detail["policy-content"])["Attributes"] == {"Before": "1", "Unit": "Hours"}
    assert detail["action-reason"]
    server.advance_clock(3600)
    later = [e for e in receiver.about(name, 4) if e not in first]
    assert sorted(
        (e["detail-type"], e["detail"].get("policy-type") or e["detail"].get("operation")) for e in later
    ) == [
        ("Parameter Store Change", "Delete"),
        ("Parameter Store Policy Action", "Expiration"),
    ]
    assert_error(error_of(ssm.get_parameter, Name=name), "ParameterNotFound")


def test_cloudtrail_events_of_writes_hide_the_secure_value(
    ssm: Any, events: Any, receiver: Receiver, account_id: str, prefix: str
) -> None:
    pattern = {
        "source": ["aws.ssm"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["ssm.amazonaws.com"], "userIdentity": {"accountId": [account_id]}},
    }
    wire(events, receiver, pattern=pattern)
    name = f"{prefix}/audited-{uuid.uuid4().hex[:6]}"
    ssm.put_parameter(Name=name, Value=SECRET_VALUE, Type="SecureString")
    ssm.get_parameter(Name=name, WithDecryption=True)  # read-only: no event
    [event] = receiver.about(name, 1)
    assert receiver.quiet_for(0.5) == 0
    detail = event["detail"]
    assert detail["eventName"] == "PutParameter" and detail["eventSource"] == "ssm.amazonaws.com"
    assert detail["requestParameters"]["name"] == name and detail["readOnly"] is False
    assert SECRET_VALUE.encode() not in receiver.requests[0].body
