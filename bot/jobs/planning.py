"""Planning a sweep: which reminder slots, vote reminders and vote closes are due now.

One read transaction loads the running deadlines that can have a reminder due and asks
:func:`bot.domain.reminders.reminder_due` which slot is due for each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.boards import Role
from bot.domain.cases import CaseState
from bot.domain.reminders import (
    DEFAULT_VOTE_REMINDERS,
    ReminderDue,
    local_time,
    reminder_due,
    reminder_horizon,
)
from bot.domain.votes import VOTING_ROLES
from bot.jobs.views import (
    BoardSettings,
    SweepResult,
    board_settings,
)
from store.models import CaseRow, DeadlineRow
from store.uow import UnitOfWork

HORIZON_LEAD = 20
"""Working days ahead a sweep looks for lead-time reminders: the longest lead in any shipped
preset (``reminders = [20, 10, 5, 1, 0]``). A rule with a longer lead is reminded from 20 days."""

MAX_PER_SWEEP = 2000
"""Slots a single sweep sends at most; the rest go on the next sweep."""


@dataclass
class Plan:
    """What a sweep found due: reminder slots, vote reminders, and votes to close."""

    slots: list[tuple[DeadlineRow, CaseRow, BoardSettings, ReminderDue]] = field(
        default_factory=list
    )
    votes: list[tuple[DeadlineRow, CaseRow, BoardSettings, str, ReminderDue]] = field(
        default_factory=list
    )
    closes: list[tuple[str, str]] = field(default_factory=list)


def vote_key_prefix(slack_id: str) -> str:
    """Return the slot-key prefix of a member's vote reminders: ``vote:<member>:``."""
    return f"vote:{slack_id}:"


def awaited_voters(uow: UnitOfWork, case: CaseRow) -> list[str]:
    """Return the eligible members (voting role, active, not conflicted) yet to vote."""
    assert case.id is not None
    members = uow.members.of_board(case.board_id)
    roles = uow.members.roles_of(m.id for m in members if m.id is not None)
    conflicted = {c.member_id for c in uow.conflicts.of_case(case.id)}
    voted = {b.member_id for b in uow.ballots.current(case.id, case.voting_round)}
    return [
        m.slack_id
        for m in members
        if m.id is not None
        and roles.get(m.id, frozenset()) & VOTING_ROLES
        and m.id not in conflicted
        and m.id not in voted
    ]


def _is_postgres(uow: UnitOfWork) -> bool:
    bind = uow.session.get_bind()
    return bind.dialect.name == "postgresql"


def recipients_of(uow: UnitOfWork, board_id: str, role: Role, escalate: bool) -> tuple[str, ...]:
    """Return the Slack IDs a reminder goes to: the rule's role, and the chair on escalation."""
    people = [m.slack_id for m in uow.members.with_role(board_id, role)]
    if escalate:
        people += [m.slack_id for m in uow.members.with_role(board_id, Role.CHAIR)]
    return tuple(dict.fromkeys(people))


def plan_sweep(uow: UnitOfWork, now: datetime, result: SweepResult) -> Plan:
    """Find the slots due now, in one read transaction (rows locked SKIP LOCKED on PostgreSQL)."""
    plan = Plan()
    today = local_time(now).date()
    boards = {row.id: board_settings(row) for row in uow.boards.all()}
    open_now = {
        b.id: b
        for b in boards.values()
        if b.calendar.is_working_day(today) and b.hours.contains(local_time(now).time())
    }
    if not open_now:
        return plan
    horizon = max(reminder_horizon(today, b.calendar, (HORIZON_LEAD,)) for b in open_now.values())
    deadlines = uow.deadlines.running_due_by(horizon, skip_locked=_is_postgres(uow))
    result.considered = len(deadlines)
    claimed = uow.dispatches.claimed_keys([d.id for d in deadlines if d.id is not None])
    for deadline in deadlines:
        case = uow.cases.get(deadline.case_id)
        board = open_now.get(case.board_id) if case is not None else None
        if case is None or board is None or deadline.id is None:
            continue
        slot = reminder_due(
            deadline.due_on,
            calendar=board.calendar,
            now=now,
            leads=deadline.reminders,
            sent=claimed.get(deadline.id, set()),
            status=deadline.status,
            sending_hours=board.hours,
            since=local_time(deadline.created_at).date(),
        )
        if slot is not None:
            plan.slots.append((deadline, case, board, slot))
        is_vote = case.state is CaseState.VOTING and deadline.rule_id in board.vote_rules
        if is_vote and board.auto_close and deadline.due_on < today:
            plan.closes.append((case.reference, board.id))
            continue
        if is_vote:
            for user in awaited_voters(uow, case):
                vote = reminder_due(
                    deadline.due_on,
                    calendar=board.calendar,
                    now=now,
                    leads=DEFAULT_VOTE_REMINDERS,
                    sent=claimed.get(deadline.id, set()),
                    status=deadline.status,
                    sending_hours=board.hours,
                    escalate_after=None,
                    since=local_time(deadline.created_at).date(),
                    overdue=False,
                    prefix=vote_key_prefix(user),
                )
                if vote is not None:
                    plan.votes.append((deadline, case, board, user, vote))
        if len(plan.slots) + len(plan.votes) >= MAX_PER_SWEEP:
            break
    return plan
