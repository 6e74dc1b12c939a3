"""The messages drawn when they are sent: a case card, a home, a reminder, a digest.

Drawn from the case as it is at the moment of sending, so a late retry never shows an older state
(a card redrawn after a retry shows today's deadlines, a reminder retried tomorrow tomorrow's
working days left). A reminder that no longer applies (its deadline met, extended to a later
slot, paused; a vote cast since) is settled unsent; one due outside the board's sending hours
waits for the next working morning (PRODUCT.md §Deadlines and reminders). Every message names
the case by reference and pseudonym only (PRODUCT.md §Confidentiality).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.domain.cases import CaseState
from bot.domain.deadlines import working_days_left
from bot.domain.reminders import DEFAULT_ESCALATE_AFTER, local_time, next_send_time
from bot.notify.cards import current_card
from bot.services.common import today_of
from bot.services.queries import dashboard
from bot.services.reminding import BoardSettings, awaited_voters, board_settings
from bot.services.views import CaseRef
from messages.render import render_message, render_view
from store.models import CaseRow, DeadlineRow, OutboxRow
from store.uow import UnitOfWork

REMINDER_TEMPLATE, VOTE_REMINDER_TEMPLATE, DIGEST_TEMPLATE = (
    "reminder_dm",
    "vote_reminder_dm",
    "digest",
)

DIGEST_DAYS_AHEAD = 5
"""Working days ahead the digest lists as "due soon" (casedesk's choice)."""


@dataclass(frozen=True)
class Skip:
    """Nothing to send: why (the row is settled with this note)."""

    note: str


@dataclass(frozen=True)
class Wait:
    """Not now: send at ``until`` (outside the board's sending hours); no attempt is counted."""

    until: datetime


@dataclass(frozen=True)
class ReminderView:
    """What a reminder DM shows (reference and pseudonym, never a name)."""

    deadline_id: int
    reference: str
    pseudonym: str
    label: str
    due: date
    days_left: int
    kind: str


@dataclass(frozen=True)
class VoteReminderView:
    """What a vote reminder DM shows (reference and pseudonym, never a name)."""

    reference: str
    pseudonym: str
    due: date
    days_left: int


@dataclass(frozen=True)
class DigestLine:
    """One deadline in the board digest."""

    reference: str
    pseudonym: str
    label: str
    due: date
    days_left: int

    @property
    def line(self) -> str:
        """Return the digest's text line for this deadline."""
        when = (
            f"{-self.days_left} working days overdue"
            if self.days_left < 0
            else "due today"
            if self.days_left == 0
            else f"{self.days_left} working days left"
        )
        return f"{self.reference} ({self.pseudonym}): {self.label}, due {self.due:%d %b %Y}, {when}"


def reminder_view(
    deadline: DeadlineRow, case: CaseRow, board: BoardSettings, today: date, *, escalate: bool
) -> ReminderView:
    """Return the reminder DM's view of ``deadline`` as of ``today`` (before, due day, overdue)."""
    assert deadline.id is not None
    left = working_days_left(deadline.due_on, today, board.calendar)
    kind = "before" if left > 0 else "due_day" if left == 0 else "overdue"
    kind = "escalation" if escalate else kind
    return ReminderView(
        deadline.id, case.reference, case.pseudonym, deadline.label, deadline.due_on, left, kind
    )


def vote_view(
    deadline: DeadlineRow, case: CaseRow, board: BoardSettings, today: date
) -> VoteReminderView:
    """Return the vote reminder DM's view of the vote ``deadline`` as of ``today``."""
    left = working_days_left(deadline.due_on, today, board.calendar)
    return VoteReminderView(case.reference, case.pseudonym, deadline.due_on, left)


def draw_card(uow: UnitOfWork, case_id: int | None, now: datetime) -> tuple[CaseRef, dict] | None:
    """Return the case as it is now and its card; None when the case is gone."""
    case = uow.cases.get(case_id) if case_id is not None else None
    if case is None:
        return None
    return current_card(uow, case.board_id, case.reference, today=today_of(now))


def draw_home(uow: UnitOfWork, user: str, now: datetime) -> dict[str, Any]:
    """Return the person's App Home as it is now: what they owe, then their boards' open cases."""
    return render_view("home", dashboard=dashboard(user, uow=uow, today=today_of(now)))


def draw_reminder(uow: UnitOfWork, row: OutboxRow, now: datetime) -> dict[str, Any] | Skip | Wait:
    """Return a reminder DM as of now, or why it is not to be sent (now, or at all)."""
    deadline = uow.deadlines.get(row.deadline_id) if row.deadline_id is not None else None
    case = uow.cases.get(deadline.case_id) if deadline is not None else None
    board_row = uow.boards.get(case.board_id) if case is not None else None
    if deadline is None or case is None or board_row is None:
        return Skip("no longer exists")
    board = board_settings(board_row)
    local = local_time(now)
    if not (board.calendar.is_working_day(local.date()) and board.hours.contains(local.time())):
        return Wait(next_send_time(now, board.calendar, board.hours))
    if not deadline.status.is_running:
        return Skip("deadline no longer running")
    if row.slot_due is not None and row.slot_due != deadline.due_on:
        return Skip("deadline moved")  # its new date has slots of its own
    if row.template == VOTE_REMINDER_TEMPLATE:
        if case.state is not CaseState.VOTING or row.recipient not in awaited_voters(uow, case):
            return Skip("vote no longer awaited")
        return render_message(row.template, r=vote_view(deadline, case, board, local.date()))
    escalate = row.lead is not None and row.lead < -DEFAULT_ESCALATE_AFTER
    view = reminder_view(deadline, case, board, local.date(), escalate=escalate)
    return render_message(REMINDER_TEMPLATE, r=view)


def draw_digest(uow: UnitOfWork, row: OutboxRow, now: datetime) -> dict[str, Any] | Skip:
    """Return the board's digest of the row's day, or why not (the board gone, the day over)."""
    board_row = uow.boards.get(row.board_id)
    today = local_time(now).date()
    if board_row is None or not board_row.active:
        return Skip("board no longer active")
    if row.digest_on != today:
        return Skip("its day is over")
    board = board_settings(board_row)
    overdue, due_soon = digest_lines(uow, board, today)
    return render_message(
        DIGEST_TEMPLATE, board_name=board.name, day=today, overdue=overdue, due_soon=due_soon
    )


def digest_lines(
    uow: UnitOfWork, board: BoardSettings, today: date
) -> tuple[list[DigestLine], list[DigestLine]]:
    """Return the board's overdue and due-soon deadlines as digest lines (one query each)."""
    horizon = board.calendar.add_working_days(today, DIGEST_DAYS_AHEAD)
    overdue: list[DigestLine] = []
    due_soon: list[DigestLine] = []
    deadlines = uow.deadlines.running_due_by(horizon, board_id=board.id)
    cases = uow.cases.by_ids(d.case_id for d in deadlines)  # one query, not one per deadline
    for deadline in deadlines:
        case = cases.get(deadline.case_id)
        if case is None or case.board_id != board.id:
            continue
        left = working_days_left(deadline.due_on, today, board.calendar)
        line = DigestLine(case.reference, case.pseudonym, deadline.label, deadline.due_on, left)
        (overdue if deadline.due_on < today else due_soon).append(line)
    return overdue, due_soon
