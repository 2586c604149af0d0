"""The audit writer: flush waits for what was queued before it, rows keep their columns."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from strongroom.core.audit import AuditEntry, AuditTrail, audit_event_resources, audit_events
from strongroom.core.store import Database
from strongroom.core.store.bulk import BulkInsert, _fast_converter, column_converter
from strongroom.migrations.runner import upgrade

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


def test_records_queued_during_a_write_wait_for_the_next_wake(db: Database) -> None:
    """A steady trickle makes one commit per wake, not one per record that came in meanwhile."""
    commits = 0

    def count(_conn: object) -> None:
        nonlocal commits
        commits += 1

    event.listen(db.engine, "commit", count)
    trail = AuditTrail(db, max_delay=0.1)
    trail.start()
    began = time.monotonic()
    sent = 0
    while time.monotonic() - began < 0.8:
        sent += 1
        trail.record(entry(sent))
        time.sleep(0.002)
    trail.flush()
    elapsed = time.monotonic() - began
    trail.stop()
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(audit_events)).scalar() == sent
    # Wakes come at least 0.1 s apart and each makes one commit (no batch fills up); a writer
    # that went round again whenever records had arrived during its last commit would chase the
    # trickle with a commit every few records.
    assert commits <= elapsed / 0.1 + 2, (commits, sent)


DIALECTS = [sqlite.dialect(), postgresql.psycopg.dialect()]  # type: ignore[no-untyped-call]
UTC_TIMES = [
    MOMENT,
    datetime(2026, 1, 1, tzinfo=UTC),
    datetime(1000, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]
OTHER_TIMES = [
    datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),  # SQLite's processor pads the year
    datetime(2026, 6, 1, 2, 30, tzinfo=timezone(timedelta(hours=2))),  # moved to UTC
    datetime(2026, 6, 1, 2, 30, tzinfo=timezone(timedelta(0), "Z")),  # a UTC that is not `UTC`
    None,
]


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("event_time", UTC_TIMES + OTHER_TIMES),
        ("read_only", [True, False, None, True]),
    ],
)
def test_fast_converters_give_what_the_type_processor_gives(
    dialect: Any, column: str, values: list[Any]
) -> None:
    column_type = audit_events.c[column].type
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    assert _fast_converter(column_type, dialect, process) is not None  # else this tests nothing
    convert = column_converter(column_type, dialect)
    assert convert is not None
    expected = [process(v) for v in values]
    got = convert(values)
    assert got == expected and [type(v) for v in got] == [type(v) for v in expected]
    # what SQLite and PostgreSQL are given for the usual values, spelled out
    if dialect.name == "sqlite" and column == "event_time":
        assert got[:2] == ["2026-01-01 12:30:15.123456", "2026-01-01 00:00:00.000000"]
        assert got[4:6] == ["0999-12-31 23:59:59.000000", "2026-06-01 00:30:00.000000"]
    elif column == "event_time":
        assert got[0] is MOMENT


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_values_the_processors_refuse_are_still_refused(dialect: Any) -> None:
    time_converter = column_converter(audit_events.c.event_time.type, dialect)
    bool_converter = column_converter(audit_events.c.read_only.type, dialect)
    assert time_converter is not None and bool_converter is not None
    with pytest.raises(ValueError, match="timezone-aware"):
        time_converter([MOMENT, datetime(2026, 1, 1)])
    with pytest.raises(ValueError, match="not None, True, or False"):
        bool_converter([True, 2])


def test_bulk_rows_store_what_sqlalchemy_stores(db: Database) -> None:
    """The raw stored values of a bulk-inserted row and of one inserted by SQLAlchemy's insert()."""
    row = entry(1)
    values = {
        "account_id": row.account_id,
        "region": row.region,
        "event_time": row.event_time,
        "event_source": row.event_source,
        "event_name": row.event_name,
        "read_only": row.read_only,
        "username": row.username,
        "access_key_id": row.access_key_id,
        "record": "{}",
    }
    with db.write() as conn:
        BulkInsert(audit_events).execute_values(conn, [("bulk", *values.values())])
        conn.execute(insert(audit_events), {"event_id": "orm", **values})
    with db.read() as conn:
        raw = dict(
            (r[0], tuple(r[1:]))
            for r in conn.exec_driver_sql("SELECT event_id, event_time, read_only FROM audit_events")
        )
    assert raw["bulk"] == raw["orm"]
    if db.dialect == "sqlite":
        assert raw["bulk"] == ("2026-01-01 12:30:16.123456", 0)


def test_recording_waits_while_the_backlog_is_full(db: Database) -> None:
    trail = AuditTrail(db, batch_size=4, max_delay=0.01, max_backlog=8)
    stalled = threading.Event()
    release = threading.Event()

    def stall_the_writer(written: AuditEntry) -> None:  # listeners run in the writer thread
        stalled.set()
        release.wait(10)

    trail.subscribe(stall_the_writer)
    trail.start()
    try:
        trail.record(entry(1))
        assert stalled.wait(5)  # the writer now holds on to its first batch
        for i in range(2, 10):
            trail.record(entry(i))  # the backlog fills up to its bound (8) without waiting
        blocked = threading.Thread(target=trail.record, args=(entry(10),))
        blocked.start()
        blocked.join(0.3)
        assert blocked.is_alive(), "a record was queued beyond the backlog bound"
        release.set()
        blocked.join(5)
        assert not blocked.is_alive()
        trail.flush()
    finally:
        release.set()
        trail.stop()
    with db.read() as conn:
        stored = conn.execute(select(func.count()).select_from(audit_events)).scalar_one()
    assert stored == 10


def test_one_bulk_insert_serves_databases_of_both_dialects(db: Database, tmp_path: Path) -> None:
    """A process may write SQLite and PostgreSQL through one insert: each keeps its placeholders."""
    other = Database(f"sqlite:///{tmp_path / 'other.sqlite'}")
    upgrade(other)
    shared = BulkInsert(audit_events)
    try:
        for database, name in ((other, "first"), (db, "second"), (other, "third")):
            row = entry(1)
            with database.write() as conn:
                shared.execute_values(
                    conn,
                    [(name, row.account_id, row.region, row.event_time, row.event_source, row.event_name,
                      row.read_only, row.username, row.access_key_id, "{}")],
                )  # fmt: skip
    finally:
        other.dispose()
    with db.read() as conn:
        assert conn.execute(select(audit_events.c.event_id)).scalars().all() == ["second"]
