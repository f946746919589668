"""sign-in failures counted per name as typed and client address, and per name from all
addresses (the account-wide count), apart from the users; an address signed in from spares
its account the account-wide lock. users.failed_login_count and users.locked_until stay, as
the account's summary for administrators.

Revision ID: b12a0c0e0001
Revises: f94355f0b9b8
Create Date: 2026-11-30 15:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import perfbudget.db

revision: str = 'b12a0c0e0001'
down_revision: str | None = 'f94355f0b9b8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sign_in_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('client_address', sa.String(length=64), nullable=True),
    sa.Column('failure_count', sa.Integer(), nullable=False),
    sa.Column('first_failed_at', perfbudget.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('locked_until', perfbudget.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('signed_in_at', perfbudget.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failures')),
    sa.UniqueConstraint('username', 'client_address', name=op.f('uq_sign_in_failures_username_client_address'))
    )
    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.create_index('uq_sign_in_failures_account', ['username'], unique=True, sqlite_where=sa.text('client_address IS NULL'), postgresql_where=sa.text('client_address IS NULL'))

    # A lock in force was counted per account on the user's row: it holds everywhere, as an
    # account-wide lock, until it runs out or an administrator lifts it; counts under way
    # start afresh.
    op.execute(
        "INSERT INTO sign_in_failures (username, client_address, failure_count, locked_until) "
        "SELECT username, NULL, failed_login_count, locked_until FROM users "
        "WHERE locked_until > CURRENT_TIMESTAMP"
    )


def downgrade() -> None:
    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.drop_index('uq_sign_in_failures_account', sqlite_where=sa.text('client_address IS NULL'), postgresql_where=sa.text('client_address IS NULL'))

    op.drop_table('sign_in_failures')
