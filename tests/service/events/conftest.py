"""Fixtures for EventBridge end to end: an account of our own, a receiver, a rule wired to it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.service.events.receiver import Receiver, running_receiver

ACCOUNT = "510987654321"
OTHER_ACCOUNT = "510987654322"


@pytest.fixture(scope="module")
def events(make_client: Any) -> Any:
    return make_client("events", access_key=ACCOUNT)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r


@dataclass
class Wired:
    """A rule on the default bus whose one target is an API destination at the receiver."""

    rule: str
    rule_arn: str
    destination_arn: str
    connection_arn: str
    source: str


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def wire(
    events: Any,
    receiver: Receiver,
    *,
    pattern: dict[str, Any] | None = None,
    target: dict[str, Any] | None = None,
    path: str = "/hook",
    auth: tuple[str, dict[str, Any]] | None = None,
) -> Wired:
    source = unique("test.app")
    auth_type, auth_params = auth or (
        "API_KEY",
        {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "key-value-1"}},
    )
    connection = events.create_connection(
        Name=unique("conn"), AuthorizationType=auth_type, AuthParameters=auth_params
    )
    destination = events.create_api_destination(
        Name=unique("dest"),
        ConnectionArn=connection["ConnectionArn"],
        InvocationEndpoint=receiver.url + path,
        HttpMethod="POST",
    )
    rule = unique("rule")
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps(pattern or {"source": [source]}))["RuleArn"]
    events.put_targets(
        Rule=rule,
        Targets=[{"Id": "receiver", "Arn": destination["ApiDestinationArn"], **(target or {})}],
    )
    return Wired(rule, rule_arn, destination["ApiDestinationArn"], connection["ConnectionArn"], source)


def put(events: Any, source: str, detail: dict[str, Any], **extra: Any) -> str:
    answer = events.put_events(
        Entries=[{"Source": source, "DetailType": "test", "Detail": json.dumps(detail), **extra}]
    )
    assert answer["FailedEntryCount"] == 0, answer
    event_id: str = answer["Entries"][0]["EventId"]
    return event_id


def dead_letters(server: Any, account: str = ACCOUNT, region: str = "us-east-1") -> list[dict[str, Any]]:
    """The dead-letter records, read from the server's own database."""
    from strongroom.core.events.bus import read_dead_letters
    from strongroom.core.store import Database

    url = server.database_url or f"sqlite:///{server.data_dir / 'strongroom.db'}"
    db = Database(url)
    try:
        return read_dead_letters(db, account, region)
    finally:
        db.dispose()


def waiting_deliveries(server: Any) -> list[Any]:
    """The delivery rows waiting for a retry (attempted, not claimed by a worker)."""
    from sqlalchemy import select

    from strongroom.core.events.tables import events_deliveries
    from strongroom.core.store import Database

    url = server.database_url or f"sqlite:///{server.data_dir / 'strongroom.db'}"
    db = Database(url)
    try:
        with db.read() as conn:
            return list(
                conn.execute(
                    select(events_deliveries).where(
                        events_deliveries.c.attempts > 0, events_deliveries.c.claimed_until.is_(None)
                    )
                )
            )
    finally:
        db.dispose()


def wait_until(predicate: Any, timeout: float = 5.0) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)
