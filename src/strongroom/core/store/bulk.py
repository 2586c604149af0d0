"""Many-row inserts at the database driver's speed, for the write-behind paths (audit, meters).

SQLAlchemy's `execute(insert(table), rows)` rebuilds each row's parameters through the compiled
statement's machinery (~30 µs a row); the driver's own `executemany` takes a few. `BulkInsert`
compiles the INSERT once per dialect, converts each value with the column type's own bind
processor (so `UtcDateTime` and friends store exactly what the ORM path would) and hands the
driver plain tuples or dicts in its parameter style.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert

_Processor = Callable[[Any], Any] | None


class BulkInsert:
    """INSERT of whole rows into one table: every row gives every column (None for NULL)."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self._columns = [column.name for column in table.columns]
        self._compiled: dict[str, tuple[str, list[tuple[str, _Processor]], bool]] = {}

    def _plan(self, conn: Connection) -> tuple[str, list[tuple[str, _Processor]], bool]:
        dialect = conn.dialect
        plan = self._compiled.get(dialect.name)
        if plan is None:
            compiled = insert(self._table).compile(dialect=dialect, column_keys=self._columns)
            order = list(compiled.positiontup or []) if compiled.positional else list(self._columns)
            columns = self._table.c
            processors: list[tuple[str, _Processor]] = [
                (name, columns[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in order
            ]
            plan = self._compiled[dialect.name] = (str(compiled), processors, compiled.positional)
        return plan

    def execute(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        sql, processors, positional = self._plan(conn)
        params: list[Any]
        if positional:
            params = [
                tuple(row[name] if proc is None else proc(row[name]) for name, proc in processors)
                for row in rows
            ]
        else:
            params = [
                {name: row[name] if proc is None else proc(row[name]) for name, proc in processors}
                for row in rows
            ]
        conn.exec_driver_sql(sql, params)
