"""Many-row inserts as few statements, for the write-behind paths (audit, meters).

SQLAlchemy's `execute(insert(table), rows)` rebuilds each row's parameters through the compiled
statement's machinery (~30 µs a row), and a driver's `executemany` still steps the statement once
per row — on SQLite, releasing and retaking the GIL each time, which the request thread pays
for. `BulkInsert` writes one multi-row `INSERT … VALUES (…), (…), …` per batch of up to
`_MAX_ROWS` rows, converts each value with the column type's own bind processor (so
`UtcDateTime` and friends store exactly what the ORM path would) and hands the driver one flat
parameter list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table

_Processor = Callable[[Any], Any] | None
_MAX_PARAMETERS = 30_000  # below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters
_MAX_ROWS = 500
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


class BulkInsert:
    """INSERT of whole rows into one table: every row gives every column (None for NULL)."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self._names = [column.name for column in table.columns]
        self._plans: dict[str, tuple[str, str, list[_Processor]]] = {}

    def _plan(self, conn: Connection) -> tuple[str, str, list[_Processor]]:
        dialect = conn.dialect
        plan = self._plans.get(dialect.name)
        if plan is None:
            placeholder = _PLACEHOLDERS[dialect.paramstyle]
            quote = dialect.identifier_preparer
            columns = ", ".join(quote.format_column(column) for column in self._table.columns)
            prefix = f"INSERT INTO {quote.format_table(self._table)} ({columns}) VALUES "
            group = "(" + ", ".join([placeholder] * len(self._names)) + ")"
            processors: list[_Processor] = [
                c.type.dialect_impl(dialect).bind_processor(dialect) for c in self._table.columns
            ]
            plan = (prefix, group, processors)
            self._plans[dialect.name] = plan
        return plan

    def execute(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        prefix, group, processors = self._plan(conn)
        pairs = list(zip(self._names, processors, strict=True))
        per_statement = max(1, min(_MAX_ROWS, _MAX_PARAMETERS // len(pairs)))
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            for start in range(0, len(rows), per_statement):
                chunk = rows[start : start + per_statement]
                params = [
                    row[name] if proc is None else proc(row[name]) for row in chunk for name, proc in pairs
                ]
                cursor.execute(prefix + ",".join([group] * len(chunk)), params)
        finally:
            cursor.close()
