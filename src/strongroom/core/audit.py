"""The audit trail: a CloudTrail record for every authenticated call, written in groups.

Recording must not cap throughput, so records go to an in-process queue and a writer thread
commits them in batches (group commit: one transaction per up to `batch_size` records, at most
`max_delay` after the first one queued). What a crash can lose: the records queued in the last
`max_delay` (0.2 s by default) before a `kill -9` — the calls themselves are durable, their audit
lines of that instant may not be. A clean shutdown flushes everything.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Boolean, Column, ForeignKey, Index, String, Table, Text, select
from sqlalchemy.sql import Select

from strongroom.core.store import Database
from strongroom.core.store.bulk import BulkInsert
from strongroom.core.store.schema import UtcDateTime, metadata

log = logging.getLogger(__name__)

audit_events = Table(
    "audit_events",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("event_time", UtcDateTime, nullable=False),
    Column("event_source", String(128), nullable=False),
    Column("event_name", String(128), nullable=False),
    Column("read_only", Boolean, nullable=False),
    Column("username", String(256)),
    Column("access_key_id", String(128)),
    Column("record", Text, nullable=False),
    Index("ix_audit_events_account_time", "account_id", "region", "event_time"),
)

audit_event_resources = Table(
    "audit_event_resources",
    metadata,
    Column("event_id", String(36), ForeignKey("audit_events.event_id", ondelete="CASCADE"), primary_key=True),
    Column("resource_type", String(256), primary_key=True),
    Column("resource_name", String(2048), primary_key=True),
    Index("ix_audit_event_resources_name", "resource_name"),
)


@dataclass(frozen=True)
class AuditEntry:
    """One CloudTrail record plus the columns LookupEvents filters on."""

    event_id: str
    account_id: str
    region: str
    event_time: datetime
    event_source: str
    event_name: str
    read_only: bool
    username: str | None
    access_key_id: str | None
    resources: tuple[tuple[str, str], ...]
    record: dict[str, Any]

    # The generated __init__ of a frozen dataclass sets each field through object.__setattr__,
    # several times slower; one entry is built per call, so the fields are stored at once.
    def __init__(
        self,
        event_id: str,
        account_id: str,
        region: str,
        event_time: datetime,
        event_source: str,
        event_name: str,
        read_only: bool,
        username: str | None,
        access_key_id: str | None,
        resources: tuple[tuple[str, str], ...],
        record: dict[str, Any],
    ) -> None:
        self.__dict__.update(
            event_id=event_id,
            account_id=account_id,
            region=region,
            event_time=event_time,
            event_source=event_source,
            event_name=event_name,
            read_only=read_only,
            username=username,
            access_key_id=access_key_id,
            resources=resources,
            record=record,
        )


class _FlushMark(threading.Event):
    """Queued by `flush`; set once the writer has committed everything queued before it."""


_Queued = AuditEntry | Callable[[], AuditEntry] | _FlushMark


class AuditTrail:
    """Queues records and commits them in batches from one writer thread per process.

    The writer wakes every `max_delay` and drains the queue, rather than on every record, so a
    request pays only for a `put`; records may be queued as factories that the writer builds,
    which moves redaction and serialization off the request path.
    """

    def __init__(
        self,
        db: Database,
        *,
        batch_size: int = 500,
        max_delay: float = 0.2,
        build_slice: int = 64,
        max_backlog: int = 20_000,
    ) -> None:
        self._db = db
        self._queue: queue.SimpleQueue[AuditEntry | Callable[[], AuditEntry] | _FlushMark] = (
            queue.SimpleQueue()
        )
        self._batch_size = batch_size
        self._build_slice = build_slice
        self._max_delay = max_delay
        self._max_backlog = max_backlog
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._listeners: list[Callable[[AuditEntry], None]] = []

    def subscribe(self, listener: Callable[[AuditEntry], None]) -> None:
        """Call `listener` with every record once it is built (in the writer thread)."""
        self._listeners.append(listener)

    def record(self, entry: AuditEntry | Callable[[], AuditEntry]) -> None:
        """Queue a record; while `max_backlog` records already wait, first wait for the writer.

        The writer shares the GIL with the threads that record; at a request rate it cannot
        follow, an unbounded queue would grow without end, and every record waiting (with the
        values it holds) is one more object for each full garbage collection to walk. Waiting
        here, GIL released, is the back-pressure: the recording thread slows to the writer's pace.
        """
        if self._queue.qsize() >= self._max_backlog:
            writer = self._thread
            # Never in the writer itself (a listener that records): it would wait for itself.
            while writer is not None and writer is not threading.current_thread():
                if self._queue.qsize() < self._max_backlog // 2:
                    break
                time.sleep(0.001)
                writer = self._thread
        self._queue.put(entry)

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="strongroom-audit", daemon=True)
            self._thread.start()

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything queued so far is committed."""
        if self._thread is None:
            self._drain()
            return
        # The queue is FIFO: once the writer reaches this mark, all that came before is written.
        mark = _FlushMark()
        self._queue.put(mark)
        mark.wait(timeout)

    def stop(self) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._thread.join(timeout=10)
            self._thread = None
        self._drain()

    def _run(self) -> None:
        # Wake on a fixed cadence: a record queued while a batch is being written waits for the
        # next wake, at most `max_delay` away, instead of being written in a commit of its own.
        wake = time.monotonic()
        while True:
            now = time.monotonic()
            wake = max(wake + self._max_delay, now)
            if self._stopping.wait(wake - now):
                return
            self._drain()

    def _drain(self) -> None:
        """Write what is queued; returns once a batch ends because the queue ran dry.

        Another pass follows a full batch and a flush mark (later marks must not wait for the
        next wake), not a short batch: records that arrived meanwhile would make small commits,
        each paying a commit's fixed cost (an fsync), which the next wake spreads over many.
        """
        while True:
            batch: list[AuditEntry] = []
            marks: list[_FlushMark] = []
            taken = 0
            while taken < self._batch_size:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if isinstance(item, _FlushMark):
                    marks.append(item)
                    break  # what the flush waits for is in this batch
                taken += 1
                if taken % self._build_slice == 0 and self._queue.qsize() < self._batch_size:
                    # Building records holds the GIL; let the event loop in between slices
                    # rather than make it wait out the interpreter's 5 ms switch interval. Not
                    # when a batch or more waits: each yield costs the writer that interval to get
                    # the GIL back from a busy loop, and it would fall further behind.
                    time.sleep(0)
                try:
                    batch.append(item() if callable(item) else item)
                except Exception:
                    log.exception("could not build an audit record")
            if batch:
                self._write(batch)
                self._notify(batch)
            for mark in marks:
                mark.set()
            if taken < self._batch_size and not marks:
                return

    def _notify(self, batch: Sequence[AuditEntry]) -> None:
        for listener in self._listeners:
            for entry in batch:
                try:
                    listener(entry)
                except Exception:
                    log.exception("an audit listener failed")

    def _write(self, batch: Sequence[AuditEntry]) -> None:
        try:
            dumps = orjson.dumps
            events = [
                (
                    e.event_id,
                    e.account_id,
                    e.region,
                    e.event_time,
                    e.event_source,
                    e.event_name,
                    e.read_only,
                    e.username,
                    e.access_key_id,
                    dumps(e.record, default=str).decode(),
                )
                for e in batch
            ]
            resources = [
                (e.event_id, kind, name)
                for e in batch
                if e.resources
                for kind, name in (dict.fromkeys(e.resources) if len(e.resources) > 1 else e.resources)
            ]
            with self._db.write() as conn:
                _insert_events.execute_values(conn, events)
                _insert_resources.execute_values(conn, resources)
        except Exception:
            log.exception("could not write %d audit records", len(batch))


_insert_events = BulkInsert(audit_events)
_insert_resources = BulkInsert(audit_event_resources)

LOOKUP_COLUMNS = {
    "EventId": audit_events.c.event_id,
    "EventName": audit_events.c.event_name,
    "ReadOnly": audit_events.c.read_only,
    "Username": audit_events.c.username,
    "EventSource": audit_events.c.event_source,
    "AccessKeyId": audit_events.c.access_key_id,
}


def lookup_query(
    account_id: str,
    region: str,
    *,
    start: datetime | None,
    end: datetime | None,
    attribute: tuple[str, str] | None,
) -> Select[Any]:
    """The LookupEvents query, newest first; pagination is the caller's (event_time, event_id)."""
    query = select(audit_events).where(
        audit_events.c.account_id == account_id, audit_events.c.region == region
    )
    if start is not None:
        query = query.where(audit_events.c.event_time >= start)
    if end is not None:
        query = query.where(audit_events.c.event_time <= end)
    if attribute is not None:
        key, value = attribute
        if key in ("ResourceType", "ResourceName"):
            column = (
                audit_event_resources.c.resource_type
                if key == "ResourceType"
                else audit_event_resources.c.resource_name
            )
            query = query.where(
                audit_events.c.event_id.in_(select(audit_event_resources.c.event_id).where(column == value))
            )
        elif key == "ReadOnly":
            query = query.where(audit_events.c.read_only == (value.lower() == "true"))
        else:
            query = query.where(LOOKUP_COLUMNS[key] == value)
    return query.order_by(audit_events.c.event_time.desc(), audit_events.c.event_id.desc())


__all__ = ["AuditEntry", "AuditTrail", "audit_event_resources", "audit_events", "lookup_query"]
