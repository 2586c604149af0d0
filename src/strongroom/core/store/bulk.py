"""Many-row inserts as few statements, for the write-behind paths (audit, meters).

SQLAlchemy's `execute(insert(table), rows)` rebuilds each row's parameters through the compiled
statement's machinery (~30 µs a row), and a driver's `executemany` still steps the statement once
per row — on SQLite, releasing and retaking the GIL each time, which the request thread pays
for. `BulkInsert` writes multi-row `INSERT … VALUES (…), (…), …` statements of 2**k rows (up to
`_MAX_ROWS`; the few statement texts stay in the driver's statement cache, where a new row count
would be parsed again), converts each value with the column type's own bind processor (so
`UtcDateTime` and friends store exactly what the ORM path would) and hands the driver one flat
parameter list per statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table

_Processor = Callable[[Any], Any] | None
_MAX_PARAMETERS = 30_000  # below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters
_MAX_ROWS = 256  # a power of two, see `execute_values`
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


class BulkInsert:
    """INSERT of whole rows into one table: every row gives every column (None for NULL)."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self._plans: dict[str, tuple[str, str, list[_Processor]]] = {}
        self._texts: dict[tuple[str, int], str] = {}

    def _plan(self, conn: Connection) -> tuple[str, str, list[_Processor]]:
        dialect = conn.dialect
        plan = self._plans.get(dialect.name)
        if plan is None:
            placeholder = _PLACEHOLDERS[dialect.paramstyle]
            quote = dialect.identifier_preparer
            columns = ", ".join(quote.format_column(column) for column in self._table.columns)
            prefix = f"INSERT INTO {quote.format_table(self._table)} ({columns}) VALUES "
            group = "(" + ", ".join([placeholder] * len(self._table.columns)) + ")"
            processors: list[_Processor] = [
                c.type.dialect_impl(dialect).bind_processor(dialect) for c in self._table.columns
            ]
            plan = (prefix, group, processors)
            self._plans[dialect.name] = plan
        return plan

    def execute_values(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows given as values in the table's column order (no per-row dict to build)."""
        if not rows:
            return
        prefix, group, processors = self._plan(conn)
        width = len(processors)
        converted = [(index, proc) for index, proc in enumerate(processors) if proc is not None]
        per_statement = max(1, min(_MAX_ROWS, _MAX_PARAMETERS // width))
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            start = 0
            while start < len(rows):
                # Statements of 2**k rows only: the driver's statement cache then holds a few texts
                # and finds them again, where a new row count meant parsing a new statement.
                count = 1 << (min(len(rows) - start, per_statement).bit_length() - 1)
                chunk = rows[start : start + count]
                start += count
                params: list[Any] = []
                for row in chunk:
                    params.extend(row)
                if len(params) != width * count:
                    raise ValueError(f"every row of {self._table.name} needs its {width} column values")
                # Column by column (map over a slice): no per-value test for a missing processor.
                for index, proc in converted:
                    params[index::width] = list(map(proc, params[index::width]))
                cursor.execute(self._statement(prefix, group, count), params)
        finally:
            cursor.close()

    def _statement(self, prefix: str, group: str, count: int) -> str:
        key = (prefix, count)
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = prefix + ",".join([group] * count)
        return text
