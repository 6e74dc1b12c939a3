"""The outbox for messages a workflow step owes Slack; reminders remember who they reached.

``outbox`` holds a message (a recommendation DM, a closing notice, a card redraw) written in the
same transaction as the step that owes it, sent after commit and retried with backoff until
Slack takes it, once per ``dedupe_key``. Its ``payload`` is cleared once sent.

``reminder_dispatches.delivered_to`` lists the recipients a slot's DM already reached, so a retry
after a partial failure (the owner reached, the chair not) sends only to those still owed it.
Existing rows get ``''`` (nobody recorded: a retry of an old partial failure may repeat a DM,
never lose one).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        'reminder_dispatches',
        sa.Column('delivered_to', sa.Text(), server_default='', nullable=False),
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('recipient', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=100), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_outbox_board_id_boards')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_outbox_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('dedupe_key', name='uq_outbox_dedupe_key')
    )
    op.create_index('ix_outbox_pending', 'outbox', ['sent_at', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_outbox_case_id'), 'outbox', ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_outbox_case_id'), table_name='outbox')
    op.drop_index('ix_outbox_pending', table_name='outbox')
    op.drop_table('outbox')
    with op.batch_alter_table('reminder_dispatches') as batch:
        batch.drop_column('delivered_to')
