"""One outbox for every Slack message: reminders and digests become outbox rows.

``reminder_dispatches`` (one row per deadline slot, with the recipients it reached) and
``board_dispatches`` (a board's digest of a day) are carried into ``outbox``, which gets typed
exactly-once keys in place of its ``dedupe_key`` string:

- a step's messages: (``change_id``, ``template``, ``recipient``); the rows already owed keep no
  key (each was owed once already) and get the ``template`` their kind and key name;
- a reminder slot: (``deadline_id``, ``slot``, ``recipient``), one row per recipient;
- a digest: (``board_id``, ``digest_on``);
- a notice about a failed row: (``about_id``, ``recipient``).

What is in flight is carried so nothing owed is lost and nothing is sent twice: a dispatch sent
becomes a sent row per recipient it reached; one failed for good a failed row; one still owed
(waiting for a retry, or leased by a sweeper that may have died) a sent row per recipient already
reached and an owed row, due when its retry or lease falls due, for each current holder of the
deadline's owner role (and the chair, once escalated) not yet reached; a vote reminder for its
member. A digest sent stays sent; a claim not yet sent is owed when its lease ends.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from alembic import op

from store.types import TZDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

ESCALATE_AFTER = 3
"""Working days overdue after which the chair is reminded too: bot.domain.reminders'
DEFAULT_ESCALATE_AFTER when this migration was written (kept here: migrations never change)."""

BOARD_CLAIM_LEASE = timedelta(minutes=10)

TEMPLATES = """CASE
    WHEN dedupe_key LIKE 'undelivered:%' THEN 'undelivered_notice'
    WHEN kind IN ('card', 'post_card') THEN 'case_card'
    WHEN dedupe_key LIKE 'voting_closed:%:dm:%' THEN 'recommendation_dm'
    WHEN dedupe_key LIKE 'voting_closed:%:notice' THEN 'voting_closed'
    WHEN dedupe_key LIKE 'decision:%:notice' THEN 'decision_notice'
    WHEN dedupe_key LIKE 'decision:%:bm:%' THEN 'notifications_due'
    WHEN dedupe_key LIKE 'referred:%:ack' THEN 'referral_ack'
    WHEN dedupe_key LIKE 'referred:%:bm:%' THEN 'bm_notice'
    ELSE 'message' END"""

WHEN = ('created_at', 'next_attempt_at', 'sent_at', 'claimed_at')
OUTBOX = sa.table(
    'outbox',
    *(sa.column(name, TZDateTime() if name in WHEN else None) for name in (
        'board_id', 'case_id', 'kind', 'template', 'recipient', 'payload', 'deadline_id', 'slot',
        'lead', 'digest_on', 'created_at', 'claimed_by', 'attempts', 'next_attempt_at',
        'last_error', 'sent_at', 'uncertain',
    )),
)  # fmt: skip
"""The rows written: datetimes through the store's type (naive UTC text on SQLite)."""


def _read(bind, sql: str):
    """Run ``sql``, its datetime columns read as aware UTC datetimes on every database."""
    query = sa.text(sql).columns(**{name: TZDateTime() for name in WHEN})
    return bind.execute(query).mappings()


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('template', sa.String(length=40), nullable=False, server_default='message'))
        batch.add_column(sa.Column('change_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('deadline_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('slot', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('lead', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('slot_due', sa.Date(), nullable=True))
        batch.add_column(sa.Column('digest_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('about_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('channel', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('ts', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('uncertain', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.alter_column('board_id', existing_type=sa.String(length=64), nullable=True)
    op.execute(sa.text(f"UPDATE outbox SET template = {TEMPLATES}".replace(':', '\\:')))
    with op.batch_alter_table('outbox') as batch:
        batch.alter_column('template', existing_type=sa.String(length=40), server_default=None)
        batch.alter_column('uncertain', existing_type=sa.Boolean(), server_default=None)
        batch.drop_constraint('uq_outbox_dedupe_key', type_='unique')
        batch.drop_column('dedupe_key')
        batch.create_foreign_key(op.f('fk_outbox_change_id_audit_events'), 'audit_events', ['change_id'], ['id'])
        batch.create_foreign_key(op.f('fk_outbox_deadline_id_deadlines'), 'deadlines', ['deadline_id'], ['id'])
        batch.create_foreign_key(op.f('fk_outbox_about_id_outbox'), 'outbox', ['about_id'], ['id'])
        batch.create_unique_constraint('uq_outbox_change', ['change_id', 'template', 'recipient'])
        batch.create_unique_constraint('uq_outbox_slot', ['deadline_id', 'slot', 'recipient'])
        batch.create_unique_constraint('uq_outbox_digest', ['board_id', 'digest_on'])
        batch.create_unique_constraint('uq_outbox_about', ['about_id', 'recipient'])
    bind = op.get_bind()
    rows = [*_reminder_rows(bind), *_digest_rows(bind)]
    if rows:
        op.bulk_insert(OUTBOX, rows)
    op.drop_table('reminder_dispatches')
    op.drop_table('board_dispatches')


def _holders(bind, board_id: str, roles: list[str]) -> list[str]:
    """Return the active members of the board holding any of ``roles``, in name order."""
    query = sa.text(
        "SELECT DISTINCT m.slack_id, m.name FROM members m JOIN member_roles r "
        "ON r.member_id = m.id WHERE m.board_id = :board AND m.active AND r.role IN :roles "
        "ORDER BY m.name, m.slack_id"
    ).bindparams(sa.bindparam('roles', expanding=True))
    return [row[0] for row in bind.execute(query, {"board": board_id, "roles": roles})]


def _reminder_rows(bind) -> list[dict]:
    """Return the outbox rows that carry every reminder dispatch (see the module docstring)."""
    query = (
        "SELECT d.deadline_id, d.slot_key, d.lead, d.claimed_at, d.claimed_by, d.attempts, "
        "d.next_attempt_at, d.last_error, d.sent_at, d.delivered_to, l.case_id, l.owner_role, "
        "c.board_id FROM reminder_dispatches d JOIN deadlines l ON l.id = d.deadline_id "
        "JOIN cases c ON c.id = l.case_id ORDER BY d.id"
    )
    rows: list[dict] = []
    for d in _read(bind, query):
        vote = d['slot_key'].startswith('vote:')
        base = {
            'board_id': d['board_id'], 'case_id': d['case_id'], 'kind': 'reminder',
            'template': 'vote_reminder_dm' if vote else 'reminder_dm', 'payload': None,
            'deadline_id': d['deadline_id'], 'slot': d['slot_key'], 'lead': d['lead'],
            'digest_on': None, 'created_at': d['claimed_at'], 'claimed_by': d['claimed_by'],
            'attempts': d['attempts'], 'last_error': None, 'uncertain': False,
        }  # fmt: skip
        reached = list(dict.fromkeys((d['delivered_to'] or '').split()))
        done_at = d['sent_at'] or d['claimed_at']
        rows += [{**base, 'recipient': u, 'next_attempt_at': None, 'sent_at': done_at} for u in reached]
        if d['sent_at'] is not None:
            if not reached:
                rows.append({**base, 'recipient': '', 'next_attempt_at': None, 'sent_at': d['sent_at']})
            continue
        if d['next_attempt_at'] is None:  # failed for good
            failed = {**base, 'recipient': '', 'next_attempt_at': None, 'sent_at': None}
            rows.append({**failed, 'last_error': d['last_error']})
            continue
        if vote:
            owed = [d['slot_key'].split(':')[1]]
        else:
            roles = [d['owner_role']] + (['chair'] if d['lead'] < -ESCALATE_AFTER else [])
            owed = _holders(bind, d['board_id'], roles)
        pending = {**base, 'next_attempt_at': d['next_attempt_at'], 'sent_at': None}
        rows += [{**pending, 'recipient': u} for u in owed if u not in reached]
        if not owed:
            rows.append({**pending, 'recipient': '', 'next_attempt_at': None, 'last_error': 'no_owner'})
    return rows


def _digest_rows(bind) -> list[dict]:
    """Return the outbox rows that carry every board's digest claim."""
    query = (
        "SELECT d.board_id, d.slot_key, d.claimed_at, d.claimed_by, d.attempts, d.last_error, "
        "d.sent_at, b.channel_id FROM board_dispatches d JOIN boards b ON b.id = d.board_id "
        "WHERE d.slot_key LIKE 'digest:%' ORDER BY d.id"
    )
    rows = []
    for d in _read(bind, query):
        claimed_at = d['claimed_at']
        rows.append({
            'board_id': d['board_id'], 'case_id': None, 'kind': 'digest', 'template': 'digest',
            'recipient': d['channel_id'], 'payload': None, 'deadline_id': None, 'slot': None,
            'lead': None, 'digest_on': datetime.strptime(d['slot_key'][7:], '%Y-%m-%d').date(),
            'created_at': claimed_at, 'claimed_by': d['claimed_by'], 'attempts': d['attempts'],
            'next_attempt_at': None if d['sent_at'] else claimed_at + BOARD_CLAIM_LEASE,
            'last_error': d['last_error'], 'sent_at': d['sent_at'], 'uncertain': False,
        })  # fmt: skip
    return rows


def downgrade() -> None:
    op.create_table('reminder_dispatches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deadline_id', sa.Integer(), nullable=False),
    sa.Column('slot_key', sa.String(length=64), nullable=False),
    sa.Column('lead', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=100), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_to', sa.Text(), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadlines.id'], name=op.f('fk_reminder_dispatches_deadline_id_deadlines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_dispatches')),
    sa.UniqueConstraint('deadline_id', 'slot_key', name='uq_dispatches_deadline_slot')
    )
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
    # A slot's rows become one dispatch (sent once any recipient was reached); digests likewise.
    op.execute(
        "INSERT INTO reminder_dispatches (deadline_id, slot_key, lead, claimed_at, claimed_by, "
        "attempts, next_attempt_at, last_error, sent_at, delivered_to) SELECT deadline_id, slot, "
        "MIN(lead), MIN(created_at), MIN(claimed_by), MAX(attempts), MIN(next_attempt_at), "
        "MIN(last_error), MAX(sent_at), '' FROM outbox WHERE kind = 'reminder' "
        "GROUP BY deadline_id, slot"
    )
    op.execute(
        "INSERT INTO board_dispatches (board_id, slot_key, claimed_at, claimed_by, attempts, "
        "last_error, sent_at) SELECT board_id, 'digest:' || CAST(digest_on AS VARCHAR), "
        "created_at, claimed_by, attempts, last_error, sent_at FROM outbox WHERE kind = 'digest'"
    )
    op.execute("DELETE FROM outbox WHERE kind IN ('reminder', 'digest') OR board_id IS NULL")
    with op.batch_alter_table('outbox') as batch:
        batch.drop_constraint('uq_outbox_about', type_='unique')
        batch.drop_constraint('uq_outbox_digest', type_='unique')
        batch.drop_constraint('uq_outbox_slot', type_='unique')
        batch.drop_constraint('uq_outbox_change', type_='unique')
        batch.drop_constraint(op.f('fk_outbox_about_id_outbox'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_outbox_deadline_id_deadlines'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_outbox_change_id_audit_events'), type_='foreignkey')
        batch.add_column(sa.Column('dedupe_key', sa.String(length=160), nullable=True))
    op.execute("UPDATE outbox SET dedupe_key = 'legacy:' || CAST(id AS VARCHAR)")
    with op.batch_alter_table('outbox') as batch:
        batch.alter_column('dedupe_key', existing_type=sa.String(length=160), nullable=False)
        batch.alter_column('board_id', existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint('uq_outbox_dedupe_key', ['dedupe_key'])
        for column in ('uncertain', 'ts', 'channel', 'about_id', 'digest_on', 'slot_due', 'lead', 'slot', 'deadline_id', 'change_id', 'template'):
            batch.drop_column(column)
