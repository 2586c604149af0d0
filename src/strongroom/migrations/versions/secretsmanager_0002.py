"""secretsmanager: cross-account replication

Revision ID: secretsmanager_0002
Revises: secretsmanager_0001
Create Date: 2026-11-29 01:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'secretsmanager_0002'
down_revision: Union[str, Sequence[str], None] = 'secretsmanager_0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('secretsmanager_secrets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cross_account_primary', sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column('cross_account_replicas', sa.Text(), server_default='[]', nullable=False)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('secretsmanager_secrets', schema=None) as batch_op:
        batch_op.drop_column('cross_account_replicas')
        batch_op.drop_column('cross_account_primary')
