"""Installation-wide settings that must be shared by every process and node (e.g. the default account)."""

from __future__ import annotations

from sqlalchemy import Column, Connection, String, Table, Text, insert, select, update

from strongroom.core.store.schema import metadata

kernel_settings = Table(
    "kernel_settings",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("value", Text, nullable=False),
)


def get_setting(conn: Connection, name: str) -> str | None:
    value = conn.execute(select(kernel_settings.c.value).where(kernel_settings.c.name == name)).scalar()
    return str(value) if value is not None else None


def put_setting(conn: Connection, name: str, value: str) -> None:
    changed = conn.execute(update(kernel_settings).where(kernel_settings.c.name == name).values(value=value))
    if changed.rowcount == 0:
        conn.execute(insert(kernel_settings).values(name=name, value=value))
