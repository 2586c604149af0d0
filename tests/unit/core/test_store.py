"""The store's write paths: unique violations become the caller's error; locks serialize."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import insert, select

from strongroom.core.clock import utcnow
from strongroom.core.iam.tables import accounts
from strongroom.core.store import Database


class Duplicate(Exception):
    pass


def test_a_unique_violation_becomes_the_given_error_and_rolls_back(db: Database) -> None:
    with db.write() as conn:
        conn.execute(insert(accounts).values(account_id="111111111111", created_at=utcnow()))
    with pytest.raises(Duplicate), db.write_unique(Duplicate) as conn:
        conn.execute(insert(accounts).values(account_id="222222222222", created_at=utcnow()))
        conn.execute(insert(accounts).values(account_id="111111111111", created_at=utcnow()))
    with db.read() as conn:
        ids = sorted(conn.execute(select(accounts.c.account_id)).scalars())
    assert ids == ["111111111111"]


def test_lock_serializes_critical_sections(db: Database) -> None:
    inside = 0
    overlaps = 0
    guard = threading.Lock()

    def section() -> None:
        nonlocal inside, overlaps
        with db.write() as conn:
            db.lock(conn, "test-section")
            with guard:
                inside += 1
                overlaps = max(overlaps, inside)
            time.sleep(0.05)
            with guard:
                inside -= 1

    threads = [threading.Thread(target=section) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == 1


def test_an_acknowledged_write_is_visible_to_a_new_connection(db: Database) -> None:
    with db.write() as conn:
        conn.execute(insert(accounts).values(account_id="333333333333", created_at=utcnow()))
    other = Database(db.url)
    with other.read() as conn:
        assert conn.execute(select(accounts.c.account_id)).scalar() == "333333333333"
    other.dispose()
