"""The scheduler runs due jobs once, in the order they became due, on the business clock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, select

from strongroom.core.clock import Clock
from strongroom.core.scheduler import Job, Scheduler, scheduler_jobs
from strongroom.core.store import Database


def test_a_job_runs_when_the_clock_reaches_it(db: Database, tmp_path: Path) -> None:
    clock = Clock(tmp_path / "clock")
    scheduler = Scheduler(db, clock)
    ran: list[str] = []
    scheduler.register("test", lambda conn, job: ran.append(job.key))
    with db.write() as conn:
        Scheduler.schedule(conn, "test", "a", clock.now() + timedelta(hours=1), {"n": 1})
    assert scheduler.run_due() == 0
    clock.advance(3599)
    assert scheduler.run_due() == 0
    clock.advance(2)
    assert scheduler.run_due() == 1
    assert ran == ["a"]
    assert scheduler.run_due() == 0


def test_jobs_run_in_due_order_and_reschedule_replaces(db: Database, tmp_path: Path) -> None:
    clock = Clock(tmp_path / "clock")
    scheduler = Scheduler(db, clock)
    ran: list[str] = []
    scheduler.register("test", lambda conn, job: ran.append(job.key))
    now = clock.now()
    with db.write() as conn:
        Scheduler.schedule(conn, "test", "late", now + timedelta(seconds=30))
        Scheduler.schedule(conn, "test", "early", now + timedelta(seconds=10))
        Scheduler.schedule(conn, "test", "moved", now + timedelta(seconds=5))
        Scheduler.schedule(conn, "test", "moved", now + timedelta(seconds=20))
    clock.advance(60)
    scheduler.run_due()
    assert ran == ["early", "moved", "late"]


def test_a_failing_job_is_rolled_back_and_retried_with_backoff(db: Database, tmp_path: Path) -> None:
    clock = Clock(tmp_path / "clock")
    scheduler = Scheduler(db, clock)
    attempts: list[int] = []

    def flaky(conn: Connection, job: Job) -> None:
        attempts.append(job.attempts)
        Scheduler.schedule(conn, "side-effect", job.key, clock.now())
        if len(attempts) < 3:
            raise RuntimeError("boom")

    scheduler.register("flaky", flaky)
    with db.write() as conn:
        Scheduler.schedule(conn, "flaky", "k", clock.now())
    scheduler.run_due()
    with db.read() as conn:
        kinds = [r.kind for r in conn.execute(select(scheduler_jobs))]
    assert kinds == ["flaky"], "the failed attempt's side effect must be rolled back"
    clock.advance(1.5)
    scheduler.run_due()
    clock.advance(2.5)
    scheduler.run_due()
    assert attempts == [0, 1, 2]
    with db.read() as conn:
        kinds = sorted(r.kind for r in conn.execute(select(scheduler_jobs)))
    assert kinds == ["side-effect"]


def test_concurrent_runners_run_each_job_exactly_once(db: Database, tmp_path: Path) -> None:
    clock = Clock(tmp_path / "clock")
    counts: dict[str, int] = {}
    lock = threading.Lock()

    def count(conn: Connection, job: Job) -> None:
        with lock:
            counts[job.key] = counts.get(job.key, 0) + 1

    schedulers = [Scheduler(Database(db.url), clock) for _ in range(4)]
    for s in schedulers:
        s.register("count", count)
    with db.write() as conn:
        for i in range(200):
            Scheduler.schedule(conn, "count", f"job-{i}", datetime(2000, 1, 1, tzinfo=UTC))
    threads = [threading.Thread(target=s.run_due) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(counts) == 200
    assert set(counts.values()) == {1}


def test_the_clock_never_moves_backward(tmp_path: Path) -> None:
    clock = Clock(tmp_path / "clock")
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_a_clock_jump_is_seen_by_another_clock_on_the_same_file(tmp_path: Path) -> None:
    a, b = Clock(tmp_path / "clock"), Clock(tmp_path / "clock")
    before = b.now()
    a.advance(86400)
    assert b.now() - before >= timedelta(days=1)
    assert b.wall() - before < timedelta(seconds=5)


def test_advancing_twice_after_another_process_moved_the_clock(tmp_path: Path) -> None:
    mine, other = Clock(tmp_path / "clock"), Clock(tmp_path / "clock")
    mine.advance(1)
    other.advance(1)  # the file changed behind `mine`'s back: advance must re-read without deadlock
    done = threading.Event()

    def advance() -> None:
        mine.advance(1)
        done.set()

    threading.Thread(target=advance, daemon=True).start()
    assert done.wait(5), "Clock.advance deadlocked"
    assert mine.offset() == 3
