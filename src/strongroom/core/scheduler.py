"""Due work — rotations, expirations, deletions, renewals — run exactly once across processes.

A job is a row (kind, key, due_at, payload). `run_due` claims one due job at a time inside a
write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: FOR UPDATE SKIP LOCKED), runs its handler
in that same transaction and deletes the row: the handler's effects and the job's removal commit
together, so a job runs once even with several workers and nodes. A handler that raises is
rolled back and retried later with backoff. Recurring work re-schedules itself from its handler.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, Connection, Integer, String, Table, Text, delete, insert, select, update

from strongroom.core.clock import Clock
from strongroom.core.store import Database
from strongroom.core.store.schema import UtcDateTime, metadata

log = logging.getLogger(__name__)

scheduler_jobs = Table(
    "scheduler_jobs",
    metadata,
    Column("kind", String(64), primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("due_at", UtcDateTime, nullable=False, index=True),
    Column("payload", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
)


@dataclass(frozen=True)
class Job:
    kind: str
    key: str
    due_at: datetime
    payload: dict[str, Any]
    attempts: int


JobHandler = Callable[[Connection, Job], None]


class Scheduler:
    """Registers handlers by job kind and runs due jobs on the business clock."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        poll_seconds: float = 1.0,
        on_job_done: Callable[[str], None] | None = None,
    ) -> None:
        self._db = db
        self._on_job_done = on_job_done
        self._clock = clock
        self._handlers: dict[str, JobHandler] = {}
        self._poll = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._run_lock = threading.Lock()

    def register(self, kind: str, handler: JobHandler) -> None:
        self._handlers[kind] = handler

    @staticmethod
    def schedule(
        conn: Connection, kind: str, key: str, due_at: datetime, payload: dict[str, Any] | None = None
    ) -> None:
        """Add or move a job, inside the caller's write transaction."""
        body = json.dumps(payload or {}, separators=(",", ":"))
        moved = conn.execute(
            update(scheduler_jobs)
            .where(scheduler_jobs.c.kind == kind, scheduler_jobs.c.key == key)
            .values(due_at=due_at, payload=body, attempts=0)
        )
        if moved.rowcount == 0:
            conn.execute(
                insert(scheduler_jobs).values(kind=kind, key=key, due_at=due_at, payload=body, attempts=0)
            )

    @staticmethod
    def cancel(conn: Connection, kind: str, key: str) -> None:
        conn.execute(delete(scheduler_jobs).where(scheduler_jobs.c.kind == kind, scheduler_jobs.c.key == key))

    def run_due(self, limit: int = 1000) -> int:
        """Run jobs due at the business time now; returns how many ran."""
        ran = 0
        with self._run_lock:
            while ran < limit:
                kind = self._run_one()
                if kind is None:
                    break
                ran += 1
                if self._on_job_done is not None:
                    self._on_job_done(kind)
        return ran

    def run_all_due(self, timeout: float = 60.0) -> int:
        """`run_due`, then wait until no job is due: one another worker or node has claimed (on
        PostgreSQL this one skips its locked row) has finished too. What the dev clock runs."""
        ran = self.run_due()
        deadline = time.monotonic() + timeout
        while self._any_due() and time.monotonic() < deadline:
            time.sleep(0.02)
            ran += self.run_due()
        return ran

    def _any_due(self) -> bool:
        query = (
            select(scheduler_jobs.c.kind)
            .where(
                scheduler_jobs.c.due_at <= self._clock.now(), scheduler_jobs.c.kind.in_(list(self._handlers))
            )
            .limit(1)
        )
        with self._db.read() as conn:
            return conn.execute(query).first() is not None

    def _run_one(self) -> str | None:
        """Run one due job; its kind, or None when nothing is due."""
        now = self._clock.now()
        failed: Job | None = None
        with self._db.write() as conn:
            query = (
                select(scheduler_jobs)
                .where(scheduler_jobs.c.due_at <= now, scheduler_jobs.c.kind.in_(list(self._handlers)))
                .order_by(scheduler_jobs.c.due_at)
                .limit(1)
            )
            if self._db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = conn.execute(query).first()
            if row is None:
                return None
            job = Job(row.kind, row.key, row.due_at, json.loads(row.payload), row.attempts)
            conn.execute(
                delete(scheduler_jobs).where(
                    scheduler_jobs.c.kind == job.kind,
                    scheduler_jobs.c.key == job.key,
                    scheduler_jobs.c.due_at == job.due_at,
                )
            )
            savepoint = conn.begin_nested()
            try:
                self._handlers[job.kind](conn, job)
                savepoint.commit()
            except Exception:
                savepoint.rollback()
                log.exception("scheduled job %s/%s failed (attempt %d)", job.kind, job.key, job.attempts + 1)
                failed = job
            if failed is not None:
                retry_at = now + timedelta(seconds=min(3600, 2 ** min(failed.attempts, 12)))
                conn.execute(
                    insert(scheduler_jobs).values(
                        kind=failed.kind,
                        key=failed.key,
                        due_at=retry_at,
                        payload=json.dumps(failed.payload),
                        attempts=failed.attempts + 1,
                    )
                )
        return job.kind

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="strongroom-scheduler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self._poll):
            try:
                self.run_due()
            except Exception:
                log.exception("scheduler pass failed")
