"""Initial tables: boards, members, cases, subjects, ballots, decisions, deadlines, audit.

Revision ID: 0001
Revises:
Create Date: 2026-03-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_heads',
    sa.Column('chain', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_heads'))
    )
    op.create_table('boards',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('nation', sa.String(length=32), nullable=False),
    sa.Column('protocol', sa.String(length=500), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('closure_days', sa.JSON(), nullable=False),
    sa.Column('digest_time', sa.String(length=5), nullable=False),
    sa.Column('sending_start', sa.String(length=5), nullable=False),
    sa.Column('sending_end', sa.String(length=5), nullable=False),
    sa.Column('vote_visibility', sa.String(length=32), nullable=False),
    sa.Column('quorum', sa.String(length=16), nullable=False),
    sa.Column('open_voting_on_referral', sa.Boolean(), nullable=False),
    sa.Column('reference_prefixes', sa.JSON(), nullable=False),
    sa.Column('rule_events', sa.JSON(), nullable=False),
    sa.Column('step_rules', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_boards'))
    )
    op.create_index(op.f('ix_boards_channel_id'), 'boards', ['channel_id'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.String(length=64), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('review_type', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('pseudonym', sa.String(length=100), nullable=False),
    sa.Column('referring_agency', sa.String(length=200), nullable=False),
    sa.Column('incident_on', sa.Date(), nullable=True),
    sa.Column('referred_by', sa.String(length=32), nullable=False),
    sa.Column('voting_round', sa.Integer(), nullable=False),
    sa.Column('card_channel', sa.String(length=32), nullable=True),
    sa.Column('card_ts', sa.String(length=32), nullable=True),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_cases_board_id_boards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('board_id', 'reference', name='uq_cases_board_reference'),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_cases_idempotency_key'))
    )
    op.create_index(op.f('ix_cases_board_state'), 'cases', ['board_id', 'state'], unique=False)
    op.create_index(op.f('ix_cases_reference'), 'cases', ['reference'], unique=False)

    op.create_table('members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.String(length=64), nullable=False),
    sa.Column('slack_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('agency', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_members_board_id_boards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('board_id', 'slack_id', name='uq_members_board_slack')
    )
    op.create_index(op.f('ix_members_slack_id'), 'members', ['slack_id'], unique=False)

    op.create_table('reference_counters',
    sa.Column('board_id', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_reference_counters_board_id_boards')),
    sa.PrimaryKeyConstraint('board_id', 'prefix', 'year', name=op.f('pk_reference_counters'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('board_id', sa.String(length=64), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('case_reference', sa.String(length=40), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('before', sa.Text(), nullable=False),
    sa.Column('after', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_audit_events_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('chain', 'seq', name='uq_audit_chain_seq')
    )
    op.create_index(op.f('ix_audit_events_case_id'), 'audit_events', ['case_id'], unique=False)

    op.create_table('ballots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('recommendation', sa.String(length=32), nullable=False),
    sa.Column('alternative_type', sa.String(length=32), nullable=True),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('cast_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_ballots_case_id_cases')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_ballots_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballots')),
    sa.UniqueConstraint('case_id', 'member_id', 'round', 'version', name='uq_ballots_member_version'),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_ballots_idempotency_key'))
    )
    op.create_table('case_dates',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_dates_case_id_cases')),
    sa.PrimaryKeyConstraint('case_id', 'event', name=op.f('pk_case_dates'))
    )
    op.create_table('case_subjects',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_subjects_case_id_cases')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_subjects'))
    )
    op.create_table('conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_conflicts_case_id_cases')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_conflicts_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conflicts')),
    sa.UniqueConstraint('case_id', 'member_id', name='uq_conflicts_case_member')
    )
    op.create_table('decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('review_type', sa.String(length=32), nullable=True),
    sa.Column('methodology', sa.String(length=32), nullable=True),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=32), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_decisions_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions')),
    sa.UniqueConstraint('case_id', name=op.f('uq_decisions_case_id')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_decisions_idempotency_key'))
    )
    op.create_table('information_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('agency', sa.String(length=200), nullable=False),
    sa.Column('requested_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by', sa.String(length=32), nullable=False),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('returned_by', sa.String(length=32), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_information_requests_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_information_requests'))
    )
    op.create_index(op.f('ix_information_requests_case_id'), 'information_requests', ['case_id'], unique=False)

    op.create_table('member_roles',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_roles_member_id_members')),
    sa.PrimaryKeyConstraint('member_id', 'role', name=op.f('pk_member_roles'))
    )
    op.create_table('review_conversions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_type', sa.String(length=32), nullable=False),
    sa.Column('to_type', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('converted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('converted_by', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_review_conversions_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_conversions'))
    )
    op.create_index(op.f('ix_review_conversions_case_id'), 'review_conversions', ['case_id'], unique=False)

    op.create_table('deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.String(length=100), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('original_due_on', sa.Date(), nullable=False),
    sa.Column('owner_role', sa.String(length=32), nullable=False),
    sa.Column('reminders', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('paused_on', sa.Date(), nullable=True),
    sa.Column('information_request_id', sa.Integer(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_deadlines_case_id_cases')),
    sa.ForeignKeyConstraint(['information_request_id'], ['information_requests.id'], name=op.f('fk_deadlines_information_request_id_information_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadlines'))
    )
    op.create_index(op.f('ix_deadlines_case_id'), 'deadlines', ['case_id'], unique=False)
    op.create_index(op.f('ix_deadlines_status_due'), 'deadlines', ['status', 'due_on'], unique=False)

    op.create_table('reminder_dispatches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deadline_id', sa.Integer(), nullable=False),
    sa.Column('lead', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=100), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadlines.id'], name=op.f('fk_reminder_dispatches_deadline_id_deadlines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_dispatches')),
    sa.UniqueConstraint('deadline_id', 'lead', name='uq_dispatches_deadline_lead')
    )

    _create_audit_guard()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_insert_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_insert_only()")
    op.drop_table('reminder_dispatches')
    op.drop_index(op.f('ix_deadlines_status_due'), table_name='deadlines')
    op.drop_index(op.f('ix_deadlines_case_id'), table_name='deadlines')

    op.drop_table('deadlines')
    op.drop_index(op.f('ix_review_conversions_case_id'), table_name='review_conversions')

    op.drop_table('review_conversions')
    op.drop_table('member_roles')
    op.drop_index(op.f('ix_information_requests_case_id'), table_name='information_requests')

    op.drop_table('information_requests')
    op.drop_table('decisions')
    op.drop_table('conflicts')
    op.drop_table('case_subjects')
    op.drop_table('case_dates')
    op.drop_table('ballots')
    op.drop_index(op.f('ix_audit_events_case_id'), table_name='audit_events')

    op.drop_table('audit_events')
    op.drop_table('reference_counters')
    op.drop_index(op.f('ix_members_slack_id'), table_name='members')

    op.drop_table('members')
    op.drop_index(op.f('ix_cases_reference'), table_name='cases')
    op.drop_index(op.f('ix_cases_board_state'), table_name='cases')

    op.drop_table('cases')
    op.drop_index(op.f('ix_boards_channel_id'), table_name='boards')

    op.drop_table('boards')
    op.drop_table('audit_heads')


def _create_audit_guard() -> None:
    """Refuse UPDATE and DELETE on the audit log (it is insert-only)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_events_insert_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit_events is insert-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_events_insert_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_insert_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit_events is insert-only'); END"
            )
