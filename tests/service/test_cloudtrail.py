"""CloudTrail LookupEvents: every authenticated call, allowed, denied or failed, within 2 seconds."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "310987654321"


@pytest.fixture(scope="module")
def cloudtrail(make_client: Any) -> Any:
    return make_client("cloudtrail", access_key=ACCOUNT, parameter_validation=False)


def _wait_for(cloudtrail: Any, key: str, value: str, timeout: float = 2.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        events: list[dict[str, Any]] = cloudtrail.lookup_events(
            LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}]
        )["Events"]
        if events or time.monotonic() > deadline:
            return events
        time.sleep(0.05)


def test_a_call_shows_up_within_two_seconds(make_client: Any, cloudtrail: Any) -> None:
    iam = make_client("iam", access_key=ACCOUNT)
    name = f"trail-{uuid.uuid4().hex[:8]}"
    answered = time.monotonic()
    iam.create_user(UserName=name)
    events = _wait_for(cloudtrail, "ResourceName", f"arn:aws:iam::{ACCOUNT}:user/{name}")
    assert time.monotonic() - answered < 2.0
    assert [e["EventName"] for e in events] == ["CreateUser"]
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["eventVersion"] == "1.10"
    assert record["eventSource"] == "iam.amazonaws.com"
    assert record["userIdentity"]["type"] == "Root"
    assert record["userIdentity"]["accountId"] == ACCOUNT
    assert record["requestParameters"] == {"userName": name}
    assert record["readOnly"] is False
    assert record["recipientAccountId"] == ACCOUNT
    assert events[0]["ReadOnly"] == "false"


def test_failed_calls_are_recorded_with_their_error(make_client: Any, cloudtrail: Any) -> None:
    iam = make_client("iam", access_key=ACCOUNT)
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError):
        iam.get_user(UserName=missing)
    events = _wait_for(cloudtrail, "EventName", "GetUser")
    records = [json.loads(e["CloudTrailEvent"]) for e in events]
    mine = [r for r in records if (r.get("requestParameters") or {}).get("userName") == missing]
    assert mine and mine[0]["errorCode"] == "NoSuchEntity"


def test_secrets_never_reach_the_trail(make_client: Any, cloudtrail: Any) -> None:
    iam = make_client("iam", access_key=ACCOUNT)
    name = f"keyed-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    events = _wait_for(cloudtrail, "EventName", "CreateAccessKey")
    blob = json.dumps([e["CloudTrailEvent"] for e in events])
    assert key["AccessKeyId"] in blob
    assert key["SecretAccessKey"] not in blob


def test_calls_are_recorded_in_their_region(make_client: Any) -> None:
    sts_eu = make_client("sts", access_key=ACCOUNT, region="eu-west-3")
    sts_eu.get_caller_identity()
    trail_eu = make_client("cloudtrail", access_key=ACCOUNT, region="eu-west-3")
    events = _wait_for(trail_eu, "EventName", "GetCallerIdentity")
    assert events and all(json.loads(e["CloudTrailEvent"])["awsRegion"] == "eu-west-3" for e in events)


def test_pagination_and_time_range(make_client: Any, cloudtrail: Any, server_now: Any) -> None:
    sts = make_client("sts", access_key=ACCOUNT, region="ap-south-2")
    for _ in range(7):
        sts.get_caller_identity()
    trail = make_client("cloudtrail", access_key=ACCOUNT, region="ap-south-2")
    deadline = time.monotonic() + 2
    seen: list[str] = []
    while time.monotonic() < deadline:
        seen, token = [], None
        while True:
            kwargs: dict[str, Any] = {
                "MaxResults": 3,
                "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}],
            }
            if token:
                kwargs["NextToken"] = token
            page = trail.lookup_events(**kwargs)
            assert len(page["Events"]) <= 3
            seen += [e["EventId"] for e in page["Events"]]
            token = page.get("NextToken")
            if not token:
                break
        if len(seen) >= 7:
            break
    assert len(seen) == len(set(seen)) == 7
    future = server_now() + timedelta(days=3650)
    assert trail.lookup_events(StartTime=future, EndTime=future + timedelta(days=1))["Events"] == []


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"MaxResults": 51}, "ValidationException"),  # the model bounds it: 1..50
        (
            {"StartTime": datetime(2026, 2, 1, tzinfo=UTC), "EndTime": datetime(2026, 1, 1, tzinfo=UTC)},
            "InvalidTimeRangeException",
        ),
        ({"NextToken": "not-a-token"}, "InvalidNextTokenException"),
        (
            {
                "LookupAttributes": [
                    {"AttributeKey": "EventName", "AttributeValue": "a"},
                    {"AttributeKey": "Username", "AttributeValue": "b"},
                ]
            },
            "InvalidLookupAttributesException",
        ),
    ],
)
def test_bad_lookups_are_refused(cloudtrail: Any, kwargs: dict[str, Any], code: str) -> None:
    with pytest.raises(ClientError) as err:
        cloudtrail.lookup_events(**kwargs)
    assert err.value.response["Error"]["Code"] == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_user_without_permission_is_denied_and_recorded(make_client: Any, cloudtrail: Any) -> None:
    iam = make_client("iam", access_key=ACCOUNT)
    name = f"nope-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    theirs = make_client("cloudtrail", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    with pytest.raises(ClientError) as err:
        theirs.lookup_events()
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    events = _wait_for(cloudtrail, "Username", name)
    assert any(json.loads(e["CloudTrailEvent"]).get("errorCode") == "AccessDeniedException" for e in events)
