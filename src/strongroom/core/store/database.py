"""One database handle: short read transactions and serialized write transactions.

SQLite: pysqlite's implicit BEGIN is switched off so SQLAlchemy owns transactions; writes take
`BEGIN IMMEDIATE` so two writers never deadlock on a lock upgrade; WAL, foreign keys, a busy
timeout and `synchronous=FULL` (an acknowledged write survives power loss, not only kill -9).
PostgreSQL: READ COMMITTED; callers that order work take row locks (`with_for_update`).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, create_engine, event, exc
from sqlalchemy.engine import Engine


class Database:
    """The engine plus the two ways in: `read()` and `write()`, each one transaction."""

    def __init__(self, url: str, *, pool_size: int = 16) -> None:
        self.url = url
        self.dialect = url.split(":", 1)[0].split("+", 1)[0]
        if self.dialect == "postgres":
            self.dialect = "postgresql"
        if self.dialect == "postgresql" and url.startswith(("postgresql://", "postgres://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        # At least as many pooled connections as request threads, so none is opened under load;
        # the most recently used one is handed out first (LIFO), its statement cache and (SQLite)
        # page cache warm, rather than rotating through all of them.
        kwargs: dict[str, Any] = {
            "future": True,
            "pool_size": pool_size,
            "max_overflow": pool_size,
            "pool_use_lifo": True,
        }
        if self.dialect == "postgresql":
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        # SQLite admits one writer. Threads of one process queue here instead of in SQLite's busy
        # handler, which sleeps up to 100 ms between retries; other processes still meet the busy
        # handler. Re-entrant, so a (forbidden) nested write fails on SQLite's timeout, not hangs.
        self._write_lock: threading.RLock | None = None
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine)
            self._write_lock = threading.RLock()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self._write_lock or nullcontext(), self.engine.connect() as conn:
            conn.execution_options(strongroom_write=True)
            with conn.begin():
                yield conn

    def lock(self, conn: Connection, name: str) -> None:
        """Serialize a critical section across processes and nodes until the transaction ends.

        SQLite writers already hold the database lock (BEGIN IMMEDIATE); PostgreSQL takes a
        transaction-scoped advisory lock keyed by the name.
        """
        if self.dialect == "postgresql":
            key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (key,))

    @contextmanager
    def write_unique(self, on_duplicate: Callable[[], Exception]) -> Iterator[Connection]:
        """A write transaction in which a unique-constraint violation becomes `on_duplicate()`.

        Check-then-insert is not enough under READ COMMITTED: two concurrent creators can both
        see "absent"; the constraint decides, and the loser gets the service's own error.
        """
        try:
            with self.write() as conn:
                yield conn
        except exc.IntegrityError as error:
            if is_unique_violation(error):
                raise on_duplicate() from None
            raise

    def dispose(self) -> None:
        self.engine.dispose()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("strongroom_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_unique_violation(error: exc.DBAPIError) -> bool:
    """Whether a database error is a unique-constraint violation, on either dialect."""
    return (isinstance(error, exc.IntegrityError) and "unique" in str(error.orig).lower()) or (
        getattr(getattr(error, "orig", None), "sqlstate", None) == "23505"
    )
