"""The whole life of a case: lead member, closing reason, dated notes, revisions, recurrences.

- ``cases.lead_member``: the member a rule owned by the role ``member`` goes to (nobody yet: the
  business managers); ``cases.closed_reason``: why the case closed.
- ``case_dates.note``: what the person who recorded a date said about it.
- ``decisions``: a decision can be revised (003 §4.6): one row per ``revision`` of a case, the
  earlier ones marked ``superseded_at``; existing decisions are revision 1.
- ``deadlines.occurrence``: the nth occurrence of a recurring rule (1 for every other).
- ``boards.close_on_no_review``: whether a "no review" decision closes the case (default yes).
- ``former_references``: the references a case had before its review type converted (a rapid
  review's RR-2026-001 becoming LCSPR-2026-002); either finds the case.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.types import TZDateTime

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'former_references',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('board_id', sa.String(length=64), nullable=False),
        sa.Column('reference', sa.String(length=40), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('replaced_at', TZDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['board_id'], ['boards.id'], name=op.f('fk_former_references_board_id_boards')
        ),
        sa.ForeignKeyConstraint(
            ['case_id'], ['cases.id'], name=op.f('fk_former_references_case_id_cases')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_former_references')),
        sa.UniqueConstraint(
            'board_id', 'reference', name=op.f('uq_former_references_board_reference')
        ),
    )
    op.create_index(
        op.f('ix_former_references_case_id'), 'former_references', ['case_id'], unique=False
    )
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('lead_member', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('closed_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('case_dates') as batch:
        batch.add_column(sa.Column('note', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('deadlines') as batch:
        batch.add_column(sa.Column('occurrence', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('boards') as batch:
        batch.add_column(
            sa.Column('close_on_no_review', sa.Boolean(), server_default='1', nullable=False)
        )
    with op.batch_alter_table('decisions') as batch:
        batch.add_column(sa.Column('revision', sa.Integer(), server_default='1', nullable=False))
        batch.add_column(sa.Column('superseded_at', TZDateTime(), nullable=True))
        batch.drop_constraint('uq_decisions_case_id', type_='unique')
        batch.create_unique_constraint('uq_decisions_case_revision', ['case_id', 'revision'])
        batch.create_index('ix_decisions_case_id', ['case_id'])


def downgrade() -> None:
    with op.batch_alter_table('decisions') as batch:
        batch.drop_index('ix_decisions_case_id')
        batch.drop_constraint('uq_decisions_case_revision', type_='unique')
        batch.create_unique_constraint('uq_decisions_case_id', ['case_id'])
        batch.drop_column('superseded_at')
        batch.drop_column('revision')
    with op.batch_alter_table('boards') as batch:
        batch.drop_column('close_on_no_review')
    with op.batch_alter_table('deadlines') as batch:
        batch.drop_column('occurrence')
    with op.batch_alter_table('case_dates') as batch:
        batch.drop_column('note')
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('closed_reason')
        batch.drop_column('lead_member')
    op.drop_index(op.f('ix_former_references_case_id'), table_name='former_references')
    op.drop_table('former_references')
