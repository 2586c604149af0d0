"""Many-row inserts as few statements, for the write-behind paths (audit, meters).

SQLAlchemy's `execute(insert(table), rows)` rebuilds each row's parameters through the compiled
statement's machinery (~30 µs a row), and a driver's `executemany` still steps the statement once
per row — on SQLite, releasing and retaking the GIL each time, which the request thread pays
for. `BulkInsert` writes multi-row `INSERT … VALUES (…), (…), …` statements of 2**k rows (up to
`_MAX_ROWS`; the few statement texts stay in the driver's statement cache, where a new row count
would be parsed again), converts each value with the column type's own bind processor (so
`UtcDateTime` and friends store exactly what the ORM path would) and hands the driver one flat
parameter list per statement.

The processors of the two types every audit row has, `UtcDateTime` and `Boolean`, cost more than
the rest of the row's preparation (SQLAlchemy's SQLite DATETIME formats a dict with `%02d`, behind
the decorator's checks): for their usual values (an aware UTC datetime, a bool) a column is
converted by `_fast_converter` instead, into what the processor would have returned, and any
other value still goes through the processor. Each fast converter is checked against the
processor when a table's plan is made, and is not used if they disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, Connection, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from strongroom.core.store.schema import UtcDateTime

_Processor = Callable[[Any], Any]
_Converter = Callable[[list[Any]], list[Any]]  # one column's values, in rows order
_MAX_PARAMETERS = 30_000  # below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters
_MAX_ROWS = 256  # a power of two, see `execute_values`
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


class BulkInsert:
    """INSERT of whole rows into one table: every row gives every column (None for NULL)."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self._plans: dict[str, tuple[str, str, int, list[tuple[int, _Converter]]]] = {}
        self._texts: dict[tuple[str, str, int], str] = {}

    def _plan(self, conn: Connection) -> tuple[str, str, int, list[tuple[int, _Converter]]]:
        dialect = conn.dialect
        plan = self._plans.get(dialect.name)
        if plan is None:
            placeholder = _PLACEHOLDERS[dialect.paramstyle]
            quote = dialect.identifier_preparer
            columns = ", ".join(quote.format_column(column) for column in self._table.columns)
            prefix = f"INSERT INTO {quote.format_table(self._table)} ({columns}) VALUES "
            group = "(" + ", ".join([placeholder] * len(self._table.columns)) + ")"
            converters = [
                (index, converter)
                for index, column in enumerate(self._table.columns)
                if (converter := column_converter(column.type, dialect)) is not None
            ]
            plan = (prefix, group, len(self._table.columns), converters)
            self._plans[dialect.name] = plan
        return plan

    def execute_values(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows given as values in the table's column order (no per-row dict to build)."""
        if not rows:
            return
        prefix, group, width, converted = self._plan(conn)
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
                # Column by column (over a slice): no per-value test for a missing processor.
                for index, convert in converted:
                    params[index::width] = convert(params[index::width])
                cursor.execute(self._statement(prefix, group, count), params)
        finally:
            cursor.close()

    def _statement(self, prefix: str, group: str, count: int) -> str:
        key = (prefix, group, count)  # the group holds the dialect's placeholders
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = prefix + ",".join([group] * count)
        return text


def column_converter(column_type: TypeEngine[Any], dialect: Dialect) -> _Converter | None:
    """What turns a column's values into the driver's parameters; None if they go as they are."""
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return None
    return _fast_converter(column_type, dialect, process) or (lambda values: list(map(process, values)))


_TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))
# The values each fast converter is checked on, against the type's own processor.
_DATETIME_SAMPLES = (
    datetime(2026, 1, 2, 3, 4, 5, 60708, tzinfo=UTC),
    datetime(1000, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(9999, 10, 11, 12, 13, 14, tzinfo=UTC),
)
_BOOLEAN_SAMPLES = (True, False)


def _fast_converter(column_type: TypeEngine[Any], dialect: Dialect, process: _Processor) -> _Converter | None:
    convert: _Converter
    if isinstance(column_type, UtcDateTime):
        samples: tuple[Any, ...] = _DATETIME_SAMPLES
        if dialect.name == "sqlite":
            # SQLAlchemy's SQLite DATETIME storage format, "YYYY-MM-DD HH:MM:SS.ffffff", of the UTC
            # time; years before 1000, which str() would not pad to four digits, go to the processor.
            def convert(values: list[Any]) -> list[Any]:
                return [
                    _sqlite_utc_text(v)
                    if v.__class__ is datetime and v.tzinfo is UTC and v.year >= 1000
                    else process(v)
                    for v in values
                ]
        else:
            # The driver adapts the datetime itself; the decorator only moves it to UTC.
            def convert(values: list[Any]) -> list[Any]:
                return [v if v.__class__ is datetime and v.tzinfo is UTC else process(v) for v in values]
    elif isinstance(column_type, Boolean):
        samples = _BOOLEAN_SAMPLES
        if dialect.supports_native_boolean:

            def convert(values: list[Any]) -> list[Any]:
                return [v if v.__class__ is bool else process(v) for v in values]
        else:

            def convert(values: list[Any]) -> list[Any]:
                return [1 if v is True else 0 if v is False else process(v) for v in values]
    else:
        return None
    for sample in samples:
        expected, got = process(sample), convert([sample])[0]
        if got.__class__ is not expected.__class__ or got != expected:
            return None
    return convert


def _sqlite_utc_text(value: datetime) -> str:
    two = _TWO_DIGITS
    return (
        f"{value.year}-{two[value.month]}-{two[value.day]} "
        f"{two[value.hour]}:{two[value.minute]}:{two[value.second]}.{str(value.microsecond + 1_000_000)[1:]}"
    )
