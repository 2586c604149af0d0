"""The audit writer: flush waits for what was queued before it, rows keep their columns."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import select

from strongroom.core.audit import AuditEntry, AuditTrail, audit_event_resources, audit_events
from strongroom.core.store import Database
from strongroom.core.store.bulk import BulkInsert

MOMENT = datetime(2026, 1, 1, 12, 30, 15, 123456, tzinfo=UTC)


def entry(i: int, resources: tuple[tuple[str, str], ...] = ()) -> AuditEntry:
    return AuditEntry(
        event_id=str(uuid.UUID(int=i)),
        account_id="111122223333",
        region="eu-west-1",
        event_time=MOMENT + timedelta(seconds=i),
        event_source="kms.amazonaws.com",
        event_name="Decrypt",
        read_only=i % 2 == 0,
        username=None if i % 3 else "bob",
        access_key_id="AKIAEXAMPLE",
        resources=resources,
        record={"eventName": "Decrypt", "n": i, "when": MOMENT},
    )


def test_entries_are_frozen_and_compare_by_value() -> None:
    first = entry(1)
    assert first == entry(1) and first != entry(2)
    with pytest.raises(AttributeError):
        first.region = "x"  # type: ignore[misc]


def test_every_column_is_stored_and_duplicate_resources_once(db: Database) -> None:
    trail = AuditTrail(db)
    key = ("AWS::KMS::Key", "arn:aws:kms:eu-west-1:111122223333:key/k")
    for i in range(1, 7):
        trail.record(entry(i, resources=(key, key, ("AWS::KMS::Alias", f"alias/{i}")) if i == 3 else (key,)))
    trail.record(lambda: entry(7))
    trail.stop()
    with db.read() as conn:
        rows = {row.event_id: row for row in conn.execute(select(audit_events))}
        resources = conn.execute(
            select(audit_event_resources).where(audit_event_resources.c.event_id == str(uuid.UUID(int=3)))
        ).all()
    assert len(rows) == 7
    for i in range(1, 8):
        row = rows[str(uuid.UUID(int=i))]
        expected = entry(i)
        assert row.account_id == expected.account_id and row.region == expected.region
        assert row.event_time == expected.event_time and row.event_time.tzinfo is not None
        assert (row.event_source, row.event_name) == (expected.event_source, expected.event_name)
        assert row.read_only is expected.read_only
        assert (row.username, row.access_key_id) == (expected.username, expected.access_key_id)
        assert row.record == orjson.dumps(expected.record, default=str).decode()
    assert sorted((r.resource_type, r.resource_name) for r in resources) == sorted(
        [key, ("AWS::KMS::Alias", "alias/3")]
    )


def test_flush_from_many_threads_waits_for_their_own_records(db: Database) -> None:
    trail = AuditTrail(db, batch_size=7, max_delay=5.0)  # the writer would otherwise sleep 5 s
    trail.start()
    missing: list[int] = []

    def caller(base: int) -> None:
        for i in range(base, base + 20):
            trail.record(entry(i))
            trail.flush()
            with db.read() as conn:
                found = conn.execute(
                    select(audit_events.c.event_id).where(audit_events.c.event_id == str(uuid.UUID(int=i)))
                ).first()
            if found is None:
                missing.append(i)

    threads = [threading.Thread(target=caller, args=(1000 * n,)) for n in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    trail.stop()
    assert missing == []


def test_bulk_rows_must_give_every_column(db: Database) -> None:
    insert = BulkInsert(audit_event_resources)
    with pytest.raises(ValueError, match="3 column values"), db.write() as conn:
        insert.execute_values(conn, [("e", "t")])
