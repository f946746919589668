"""the time a delivery's attempt last failed, for /metrics' last delivery failure

Revision ID: b12a0c0e0014
Revises: b12a0c0e0003
Create Date: 2026-11-30 22:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import perfbudget.db

revision: str = 'b12a0c0e0014'
down_revision: str | None = 'b12a0c0e0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
# a nullable column and its index: the previous release runs on this schema
expand_only = True


def upgrade() -> None:
    with op.batch_alter_table('event_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_failed_at', perfbudget.db.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_event_deliveries_last_failed_at'), ['last_failed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('event_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_deliveries_last_failed_at'))
        batch_op.drop_column('last_failed_at')
