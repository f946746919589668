"""reminders_sent: each reminder (`perfbudget reminders run`) sent once, whichever host sends it

Revision ID: 4c789625a990
Revises: c1a0d2e30001
Create Date: 2026-12-01 02:30:10.959093+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import perfbudget.db

revision: str = '4c789625a990'
down_revision: str | None = 'c1a0d2e30001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
# a new table no code reads yet: the previous release runs on this schema (docs/deployment.md)
expand_only = True


def upgrade() -> None:
    op.create_table('reminders_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_type', sa.Enum('budget.decided', 'payment_hold.placed', 'payment_hold.lifted', 'payments.stopped', 'evaluation.graded', 'disclosure.published', 'report.due_soon', 'report.overdue', 'rectification.due_soon', 'rectification.overdue', name='eventtype', native_enum=False, length=32), nullable=False),
    sa.Column('subject_key', sa.String(length=64), nullable=False),
    sa.Column('reminder_day', sa.Date(), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('sent_at', perfbudget.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders_sent')),
    sa.UniqueConstraint('event_type', 'subject_key', 'reminder_day', name=op.f('uq_reminders_sent_event_type_subject_key_reminder_day'))
    )


def downgrade() -> None:
    op.drop_table('reminders_sent')
