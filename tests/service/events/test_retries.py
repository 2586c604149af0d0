"""Retries, dead letters, event age and schedules: the business clock moves, so a server of their own.

The clock-moving tests run on a one-worker server of their own: their jumps (minutes to hours)
stay out of the session server other modules share.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.service.events.conftest import (
    ACCOUNT,
    dead_letters,
    put,
    unique,
    wait_until,
    waiting_deliveries,
    wire,
)
from tests.service.events.receiver import Receiver
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_url_factory: Any) -> Iterator[ServerProcess]:
    proc = ServerProcess(
        tmp_path_factory.mktemp("events-clock") / "data", database_url=database_url_factory(), workers=1
    )
    proc.start()
    yield proc
    proc.stop()


def settled(server: ServerProcess, rule_arn: str, attempts: int) -> None:
    """Wait until the worker has recorded the failed attempt (before the test moves the clock)."""
    wait_until(
        lambda: any(r.rule_arn == rule_arn and r.attempts == attempts for r in waiting_deliveries(server))
    )


@pytest.fixture(scope="module")
def events(server: ServerProcess) -> Any:
    return server.client("events", access_key=ACCOUNT)


def test_retries_after_the_receiver_fails_twice_on_the_business_clock(
    events: Any, receiver: Receiver, server: ServerProcess
) -> None:
    wired = wire(events, receiver)
    receiver.statuses = [500, 503]
    event_id = put(events, wired.source, {"n": 1})
    receiver.wait_for(1)
    assert receiver.quiet_for(1.0) == 0  # the retry waits on business time, not on a fast loop
    settled(server, wired.rule_arn, 1)
    server.advance_clock(30)
    receiver.wait_for(2)
    settled(server, wired.rule_arn, 2)
    server.advance_clock(60)
    got = receiver.wait_for(3)
    assert [r.json()["id"] for r in got] == [event_id] * 3
    assert receiver.quiet_for(0.8) == 0  # delivered: no further attempt
    assert not [d for d in dead_letters(server) if d["Attributes"]["RULE_ARN"] == wired.rule_arn]


def test_dead_letter_record_after_the_receiver_keeps_failing(
    events: Any, receiver: Receiver, server: ServerProcess
) -> None:
    dlq = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{unique('dlq')}"
    wired = wire(
        events,
        receiver,
        target={"RetryPolicy": {"MaximumRetryAttempts": 2}, "DeadLetterConfig": {"Arn": dlq}},
    )
    receiver.default_status = 502
    event_id = put(events, wired.source, {"n": 2})
    receiver.wait_for(1)
    settled(server, wired.rule_arn, 1)
    server.advance_clock(30)
    receiver.wait_for(2)
    settled(server, wired.rule_arn, 2)
    server.advance_clock(60)
    receiver.wait_for(3)

    def mine() -> list[dict[str, Any]]:
        return [d for d in dead_letters(server) if d["Attributes"]["RULE_ARN"] == wired.rule_arn]

    [record] = wait_until(mine)
    assert record["DeadLetterArn"] == dlq
    assert json.loads(record["Body"])["id"] == event_id
    assert record["Attributes"] == {
        "RULE_ARN": wired.rule_arn,
        "TARGET_ARN": wired.destination_arn,
        "ERROR_CODE": "HTTP_502",
        "ERROR_MESSAGE": "The endpoint answered HTTP 502.",
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
        "RETRY_ATTEMPTS": 2,
    }
    server.advance_clock(600)
    assert receiver.quiet_for(0.8) == 0


def test_a_client_error_is_not_retried(events: Any, receiver: Receiver, server: ServerProcess) -> None:
    wired = wire(events, receiver)
    receiver.default_status = 400
    put(events, wired.source, {})
    receiver.wait_for(1)
    [record] = wait_until(
        lambda: [d for d in dead_letters(server) if d["Attributes"]["RULE_ARN"] == wired.rule_arn]
    )
    assert record["Attributes"]["ERROR_CODE"] == "HTTP_400"
    assert record["Attributes"]["EXHAUSTED_RETRY_CONDITION"] is None
    server.advance_clock(600)
    assert receiver.quiet_for(0.5) == 0


def test_an_event_older_than_its_maximum_age_is_dead_lettered(
    events: Any, receiver: Receiver, server: ServerProcess
) -> None:
    wired = wire(events, receiver, target={"RetryPolicy": {"MaximumEventAgeInSeconds": 60}})
    receiver.default_status = 500
    put(events, wired.source, {})
    receiver.wait_for(1)
    settled(server, wired.rule_arn, 1)
    server.advance_clock(120)
    [record] = wait_until(
        lambda: [d for d in dead_letters(server) if d["Attributes"]["RULE_ARN"] == wired.rule_arn]
    )
    assert record["Attributes"]["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
    assert len(receiver.requests) == 1


def test_a_scheduled_rule_fires_when_the_clock_moves(
    events: Any, receiver: Receiver, server: ServerProcess
) -> None:
    wired = wire(events, receiver)
    rule = unique("every5")
    arn = events.put_rule(Name=rule, ScheduleExpression="rate(5 minutes)")["RuleArn"]
    events.put_targets(Rule=rule, Targets=[{"Id": "r", "Arn": wired.destination_arn}])
    assert receiver.quiet_for(0.5) == 0
    server.advance_clock(301)
    first = receiver.wait_for(1)[0].json()
    assert first["source"] == "aws.events" and first["detail-type"] == "Scheduled Event"
    assert first["resources"] == [arn] and first["detail"] == {}
    server.advance_clock(300)
    second = receiver.wait_for(2)[1].json()
    assert second["id"] != first["id"]
    events.disable_rule(Name=rule)
    server.advance_clock(600)
    assert receiver.quiet_for(0.8) == 0
    events.remove_targets(Rule=rule, Ids=["r"])
    events.delete_rule(Name=rule)
