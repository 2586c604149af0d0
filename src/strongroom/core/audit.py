"""The audit trail: a CloudTrail record for every authenticated call, written in groups.

Recording must not cap throughput, so records go to an in-process queue and a writer thread
commits them in batches (group commit: one transaction per up to `batch_size` records, at most
`max_delay` after the first one queued). What a crash can lose: the records queued in the last
`max_delay` (0.2 s by default) before a `kill -9` — the calls themselves are durable, their audit
lines of that instant may not be. A clean shutdown flushes everything.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Column, ForeignKey, Index, String, Table, Text, insert, select
from sqlalchemy.sql import Select

from strongroom.core.store import Database
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


class AuditTrail:
    """Queues records and commits them in batches from one writer thread per process."""

    def __init__(self, db: Database, *, batch_size: int = 500, max_delay: float = 0.2) -> None:
        self._db = db
        self._queue: queue.SimpleQueue[AuditEntry | None] = queue.SimpleQueue()
        self._batch_size = batch_size
        self._max_delay = max_delay
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition()
        self._pending = 0

    def record(self, entry: AuditEntry) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put(entry)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="strongroom-audit", daemon=True)
            self._thread.start()

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything queued so far is committed."""
        if self._thread is None:
            self._drain_inline()
            return
        with self._idle:
            self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None
        self._drain_inline()

    def _drain_inline(self) -> None:
        batch: list[AuditEntry] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                batch.append(item)
        if batch:
            self._write(batch)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stopping = False
            try:
                while len(batch) < self._batch_size:
                    item = self._queue.get(timeout=self._max_delay if len(batch) == 1 else 0.01)
                    if item is None:
                        stopping = True
                        break
                    batch.append(item)
            except queue.Empty:
                pass
            self._write(batch)
            if stopping:
                return

    def _write(self, batch: Sequence[AuditEntry]) -> None:
        try:
            with self._db.write() as conn:
                conn.execute(
                    insert(audit_events),
                    [
                        {
                            "event_id": e.event_id,
                            "account_id": e.account_id,
                            "region": e.region,
                            "event_time": e.event_time,
                            "event_source": e.event_source,
                            "event_name": e.event_name,
                            "read_only": e.read_only,
                            "username": e.username,
                            "access_key_id": e.access_key_id,
                            "record": json.dumps(e.record, separators=(",", ":"), default=str),
                        }
                        for e in batch
                    ],
                )
                resources = [
                    {"event_id": e.event_id, "resource_type": t, "resource_name": n}
                    for e in batch
                    for t, n in dict.fromkeys(e.resources)
                ]
                if resources:
                    conn.execute(insert(audit_event_resources), resources)
        except Exception:
            log.exception("could not write %d audit records", len(batch))
        finally:
            with self._idle:
                self._pending -= len(batch)
                self._idle.notify_all()


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
