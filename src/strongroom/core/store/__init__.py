"""Durable state: SQLAlchemy 2 over SQLite (WAL) or PostgreSQL, migrated by Alembic."""

from strongroom.core.store.database import Database, is_unique_violation
from strongroom.core.store.schema import metadata

__all__ = ["Database", "is_unique_violation", "metadata"]
