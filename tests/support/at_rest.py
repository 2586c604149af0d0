"""Where a stored secret could leak at rest: every file of the data dir and, on PostgreSQL, every table."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable

from tests.support.server import ServerProcess


def places_holding(server: ServerProcess, needles: Iterable[bytes]) -> list[str]:
    """The files (SQLite database, WAL, object files, logs) and tables that contain a needle.

    Each needle is searched raw and base64-encoded. On SQLite the database itself is one of the
    files; on PostgreSQL every row of every table is read as text as well.
    """
    time.sleep(0.5)  # the audit trail commits in batches within 0.2 s
    patterns = [n for needle in needles for n in (needle, base64.b64encode(needle))]
    found: list[str] = []
    files = [p for p in server.data_dir.rglob("*") if p.is_file()]
    assert files, "nothing to scan"
    for path in files:
        content = path.read_bytes()
        if any(p in content for p in patterns):
            found.append(str(path))
    if server.database_url:
        import psycopg
        from psycopg import sql

        with psycopg.connect(server.database_url) as conn:
            tables = [row[0] for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )]  # fmt: skip
            for table in tables:
                query = sql.SQL("SELECT row_to_json(t)::text FROM {} t").format(sql.Identifier(table))
                for (text,) in conn.execute(query):
                    if any(p.decode() in text for p in patterns):
                        found.append(f"table {table}")
                        break
    else:
        assert any(p.name.endswith("-wal") or p.name.endswith(".db") for p in files), "no database scanned"
    return found
