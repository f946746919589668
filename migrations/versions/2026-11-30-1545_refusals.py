"""refused writes on record: an append-only, hash-chained table of their own

Revision ID: b12a0c0e0003
Revises: b12a0c0e0001
Create Date: 2026-11-30 15:45:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import perfbudget.db

revision: str = 'b12a0c0e0003'
down_revision: str | None = 'b12a0c0e0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('refusals',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('occurred_at', perfbudget.db.UTCDateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=64), nullable=True),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('status', sa.SmallInteger(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=128), nullable=True),
    sa.Column('client_address', sa.String(length=64), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_refusals')),
    sa.UniqueConstraint('hash', name=op.f('uq_refusals_hash'))
    )
    with op.batch_alter_table('refusals', schema=None) as batch_op:
        batch_op.create_index('ix_refusals_address_time', ['client_address', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_refusals_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_refusals_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index('ix_refusals_user_time', ['user_id', 'occurred_at'], unique=False)
    _create_append_only_triggers()


def _create_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER refusals_no_{verb.lower()} BEFORE {verb} ON refusals "
                "BEGIN SELECT RAISE(ABORT, 'refusals is append-only'); END"
            )
        return
    op.execute(
        """
        CREATE FUNCTION refusals_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'refusals is append-only';
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER refusals_no_change BEFORE UPDATE OR DELETE ON refusals "
        "FOR EACH ROW EXECUTE FUNCTION refusals_append_only()"
    )
    op.execute(
        "CREATE TRIGGER refusals_no_truncate BEFORE TRUNCATE ON refusals "
        "FOR EACH STATEMENT EXECUTE FUNCTION refusals_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS refusals_no_update")
        op.execute("DROP TRIGGER IF EXISTS refusals_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS refusals_no_change ON refusals")
        op.execute("DROP TRIGGER IF EXISTS refusals_no_truncate ON refusals")
        op.execute("DROP FUNCTION IF EXISTS refusals_append_only()")
    with op.batch_alter_table('refusals', schema=None) as batch_op:
        batch_op.drop_index('ix_refusals_user_time')
        batch_op.drop_index(batch_op.f('ix_refusals_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_refusals_code'))
        batch_op.drop_index('ix_refusals_address_time')
    op.drop_table('refusals')
    op.execute(sa.text("DELETE FROM audit_chain_head WHERE id = 2"))
