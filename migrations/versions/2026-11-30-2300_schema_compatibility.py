"""schema_compatibility: the oldest code revision the schema serves, for rolling deploys

Revision ID: c1a0d2e30001
Revises: b12a0c0e0014
Create Date: 2026-11-30 23:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import perfbudget.db

revision: str = 'c1a0d2e30001'
down_revision: str | None = 'b12a0c0e0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
# a new table no code reads yet: the previous release runs on this schema (docs/deployment.md)
expand_only = True


def upgrade() -> None:
    op.create_table('schema_compatibility',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('oldest_code_revision', sa.String(length=32), nullable=True),
    sa.Column('revision', sa.String(length=32), nullable=True),
    sa.Column('written_at', perfbudget.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schema_compatibility'))
    )


def downgrade() -> None:
    op.drop_table('schema_compatibility')
