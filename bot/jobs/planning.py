"""Planning a sweep: which reminder slots, vote reminders and vote closes are due now.

One read transaction loads the running deadlines that can have a reminder due and asks
:func:`bot.domain.reminders.reminder_due` which slot is due for each. It makes a fixed number
of queries however many deadlines are loaded (no query per deadline or case): the deadlines,
their claimed slots, their cases, the boards' members and roles, and the conflicts and current
ballots of the cases in voting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.cases import CaseState
from bot.domain.reminders import (
    DEFAULT_VOTE_REMINDERS,
    ReminderDue,
    local_time,
    reminder_due,
    reminder_horizon,
)
from bot.services.reminding import (
    BoardSettings,
    awaited_by_case,
    board_people,
    board_settings,
    vote_key_prefix,
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
    """What a sweep found due: reminder slots (with their recipients), vote reminders, closes."""

    slots: list[tuple[DeadlineRow, CaseRow, BoardSettings, ReminderDue, tuple[str, ...]]] = field(
        default_factory=list
    )
    votes: list[tuple[DeadlineRow, CaseRow, BoardSettings, str, ReminderDue]] = field(
        default_factory=list
    )
    closes: list[tuple[str, str]] = field(default_factory=list)
    considered: int = 0


def _is_postgres(uow: UnitOfWork) -> bool:
    bind = uow.session.get_bind()
    return bind.dialect.name == "postgresql"


def plan_sweep(uow: UnitOfWork, now: datetime) -> Plan:
    """Find the slots due now, in one read transaction (rows locked SKIP LOCKED on PostgreSQL)."""
    plan = Plan()
    today = local_time(now).date()
    open_now = _open_boards(uow, now)
    if not open_now:
        return plan
    horizon = max(reminder_horizon(today, b.calendar, (HORIZON_LEAD,)) for b in open_now.values())
    deadlines = uow.deadlines.running_due_by(horizon, skip_locked=_is_postgres(uow))
    plan.considered = len(deadlines)
    claimed = uow.outbox.claimed_slots([d.id for d in deadlines if d.id is not None])
    cases = {
        case_id: case
        for case_id, case in uow.cases.by_ids(d.case_id for d in deadlines).items()
        if case.board_id in open_now
    }
    people = board_people(uow, sorted({c.board_id for c in cases.values()}))
    voting = [c for c in cases.values() if c.state is CaseState.VOTING]
    awaited = awaited_by_case(uow, voting, people)
    for deadline in deadlines:
        case = cases.get(deadline.case_id)
        board = open_now.get(case.board_id) if case is not None else None
        if case is None or board is None or deadline.id is None:
            continue
        sent = claimed.get(deadline.id, set())
        slot = _deadline_slot(deadline, board, now, sent)
        if slot is not None:
            recipients = people[case.board_id].recipients(deadline.owner_role, slot.escalate)
            plan.slots.append((deadline, case, board, slot, recipients))
        is_vote = case.state is CaseState.VOTING and deadline.rule_id in board.vote_rules
        if is_vote and board.auto_close and deadline.due_on < today:
            plan.closes.append((case.reference, board.id))
            continue
        if is_vote:
            for user in awaited.get(deadline.case_id, []):
                vote = _vote_slot(deadline, board, now, sent, user)
                if vote is not None:
                    plan.votes.append((deadline, case, board, user, vote))
        if len(plan.slots) + len(plan.votes) >= MAX_PER_SWEEP:
            break
    return plan


def _open_boards(uow: UnitOfWork, now: datetime) -> dict[str, BoardSettings]:
    """Return the boards inside their sending hours on a working day now, by id."""
    today = local_time(now).date()
    boards = {row.id: board_settings(row) for row in uow.boards.all()}
    return {
        b.id: b
        for b in boards.values()
        if b.calendar.is_working_day(today) and b.hours.contains(local_time(now).time())
    }


def _deadline_slot(
    deadline: DeadlineRow, board: BoardSettings, now: datetime, sent: set[str]
) -> ReminderDue | None:
    """Return the owner's reminder slot of ``deadline`` due now, if any."""
    return reminder_due(
        deadline.due_on,
        calendar=board.calendar,
        now=now,
        leads=deadline.reminders,
        sent=sent,
        status=deadline.status,
        sending_hours=board.hours,
        since=local_time(deadline.created_at).date(),
    )


def _vote_slot(
    deadline: DeadlineRow, board: BoardSettings, now: datetime, sent: set[str], user: str
) -> ReminderDue | None:
    """Return the vote reminder slot due now to ``user``, who has not voted, if any."""
    return reminder_due(
        deadline.due_on,
        calendar=board.calendar,
        now=now,
        leads=DEFAULT_VOTE_REMINDERS,
        sent=sent,
        status=deadline.status,
        sending_hours=board.hours,
        escalate_after=None,
        since=local_time(deadline.created_at).date(),
        overdue=False,
        prefix=vote_key_prefix(user),
    )
