"""Claiming, sending and recording reminders: each slot once, retried until Slack takes it."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from bot.clock import Clock
from bot.domain.cases import CaseState
from bot.domain.deadlines import RUNNING
from bot.domain.reminders import DEFAULT_ESCALATE_AFTER, ReminderDue, local_time, next_send_time
from bot.jobs.delivery import Job, deliver, record
from bot.jobs.planning import (
    awaited_voters,
    plan_sweep,
    recipients_of,
)
from bot.jobs.views import (
    BoardSettings,
    ReminderView,
    SweepResult,
    UowFactory,
    board_settings,
    reminder_view,
    vote_view,
)
from bot.jobs.vote_deadline import close_at_deadline
from bot.slack_gateway import SlackGateway
from store.deadline_repositories import delivered
from store.models import CaseRow, DeadlineRow

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
"""How long a claim or a taken retry is this sweeper's before another may retry it."""


def _claim(
    uow_factory: UowFactory,
    deadline: DeadlineRow,
    case: CaseRow,
    board: BoardSettings,
    slot: ReminderDue,
    recipients: tuple[str, ...],
    now: datetime,
    instance_id: str,
) -> Job | None:
    """Claim one slot for ``recipients`` in its own transaction; None if another sweeper has it."""
    row_id = _claim_slot(uow_factory, deadline, slot, now, instance_id)
    if row_id is None:
        return None
    view = _owner_view(deadline, case, board, local_time(now).date(), escalate=slot.escalate)
    return Job(row_id, recipients, view, board)


def _owner_view(
    deadline: DeadlineRow, case: CaseRow, board: BoardSettings, today: date, *, escalate: bool
) -> ReminderView:
    """Return the owner reminder's view; an escalation says so (on a retry too)."""
    view = reminder_view(deadline, case, board, today)
    return ReminderView(**{**view.__dict__, "kind": "escalation"}) if escalate else view


def _claim_vote(
    uow_factory: UowFactory,
    deadline: DeadlineRow,
    case: CaseRow,
    board: BoardSettings,
    user: str,
    slot: ReminderDue,
    now: datetime,
    instance_id: str,
) -> Job | None:
    """Claim one member's vote-reminder slot (keyed by the member); None when already claimed."""
    row_id = _claim_slot(uow_factory, deadline, slot, now, instance_id)
    if row_id is None:
        return None
    view = vote_view(deadline, case, board, local_time(now).date())
    return Job(row_id, (user,), view, board, template="vote_reminder_dm")


def _claim_slot(
    uow_factory: UowFactory,
    deadline: DeadlineRow,
    slot: ReminderDue,
    now: datetime,
    instance_id: str,
) -> int | None:
    """Insert and commit the dispatch row for ``slot`` (leased for LEASE); None if taken."""
    assert deadline.id is not None
    with uow_factory() as uow:
        row = uow.dispatches.claim(
            deadline.id,
            slot.key,
            lead=slot.lead,
            now=now,
            claimed_by=instance_id,
            retry_at=now + LEASE,
        )
        if row is None or row.id is None:
            uow.rollback()
            return None
        uow.commit()
        return row.id


def _open_now(board: BoardSettings, now: datetime) -> bool:
    """Whether ``now`` is a working day within the board's sending hours (PRODUCT.md §Deadlines)."""
    local = local_time(now)
    return board.calendar.is_working_day(local.date()) and board.hours.contains(local.time())


def _retries(uow_factory: UowFactory, now: datetime, instance_id: str) -> list[Job]:
    """Take the retries that are due: each one leased to this sweeper by compare-and-set."""
    jobs: list[Job] = []
    with uow_factory() as uow:
        due = [
            (r.id, r.next_attempt_at, r.deadline_id, r.attempts, r.slot_key)
            for r in uow.dispatches.due_retries(now)
        ]
    today = local_time(now).date()
    for dispatch_id, seen, deadline_id, attempts, slot_key in due:
        if dispatch_id is None or seen is None:
            continue
        with uow_factory() as uow:
            if not uow.dispatches.lease(dispatch_id, seen=seen, until=now + LEASE):
                uow.rollback()
                continue
            deadline = uow.deadlines.get(deadline_id)
            case = uow.cases.get(deadline.case_id) if deadline is not None else None
            board_row = uow.boards.get(case.board_id) if case is not None else None
            row = uow.dispatches.get(dispatch_id)
            if deadline is None or case is None or board_row is None or row is None:
                if row is not None:  # its deadline, case or board is gone: nothing to remind
                    uow.dispatches.mark_failed(row, error="no longer exists", retry_at=None)
                uow.commit()
                continue
            board = board_settings(board_row)
            if not _open_now(board, now):  # a lease that ran out at night waits for the morning
                uow.dispatches.defer(row, until=next_send_time(now, board.calendar, board.hours))
                uow.commit()
                continue
            if deadline.status not in RUNNING:
                if row is not None:
                    uow.dispatches.mark_failed(
                        row, error="deadline no longer running", retry_at=None
                    )
                uow.commit()
                continue
            reached = delivered(row) if row is not None else ()
            if slot_key.startswith("vote:"):
                user = slot_key.split(":")[1]
                if case.state is not CaseState.VOTING or user not in awaited_voters(uow, case):
                    if row is not None:
                        uow.dispatches.mark_failed(
                            row, error="vote no longer awaited", retry_at=None
                        )
                    uow.commit()
                    continue
                view = vote_view(deadline, case, board, today)
                uow.commit()
                template = "vote_reminder_dm"
                jobs.append(Job(dispatch_id, (user,), view, board, attempts, template, reached))
                continue
            escalate = row is not None and row.lead < -DEFAULT_ESCALATE_AFTER
            recipients = recipients_of(uow, board.id, deadline.owner_role, escalate)
            view = _owner_view(deadline, case, board, today, escalate=escalate)
            uow.commit()
        jobs.append(Job(dispatch_id, recipients, view, board, attempts, delivered=reached))
    return jobs


def _run(
    uow_factory: UowFactory, job: Job, gateway: SlackGateway, now: datetime, result: SweepResult
) -> None:
    """Send a claimed or leased slot to the recipients it still owes, and record the outcome."""
    delivery = deliver(job, gateway, job.attempts + 1, uow_factory)
    record(uow_factory, job, delivery, now, result)


def sweep(
    *, uow_factory: UowFactory, gateway: SlackGateway, clock: Clock, instance_id: str
) -> SweepResult:
    """Send every reminder due now, once, and retry the ones Slack could not take earlier.

    Args:
        uow_factory: opens a unit of work on the database.
        gateway: sends the DMs.
        clock: the current time.
        instance_id: names this process in the claims (for operators reading the table).

    Returns:
        Counts of what the sweep did.
    """
    now = clock.now()
    result = SweepResult()
    jobs = _retries(uow_factory, now, instance_id)
    result.retried = len(jobs)
    for job in jobs:
        _run(uow_factory, job, gateway, now, result)
    with uow_factory() as uow:
        plan = plan_sweep(uow, now, result)
        uow.commit()
    for deadline, case, board, slot, recipients in plan.slots:
        job = _claim(uow_factory, deadline, case, board, slot, recipients, now, instance_id)
        if job is None:
            continue
        result.claimed += 1
        _run(uow_factory, job, gateway, now, result)
    for reference, board_id in plan.closes:
        if close_at_deadline(
            reference, board_id, uow_factory=uow_factory, gateway=gateway, now=now
        ):
            result.closed += 1
    for deadline, case, board, user, slot in plan.votes:
        job = _claim_vote(uow_factory, deadline, case, board, user, slot, now, instance_id)
        if job is None:
            continue
        result.claimed += 1
        _run(uow_factory, job, gateway, now, result)
    return result
