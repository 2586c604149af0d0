"""Delivery to a real HTTP receiver: matching, input shaping, connection credentials, CloudTrail events."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.events.conftest import ACCOUNT, OTHER_ACCOUNT, dead_letters, put, unique, wait_until, wire
from tests.service.events.receiver import Receiver


def test_a_matching_event_is_delivered_with_the_api_key_and_others_are_not(
    events: Any, receiver: Receiver
) -> None:
    wired = wire(events, receiver, pattern={"detail": {"severity": [{"numeric": [">=", 7]}]}})
    low = put(events, "any.source", {"severity": 3})
    high = put(events, "any.source", {"severity": 8, "finding": "root login"})
    got = receiver.wait_for(1)
    assert receiver.quiet_for(0.8) == 0  # the low-severity event never arrives
    delivered = got[0]
    assert delivered.method == "POST" and delivered.path == "/hook"
    assert delivered.headers["x-api-key"] == "key-value-1"
    assert delivered.headers["content-type"].startswith("application/json")
    body = delivered.json()
    assert body["id"] == high != low
    assert list(body) == [
        "version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"
    ]  # fmt: skip
    assert body["account"] == ACCOUNT and body["region"] == "us-east-1"
    assert body["detail"] == {"severity": 8, "finding": "root login"}
    assert wired.rule_arn.endswith(f":rule/{wired.rule}")


def test_input_transformer_output_is_exact(events: Any, receiver: Receiver) -> None:
    template = (
        '{"text": "Instance <instance> is <state>", "instance": <instance>, "rule": "<aws.events.rule-name>"}'
    )
    wired = wire(
        events,
        receiver,
        target={
            "InputTransformer": {
                "InputPathsMap": {"instance": "$.detail.instance-id", "state": "$.detail.state"},
                "InputTemplate": template,
            }
        },
    )
    put(events, wired.source, {"instance-id": "i-0123456789", "state": "RUNNING"})
    body = receiver.wait_for(1)[0].body.decode()
    assert body == (
        f'{{"text": "Instance i-0123456789 is RUNNING", "instance": "i-0123456789", "rule": "{wired.rule}"}}'
    )


def test_input_and_input_path(events: Any, receiver: Receiver) -> None:
    fixed = wire(events, receiver, target={"Input": '{"page": "on-call"}'})
    put(events, fixed.source, {"x": 1})
    assert receiver.wait_for(1)[0].body == b'{"page": "on-call"}'
    path = wire(events, receiver, target={"InputPath": "$.detail.finding"})
    put(events, path.source, {"finding": {"id": "f-1"}})
    assert receiver.wait_for(2)[1].json() == {"id": "f-1"}


def test_http_parameters_fill_the_path_headers_and_query(events: Any, receiver: Receiver) -> None:
    wired = wire(
        events,
        receiver,
        path="/tickets/*",
        target={
            "HttpParameters": {
                "PathParameterValues": ["$.detail.queue"],
                "HeaderParameters": {"X-Team": "security"},
                "QueryStringParameters": {"priority": "$.detail.priority"},
            }
        },
    )
    put(events, wired.source, {"queue": "SEC", "priority": "P1"})
    got = receiver.wait_for(1)[0]
    assert got.path == "/tickets/SEC"
    assert got.headers["x-team"] == "security"
    assert got.query == {"priority": ["P1"]}


def test_basic_and_oauth_connections_authenticate(events: Any, receiver: Receiver) -> None:
    basic = wire(
        events,
        receiver,
        auth=("BASIC", {"BasicAuthParameters": {"Username": "alice", "Password": "pw-secret"}}),
    )
    put(events, basic.source, {})
    assert receiver.wait_for(1)[0].headers["authorization"] == "Basic YWxpY2U6cHctc2VjcmV0"
    oauth = wire(
        events,
        receiver,
        auth=(
            "OAUTH_CLIENT_CREDENTIALS",
            {
                "OAuthParameters": {
                    "ClientParameters": {"ClientID": "client-1", "ClientSecret": "client-secret-1"},
                    "AuthorizationEndpoint": receiver.url + "/oauth/token",
                    "HttpMethod": "POST",
                    "OAuthHttpParameters": {
                        "BodyParameters": [{"Key": "scope", "Value": "events", "IsValueSecret": False}]
                    },
                }
            },
        ),
    )
    put(events, oauth.source, {})
    assert receiver.wait_for(2)[1].headers["authorization"] == "Bearer token-123"
    token_request = receiver.token_requests[0]
    assert token_request.headers["authorization"] == "Basic Y2xpZW50LTE6Y2xpZW50LXNlY3JldC0x"
    assert b"grant_type=client_credentials" in token_request.body and b"scope=events" in token_request.body


def test_cloudtrail_sourced_events_for_write_calls_without_secrets(events: Any, receiver: Receiver) -> None:
    pattern = {
        "source": ["aws.events"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventName": ["CreateConnection"], "userIdentity": {"accountId": [ACCOUNT]}},
    }
    wire(events, receiver, pattern=pattern)
    name = unique("audited")
    events.create_connection(
        Name=name,
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "never-shown-42"}},
    )
    events.list_connections()  # read-only: no event
    wait_until(lambda: [r for r in receiver.requests if name.encode() in r.body])
    receiver.quiet_for(0.3)  # a duplicate would arrive now
    bodies = [r for r in receiver.requests if name.encode() in r.body]
    assert len(bodies) == 1
    event = bodies[0].json()
    assert event["detail"]["eventSource"] == "events.amazonaws.com"
    assert event["detail"]["requestParameters"]["name"] == name
    assert b"never-shown-42" not in bodies[0].body


def test_cross_account_delivery_follows_the_bus_policy(
    events: Any, make_client: Any, receiver: Receiver, server: Any
) -> None:
    other = make_client("events", access_key=OTHER_ACCOUNT)
    bus = unique("shared")
    bus_arn = other.create_event_bus(Name=bus)["EventBusArn"]
    wired = wire(other, receiver, pattern={"source": ["partner.app"]})
    other.put_rule(Name=wired.rule, EventBusName=bus, EventPattern=json.dumps({"source": ["partner.app"]}))
    other.put_targets(Rule=wired.rule, EventBusName=bus, Targets=[{"Id": "r", "Arn": wired.destination_arn}])

    forward = unique("forward")
    forward_arn = events.put_rule(Name=forward, EventPattern=json.dumps({"source": ["partner.app"]}))[
        "RuleArn"
    ]
    events.put_targets(Rule=forward, Targets=[{"Id": "other-bus", "Arn": bus_arn}])

    # No policy on the other account's bus yet: the forward is refused and dead-lettered.
    put(events, "partner.app", {"n": 1})
    [record] = wait_until(
        lambda: [d for d in dead_letters(server) if d["Attributes"]["RULE_ARN"] == forward_arn]
    )
    assert record["Attributes"]["ERROR_CODE"] == "NO_PERMISSIONS"
    with pytest.raises(ClientError) as err:
        events.put_events(
            Entries=[{"Source": "partner.app", "DetailType": "t", "Detail": "{}", "EventBusName": bus_arn}]
        )
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    assert not receiver.requests

    other.put_permission(EventBusName=bus, Action="events:PutEvents", Principal=ACCOUNT, StatementId="from-a")
    policy = json.loads(other.describe_event_bus(Name=bus)["Policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    forwarded = put(events, "partner.app", {"n": 2})
    direct = events.put_events(
        Entries=[{"Source": "partner.app", "DetailType": "t", "Detail": "{}", "EventBusName": bus_arn}]
    )["Entries"][0]["EventId"]
    got = receiver.wait_for(2)
    assert {r.json()["id"] for r in got} == {forwarded, direct}
    assert all(r.json()["account"] == ACCOUNT for r in got)  # the sender's account, as on AWS

    other.remove_permission(EventBusName=bus, StatementId="from-a")
    assert "Policy" not in other.describe_event_bus(Name=bus)
