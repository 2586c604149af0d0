"""The audit trail commits records in batches and serves them newest first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from strongroom.core.audit import AuditEntry, AuditTrail, audit_events, lookup_query
from strongroom.core.store import Database


def entry(i: int, *, name: str = "Encrypt", resources: tuple[tuple[str, str], ...] = ()) -> AuditEntry:
    return AuditEntry(
        event_id=str(uuid.UUID(int=i)),
        account_id="111122223333",
        region="us-east-1",
        event_time=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=i),
        event_source="kms.amazonaws.com",
        event_name=name,
        read_only=True,
        username="alice",
        access_key_id="AKIAEXAMPLE",
        resources=resources,
        record={"eventName": name, "i": i},
    )


def test_records_are_committed_in_batches_and_flush_waits(db: Database) -> None:
    trail = AuditTrail(db, batch_size=50, max_delay=0.05)
    trail.start()
    for i in range(1, 501):
        trail.record(entry(i, resources=(("AWS::KMS::Key", f"arn:key/{i % 3}"),)))
    trail.flush()
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(audit_events)).scalar() == 500
    trail.stop()


def test_lookup_filters_by_attribute_and_orders_newest_first(db: Database) -> None:
    trail = AuditTrail(db)
    for i in range(1, 11):
        trail.record(
            entry(i, name="Decrypt" if i % 2 else "Encrypt", resources=(("AWS::KMS::Key", f"k{i % 2}"),))
        )
    trail.stop()  # without a started thread, stop() writes what is queued
    with db.read() as conn:
        names = [
            r.event_name
            for r in conn.execute(
                lookup_query(
                    "111122223333", "us-east-1", start=None, end=None, attribute=("EventName", "Encrypt")
                )
            )
        ]
        assert names == ["Encrypt"] * 5
        times = [
            r.event_time
            for r in conn.execute(
                lookup_query(
                    "111122223333", "us-east-1", start=None, end=None, attribute=("ResourceName", "k1")
                )
            )
        ]
        assert len(times) == 5 and times == sorted(times, reverse=True)
        other_region = list(
            conn.execute(lookup_query("111122223333", "eu-west-1", start=None, end=None, attribute=None))
        )
        assert other_region == []
