"""Cases remember the referral criteria the referrer ticked ("Criteria met").

``cases.criteria`` is a JSON list of the referral modal's option values (for example
``["serious_harm"]``); criteria do not identify the subject. Existing cases get ``[]``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-03-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        'cases',
        sa.Column('criteria', sa.JSON(), server_default='[]', nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('criteria')
