"""The events API end to end: buses, rules, targets, permissions, tags — and every bad input's AWS error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.events.conftest import ACCOUNT, OTHER_ACCOUNT, unique

PATTERN = json.dumps({"source": ["my.app"]})


def error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def test_buses_lifecycle(events: Any) -> None:
    name = unique("bus")
    arn = events.create_event_bus(Name=name, Description="security events")["EventBusArn"]
    assert arn == f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/{name}"
    described = events.describe_event_bus(Name=name)
    assert (
        described["Name"] == name
        and described["Arn"] == arn
        and described["Description"] == "security events"
    )
    assert events.describe_event_bus(Name=arn)["Name"] == name
    names = [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    assert "default" in names and name in names
    with pytest.raises(ClientError) as err:
        events.create_event_bus(Name=name)
    assert error(err) == ("ResourceAlreadyExistsException", f"Event bus {name} already exists.")
    events.put_rule(Name="on-bus", EventBusName=name, EventPattern=PATTERN)
    events.delete_event_bus(Name=name)
    with pytest.raises(ClientError) as err:
        events.describe_event_bus(Name=name)
    assert error(err) == ("ResourceNotFoundException", f"Event bus {name} does not exist.")
    with pytest.raises(ClientError) as err:
        events.describe_rule(Name="on-bus", EventBusName=name)
    assert error(err)[0] == "ResourceNotFoundException"


def test_the_default_bus_exists_and_cannot_be_deleted_or_created(events: Any) -> None:
    assert events.describe_event_bus()["Arn"] == f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"
    with pytest.raises(ClientError) as err:
        events.delete_event_bus(Name="default")
    assert error(err) == ("ValidationException", "Cannot delete event bus default.")
    with pytest.raises(ClientError) as err:
        events.create_event_bus(Name="default")
    assert error(err)[0] == "ResourceAlreadyExistsException"


def test_rules_lifecycle(events: Any) -> None:
    name = unique("rule")
    arn = events.put_rule(
        Name=name, EventPattern=PATTERN, Description="d", Tags=[{"Key": "team", "Value": "sec"}]
    )["RuleArn"]
    assert arn == f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{name}"
    rule = events.describe_rule(Name=name)
    assert {k: rule[k] for k in ("Name", "Arn", "EventPattern", "State", "Description", "EventBusName")} == {
        "Name": name, "Arn": arn, "EventPattern": PATTERN, "State": "ENABLED", "Description": "d",
        "EventBusName": "default",
    }  # fmt: skip
    assert rule["CreatedBy"] == ACCOUNT
    events.disable_rule(Name=name)
    assert events.describe_rule(Name=name)["State"] == "DISABLED"
    events.enable_rule(Name=name)
    assert events.describe_rule(Name=name)["State"] == "ENABLED"
    assert name in [r["Name"] for r in events.list_rules(NamePrefix=name[:8])["Rules"]]
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "sec"}]
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "prod"}])
    events.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]
    # PutRule replaces the rule: what it omits is gone.
    events.put_rule(Name=name, EventPattern=PATTERN)
    assert "Description" not in events.describe_rule(Name=name)
    events.delete_rule(Name=name)
    with pytest.raises(ClientError) as err:
        events.describe_rule(Name=name)
    assert error(err) == ("ResourceNotFoundException", f"Rule {name} does not exist on EventBus default.")


def test_targets_lifecycle_and_lookup_by_target(events: Any) -> None:
    name = unique("rule")
    events.put_rule(Name=name, EventPattern=PATTERN)
    target_arn = f"arn:aws:events:us-east-1:{OTHER_ACCOUNT}:event-bus/default"
    targets = [
        {
            "Id": "a",
            "Arn": target_arn,
            "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600},
        },
        {"Id": "b", "Arn": target_arn, "InputPath": "$.detail"},
    ]
    answer = events.put_targets(Rule=name, Targets=targets)
    assert (answer["FailedEntryCount"], answer["FailedEntries"]) == (0, [])
    events.put_targets(Rule=name, Targets=targets)  # putting the same ids again replaces them
    assert events.list_targets_by_rule(Rule=name)["Targets"] == targets
    assert name in events.list_rule_names_by_target(TargetArn=target_arn)["RuleNames"]
    with pytest.raises(ClientError) as err:
        events.delete_rule(Name=name)
    assert error(err) == ("ValidationException", "Rule can't be deleted since it has targets.")
    removed = events.remove_targets(Rule=name, Ids=["a", "b", "nope"])
    assert removed["FailedEntryCount"] == 1 and removed["FailedEntries"][0]["TargetId"] == "nope"
    assert events.list_targets_by_rule(Rule=name)["Targets"] == []
    events.delete_rule(Name=name)


def test_test_event_pattern(events: Any) -> None:
    event = {
        "id": "1", "account": ACCOUNT, "source": "aws.guardduty", "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1", "resources": [], "detail-type": "GuardDuty Finding",
        "detail": {"severity": 8.0},
    }  # fmt: skip
    pattern = {"source": ["aws.guardduty"], "detail": {"severity": [{"numeric": [">=", 7]}]}}
    assert (
        events.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))["Result"] is True
    )
    event["detail"] = {"severity": 2}
    assert (
        events.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))["Result"]
        is False
    )


def test_connections_never_return_their_secrets(events: Any, make_client: Any) -> None:
    name = unique("conn")
    created = events.create_connection(
        Name=name,
        AuthorizationType="BASIC",
        AuthParameters={
            "BasicAuthParameters": {"Username": "svc", "Password": "hunter2-secret"},
            "InvocationHttpParameters": {
                "HeaderParameters": [
                    {"Key": "X-Token", "Value": "header-secret-9", "IsValueSecret": True},
                    {"Key": "X-Plain", "Value": "visible", "IsValueSecret": False},
                ]
            },
        },
    )
    assert created["ConnectionState"] == "AUTHORIZED"
    described = events.describe_connection(Name=name)
    assert described["AuthParameters"]["BasicAuthParameters"] == {"Username": "svc"}
    headers = described["AuthParameters"]["InvocationHttpParameters"]["HeaderParameters"]
    assert {"Key": "X-Token", "IsValueSecret": True} in headers
    assert {"Key": "X-Plain", "Value": "visible", "IsValueSecret": False} in headers
    assert "hunter2" not in json.dumps(described, default=str)
    trail = make_client("cloudtrail", access_key=ACCOUNT)
    records = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateConnection"}]
    )
    text = json.dumps(records["Events"], default=str)
    assert name in text or records["Events"] == []  # the audit trail is written in the background
    assert "hunter2-secret" not in text and "header-secret-9" not in text
    deauthorized = events.deauthorize_connection(Name=name)
    assert deauthorized["ConnectionState"] == "DEAUTHORIZING"
    assert events.describe_connection(Name=name)["ConnectionState"] == "DEAUTHORIZED"
    assert events.delete_connection(Name=name)["ConnectionState"] == "DELETING"
    with pytest.raises(ClientError) as err:
        events.describe_connection(Name=name)
    assert error(err) == (
        "ResourceNotFoundException",
        f"Failed to describe the connection(s). Connection '{name}' does not exist.",
    )


def test_api_destinations_lifecycle(events: Any) -> None:
    connection = events.create_connection(
        Name=unique("conn"),
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}},
    )["ConnectionArn"]
    name = unique("dest")
    created = events.create_api_destination(
        Name=name,
        ConnectionArn=connection,
        InvocationEndpoint="http://tickets.internal:8080/hook",
        HttpMethod="POST",
        InvocationRateLimitPerSecond=20,
    )
    assert created["ApiDestinationState"] == "ACTIVE"
    assert created["ApiDestinationArn"].startswith(
        f"arn:aws:events:us-east-1:{ACCOUNT}:api-destination/{name}/"
    )
    described = events.describe_api_destination(Name=name)
    assert described["InvocationEndpoint"] == "http://tickets.internal:8080/hook"
    assert described["InvocationRateLimitPerSecond"] == 20
    events.update_api_destination(Name=name, InvocationRateLimitPerSecond=5)
    assert events.describe_api_destination(Name=name)["InvocationRateLimitPerSecond"] == 5
    assert name in [d["Name"] for d in events.list_api_destinations(NamePrefix=name)["ApiDestinations"]]
    with pytest.raises(ClientError) as err:
        events.create_api_destination(
            Name=name, ConnectionArn=connection, InvocationEndpoint="https://x.example", HttpMethod="POST"
        )
    assert error(err)[0] == "ResourceAlreadyExistsException"
    events.delete_api_destination(Name=name)
    with pytest.raises(ClientError) as err:
        events.describe_api_destination(Name=name)
    assert error(err)[0] == "ResourceNotFoundException"


# -- bad inputs: the AWS error, and nothing changes ------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    ['{"source": "aws.ec2"}', "not json", '{"n": [{"numeric": [">", "x"]}]}', '{"f": [{"wildcard": "a**"}]}'],
)
def test_malformed_patterns(events: Any, pattern: str) -> None:
    name = unique("bad")
    with pytest.raises(ClientError) as err:
        events.put_rule(Name=name, EventPattern=pattern)
    code, message = error(err)
    assert code == "InvalidEventPatternException" and message.startswith(
        "Event pattern is not valid. Reason: "
    )
    assert name not in [r["Name"] for r in events.list_rules(NamePrefix=name)["Rules"]]
    with pytest.raises(ClientError) as err:
        events.test_event_pattern(EventPattern=pattern, Event="{}")
    assert error(err)[0] == "InvalidEventPatternException"


def test_oversized_entries(events: Any) -> None:
    big = json.dumps({"blob": "x" * (256 * 1024)})
    with pytest.raises(ClientError) as err:
        events.put_events(Entries=[{"Source": "my.app", "DetailType": "t", "Detail": big}])
    assert error(err) == (
        "ValidationException",
        "Total size of the entries in the request is over the limit.",
    )


def test_too_many_entries(events: Any) -> None:
    entries = [{"Source": "my.app", "DetailType": "t", "Detail": "{}"}] * 11
    with pytest.raises(ClientError) as err:
        events.put_events(Entries=entries)
    assert error(err)[0] == "ValidationException"


def test_per_entry_errors(events: Any) -> None:
    answer = events.put_events(
        Entries=[
            {"Source": "my.app", "DetailType": "t", "Detail": "{}"},
            {"Source": "my.app", "DetailType": "t", "Detail": "not json"},
            {"DetailType": "t", "Detail": "{}"},
            {"Source": "aws.kms", "DetailType": "t", "Detail": "{}"},
            {"Source": "my.app", "DetailType": "t", "Detail": "{}", "EventBusName": "no-such-bus"},
        ]
    )
    assert answer["FailedEntryCount"] == 4
    entries = answer["Entries"]
    assert set(entries[0]) == {"EventId"}
    assert entries[1] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert entries[2] == {
        "ErrorCode": "InvalidArgument",
        "ErrorMessage": "Parameter Source is not valid. Reason: Source is a required argument.",
    }
    assert entries[3] == {
        "ErrorCode": "NotAuthorizedForSourceException",
        "ErrorMessage": "Not authorized for the source.",
    }
    assert entries[4] == {
        "ErrorCode": "ResourceNotFoundException",
        "ErrorMessage": "Event bus no-such-bus does not exist.",
    }


def test_unknown_buses(events: Any) -> None:
    with pytest.raises(ClientError) as err:
        events.put_rule(Name=unique("r"), EventBusName="no-such-bus", EventPattern=PATTERN)
    assert error(err) == ("ResourceNotFoundException", "Event bus no-such-bus does not exist.")
    with pytest.raises(ClientError) as err:
        events.list_rules(EventBusName="no-such-bus")
    assert error(err)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        events.put_permission(
            EventBusName="no-such-bus", Action="events:PutEvents", Principal=OTHER_ACCOUNT, StatementId="s"
        )
    assert error(err)[0] == "ResourceNotFoundException"


def test_targets_over_the_limit(events: Any) -> None:
    name = unique("rule")
    events.put_rule(Name=name, EventPattern=PATTERN)
    bus = f"arn:aws:events:us-east-1:{OTHER_ACCOUNT}:event-bus/default"
    events.put_targets(Rule=name, Targets=[{"Id": f"t{i}", "Arn": bus} for i in range(4)])
    with pytest.raises(ClientError) as err:
        events.put_targets(Rule=name, Targets=[{"Id": "t8", "Arn": bus}, {"Id": "t9", "Arn": bus}])
    assert error(err)[0] == "LimitExceededException"
    assert len(events.list_targets_by_rule(Rule=name)["Targets"]) == 4
    with pytest.raises(ClientError) as err:
        events.put_targets(Rule=unique("missing"), Targets=[{"Id": "t", "Arn": bus}])
    assert error(err)[0] == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "Parameter(s) EventPattern or ScheduleExpression must be specified."),
        ({"ScheduleExpression": "rate(5 minute)"}, "Parameter ScheduleExpression is not valid."),
        ({"ScheduleExpression": "cron(0 12 * * * *)"}, "Parameter ScheduleExpression is not valid."),
    ],
)
def test_invalid_rules(events: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ClientError) as err:
        events.put_rule(Name=unique("r"), **kwargs)
    assert error(err) == ("ValidationException", message)


def test_schedules_only_on_the_default_bus(events: Any) -> None:
    bus = unique("bus")
    events.create_event_bus(Name=bus)
    with pytest.raises(ClientError) as err:
        events.put_rule(Name="s", EventBusName=bus, ScheduleExpression="rate(5 minutes)")
    assert error(err) == (
        "ValidationException",
        "ScheduleExpression is supported only on the default event bus.",
    )


@pytest.mark.parametrize(
    "target",
    [
        {"Input": "{}", "InputPath": "$.detail"},
        {"Input": "not json"},
        {"InputPath": "detail"},
        {"InputTransformer": {"InputPathsMap": {"x": "$.detail"}, "InputTemplate": '{"a": <x>'}},
        {"InputTransformer": {"InputPathsMap": {"aws.x": "$.detail"}, "InputTemplate": "<aws.x>"}},
        {"Arn": "not-an-arn"},
    ],
)
def test_invalid_targets(events: Any, target: dict[str, Any]) -> None:
    name = unique("rule")
    events.put_rule(Name=name, EventPattern=PATTERN)
    bus = f"arn:aws:events:us-east-1:{OTHER_ACCOUNT}:event-bus/default"
    with pytest.raises(ClientError) as err:
        events.put_targets(Rule=name, Targets=[{"Id": "t", "Arn": bus, **target}])
    assert error(err)[0] == "ValidationException"
    assert events.list_targets_by_rule(Rule=name)["Targets"] == []


def test_connection_needs_its_auth_parameters(events: Any) -> None:
    with pytest.raises(ClientError) as err:
        events.create_connection(
            Name=unique("c"),
            AuthorizationType="BASIC",
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}},
        )
    assert error(err)[0] == "ValidationException"
    with pytest.raises(ClientError) as err:
        events.create_api_destination(
            Name=unique("d"),
            ConnectionArn=f"arn:aws:events:us-east-1:{ACCOUNT}:connection/none/0",
            InvocationEndpoint="https://x.example",
            HttpMethod="POST",
        )
    assert error(err)[0] == "ResourceNotFoundException"
    connection = events.create_connection(
        Name=unique("c"),
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}},
    )["ConnectionArn"]
    with pytest.raises(ClientError) as err:
        events.create_api_destination(
            Name=unique("d"),
            ConnectionArn=connection,
            InvocationEndpoint="ftp://x.example/",
            HttpMethod="POST",
        )
    assert error(err)[0] == "ValidationException"


def test_a_user_without_permission_is_denied_and_nothing_changes(events: Any, make_client: Any) -> None:
    iam = make_client("iam", access_key=ACCOUNT)
    user = unique("u")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    denied = make_client("events", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    name = unique("rule")
    with pytest.raises(ClientError) as err:
        denied.put_rule(Name=name, EventPattern=PATTERN)
    assert error(err)[0] == "AccessDeniedException"
    with pytest.raises(ClientError) as err:
        denied.put_events(Entries=[{"Source": "my.app", "DetailType": "t", "Detail": "{}"}])
    assert error(err)[0] == "AccessDeniedException"
    assert events.list_rules(NamePrefix=name)["Rules"] == []
