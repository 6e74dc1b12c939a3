"""Reminder dispatches are unique per (deadline, slot key), not per (deadline, lead).

A lead time alone collides once a deadline is extended: the new due date owes its reminders
afresh, and its "2 working days before" must not be taken as already sent. The slot key
(:class:`bot.domain.reminders.ReminderDue` ``key``, e.g. ``lead:2:2026-03-20`` or
``overdue:2026-03-23``) carries the date. Existing rows get ``legacy:<lead>``, which no new slot
key matches (a reminder already sent under the old key may be sent once more, never lost).

Also adds ``board_dispatches``: a board's own once-only sends (the daily digest, key
``digest:<day>``), claimed the same way.

Revision ID: 0002
Revises: 0001
Create Date: 2026-03-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reminder_dispatches') as batch:
        batch.add_column(sa.Column('slot_key', sa.String(length=64), nullable=True))
    op.execute("UPDATE reminder_dispatches SET slot_key = 'legacy:' || CAST(lead AS VARCHAR)")
    with op.batch_alter_table('reminder_dispatches') as batch:
        batch.alter_column('slot_key', existing_type=sa.String(length=64), nullable=False)
        batch.drop_constraint('uq_dispatches_deadline_lead', type_='unique')
        batch.create_unique_constraint('uq_dispatches_deadline_slot', ['deadline_id', 'slot_key'])
    op.create_table('board_dispatches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.String(length=64), nullable=False),
    sa.Column('slot_key', sa.String(length=64), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=100), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_board_dispatches_board_id_boards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_dispatches')),
    sa.UniqueConstraint('board_id', 'slot_key', name='uq_board_dispatches_board_slot')
    )


def downgrade() -> None:
    op.drop_table('board_dispatches')
    # Keep one row per (deadline, lead) so the old unique key can be restored.
    op.execute(
        "DELETE FROM reminder_dispatches WHERE id NOT IN "
        "(SELECT MIN(id) FROM reminder_dispatches GROUP BY deadline_id, lead)"
    )
    with op.batch_alter_table('reminder_dispatches') as batch:
        batch.drop_constraint('uq_dispatches_deadline_slot', type_='unique')
        batch.create_unique_constraint('uq_dispatches_deadline_lead', ['deadline_id', 'lead'])
        batch.drop_column('slot_key')
