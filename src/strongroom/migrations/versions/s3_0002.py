"""S3 object keys sort in UTF-8 binary order on PostgreSQL too (collation "C").

S3 lists keys in UTF-8 binary order. SQLite's default collation already is binary; PostgreSQL's
follows the database's locale, so the key columns (and with them the primary key index that
listings scan) get the "C" collation there. Nothing to do on SQLite.

Revision ID: s3_0002
Revises: s3_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s3_0002"
down_revision = "s3_0001"
branch_labels = None
depends_on = None

_KEY_COLUMNS = (("s3_objects", "key"), ("s3_uploads", "key"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in _KEY_COLUMNS:
        op.alter_column(
            table,
            column,
            type_=sa.String(length=1024, collation="C"),
            existing_type=sa.String(length=1024),
            existing_nullable=False,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in _KEY_COLUMNS:
        op.alter_column(
            table,
            column,
            type_=sa.String(length=1024),
            existing_type=sa.String(length=1024, collation="C"),
            existing_nullable=False,
        )
