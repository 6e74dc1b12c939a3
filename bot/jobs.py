"""Scheduled jobs: the reminder sweep and the board channels' daily digest.

A sweep loads the running deadlines that can have a reminder due (those due by
:func:`bot.domain.reminders.reminder_horizon`), asks :func:`bot.domain.reminders.reminder_due`
which slot is due for each, and for each slot:

1. claims (deadline, slot key) in its own short transaction: the store's unique key makes this
   succeed for exactly one sweeper, however many instances run against one database;
2. sends the DM (owners of the rule's role; escalations also the chair), outside any transaction;
3. records the outcome: sent; or failed with a retry time (Slack asked to wait, or was down),
   which a later sweep picks up from ``due_retries``; or failed for good.

A claim carries a lease (``next_attempt_at``), so a sweeper that dies between claim and send
delays the reminder by the lease, never loses it. Source: PRODUCT.md §Deadlines and reminders
("sent once: not twice after a restart, not twice when two instances run against one PostgreSQL
database, and not lost if Slack is down or rate-limits"); §Scale.

Messages carry the reference, pseudonym, rule label, due date and working days left, never a
subject's name (PRODUCT.md §Confidentiality).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.domain.boards import Role
from bot.domain.calendar import WorkingCalendar
from bot.domain.cases import CaseState, Trigger
from bot.domain.deadlines import RUNNING, working_days_left
from bot.domain.errors import DomainError
from bot.domain.reminders import (
    DEFAULT_ESCALATE_AFTER,
    DEFAULT_SENDING_HOURS,
    DEFAULT_VOTE_REMINDERS,
    ReminderDue,
    SendingHours,
    digest_due,
    digest_key,
    local_time,
    next_send_time,
    reminder_due,
    reminder_horizon,
)
from bot.domain.votes import VOTING_ROLES
from bot.home import home_views
from bot.recommendation import closing_messages
from bot.services.common import SYSTEM, board_calendar, board_config, today_of
from bot.services.voting import CloseVoting, close_voting
from bot.slack_gateway import FailureScope, PermanentFailure, RetryLater, SlackGateway
from messages.render import render_message
from store.models import BoardRow, CaseRow, DeadlineRow
from store.uow import UnitOfWork

logger = logging.getLogger(__name__)

UowFactory = Callable[[], UnitOfWork]

HORIZON_LEAD = 20
"""Working days ahead a sweep looks for lead-time reminders: the longest lead in any shipped
preset (``reminders = [20, 10, 5, 1, 0]``). A rule with a longer lead is reminded from 20 days."""

LEASE = timedelta(minutes=10)
"""How long a claim or a taken retry is this sweeper's before another may retry it."""

DIGEST_DAYS_AHEAD = 5
"""Working days ahead the digest lists as "due soon" (casedesk's choice)."""

MAX_PER_SWEEP = 2000
"""Slots a single sweep sends at most; the rest go on the next sweep."""


@dataclass
class SweepResult:
    """What one sweep did.

    Attributes:
        considered: running deadlines loaded (due by the horizon).
        claimed: slots this sweeper claimed (a slot claimed elsewhere is not counted).
        sent: reminders sent (claims and retries).
        deferred: reminders Slack could not take now, left for a later sweep.
        failed: reminders that failed for good (for example the owner's account is gone).
        retried: earlier failures taken up again.
        digests: board digests posted.
        closed: votes this sweeper closed at their deadline.
    """

    considered: int = 0
    claimed: int = 0
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    retried: int = 0
    digests: int = 0
    closed: int = 0


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


@dataclass(frozen=True)
class _Board:
    """A board's reminder settings, read once per sweep."""

    id: str
    name: str
    channel: str
    calendar: WorkingCalendar
    hours: SendingHours
    digest_time: Any
    vote_rules: frozenset[str] = frozenset()
    auto_close: bool = False


@dataclass(frozen=True)
class VoteReminderView:
    """What a vote reminder DM shows (reference and pseudonym, never a name)."""

    reference: str
    pseudonym: str
    due: date
    days_left: int


@dataclass(frozen=True)
class _Job:
    """One reminder to send: the dispatch claimed, whom to, and what."""

    dispatch_id: int
    recipients: tuple[str, ...]
    view: ReminderView | VoteReminderView
    board: _Board
    attempts: int = 0
    template: str = "reminder_dm"


@dataclass
class _Plan:
    slots: list[tuple[DeadlineRow, CaseRow, _Board, ReminderDue]] = field(default_factory=list)
    votes: list[tuple[DeadlineRow, CaseRow, _Board, str, ReminderDue]] = field(default_factory=list)
    closes: list[tuple[str, str]] = field(default_factory=list)


def _board(row: BoardRow) -> _Board:
    config = board_config(row)
    start, end = config.sending_hours
    try:
        hours = SendingHours(start, end)
    except ValueError:  # pragma: no cover - board files are validated on sync
        hours = DEFAULT_SENDING_HOURS
    return _Board(
        row.id,
        row.name,
        row.channel_id,
        board_calendar(config),
        hours,
        config.digest_time,
        frozenset(config.step_rules.get(Trigger.CLOSE_VOTING, ())),
        config.open_voting_on_referral,
    )


def vote_key_prefix(slack_id: str) -> str:
    """Return the slot-key prefix of a member's vote reminders: ``vote:<member>:``."""
    return f"vote:{slack_id}:"


def _awaited_voters(uow: UnitOfWork, case: CaseRow) -> list[str]:
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


def _vote_view(
    deadline: DeadlineRow, case: CaseRow, board: _Board, today: date
) -> VoteReminderView:
    left = working_days_left(deadline.due_on, today, board.calendar)
    return VoteReminderView(case.reference, case.pseudonym, deadline.due_on, left)


def _is_postgres(uow: UnitOfWork) -> bool:
    bind = uow.session.get_bind()
    return bind.dialect.name == "postgresql"


def _recipients(uow: UnitOfWork, board_id: str, role: Role, escalate: bool) -> tuple[str, ...]:
    people = [m.slack_id for m in uow.members.with_role(board_id, role)]
    if escalate:
        people += [m.slack_id for m in uow.members.with_role(board_id, Role.CHAIR)]
    return tuple(dict.fromkeys(people))


def _view(deadline: DeadlineRow, case: CaseRow, board: _Board, today: date) -> ReminderView:
    assert deadline.id is not None
    left = working_days_left(deadline.due_on, today, board.calendar)
    kind = "before" if left > 0 else "due_day" if left == 0 else "overdue"
    return ReminderView(
        deadline.id, case.reference, case.pseudonym, deadline.label, deadline.due_on, left, kind
    )


def _plan(uow: UnitOfWork, now: datetime, result: SweepResult) -> _Plan:
    """Find the slots due now, in one read transaction (rows locked SKIP LOCKED on PostgreSQL)."""
    plan = _Plan()
    today = local_time(now).date()
    boards = {row.id: _board(row) for row in uow.boards.all()}
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
            for user in _awaited_voters(uow, case):
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


def _claim(
    uow_factory: UowFactory,
    deadline: DeadlineRow,
    case: CaseRow,
    board: _Board,
    slot: ReminderDue,
    now: datetime,
    instance_id: str,
) -> _Job | None:
    """Claim one slot in its own transaction; None when another sweeper has it."""
    with uow_factory() as uow:
        row_id = _claim_slot(uow, deadline, slot, now, instance_id)
        if row_id is None:
            return None
        recipients = _recipients(uow, board.id, deadline.owner_role, slot.escalate)
        uow.commit()
    view = _view(deadline, case, board, local_time(now).date())
    if slot.escalate:
        view = ReminderView(**{**view.__dict__, "kind": "escalation"})
    return _Job(row_id, recipients, view, board)


def _claim_vote(
    uow_factory: UowFactory,
    deadline: DeadlineRow,
    case: CaseRow,
    board: _Board,
    user: str,
    slot: ReminderDue,
    now: datetime,
    instance_id: str,
) -> _Job | None:
    """Claim one member's vote-reminder slot (keyed by the member); None when already claimed."""
    with uow_factory() as uow:
        row_id = _claim_slot(uow, deadline, slot, now, instance_id)
        if row_id is None:
            return None
        uow.commit()
    view = _vote_view(deadline, case, board, local_time(now).date())
    return _Job(row_id, (user,), view, board, template="vote_reminder_dm")


def _claim_slot(
    uow: UnitOfWork, deadline: DeadlineRow, slot: ReminderDue, now: datetime, instance_id: str
) -> int | None:
    """Insert the dispatch row for ``slot`` (leased for LEASE); None, rolled back, if taken."""
    assert deadline.id is not None
    row = uow.dispatches.claim(
        deadline.id, slot.key, lead=slot.lead, now=now, claimed_by=instance_id, retry_at=now + LEASE
    )
    if row is None or row.id is None:
        uow.rollback()
        return None
    return row.id


def close_at_deadline(
    reference: str,
    board_id: str,
    *,
    uow_factory: UowFactory,
    gateway: SlackGateway,
    now: datetime,
) -> bool:
    """Close a vote whose deadline has passed, as the bot, and send the recommendation.

    The case's state is the claim: the sweeper whose close moves it out of voting sends the DMs
    and the channel notice (the same as the chair's close); another finds it closed and stops.
    Source: PRODUCT.md §Voting ("or it closes at its deadline").

    Returns:
        Whether this call closed it.
    """
    try:
        with uow_factory() as uow:
            closed = close_voting(
                CloseVoting(reference, SYSTEM, board_id=board_id), uow=uow, now=now
            )
    except DomainError as refusal:
        logger.info("vote on %s not closed at its deadline: %s", reference, type(refusal).__name__)
        return False
    rec = closed.recommendation
    dms, notice = closing_messages(uow_factory, rec)
    for user, message in dms:
        outcome = gateway.send_dm(user, message["text"], message["blocks"])
        if isinstance(outcome, RetryLater | PermanentFailure):
            logger.warning("recommendation DM for %s not sent: %s", reference, outcome.error)
    outcome = gateway.post_message(rec.case.board_channel, notice["text"], notice["blocks"])
    if isinstance(outcome, RetryLater | PermanentFailure):
        logger.warning("closing notice for %s not posted: %s", reference, outcome.error)
    _refresh_homes(uow_factory, gateway, board_id, now)  # pending votes vanish for everyone
    return True


def _refresh_homes(
    uow_factory: UowFactory, gateway: SlackGateway, board_id: str, now: datetime
) -> None:
    """Re-publish the board's members' App Homes; a failure is the gateway's to log, no more."""
    try:
        views = home_views(uow_factory, today_of(now), board_id=board_id)
    except Exception as exc:  # noqa: BLE001 - the vote is closed; homes refresh on open
        logger.warning("App Home refresh after closing failed: %s", type(exc).__name__)
        return
    for user, view in views:
        gateway.publish_home(user, view)


def _send(job: _Job, gateway: SlackGateway, attempt: int) -> RetryLater | PermanentFailure | None:
    """DM every recipient; return the first failure (None when all went out)."""
    message = render_message(job.template, r=job.view)
    if not job.recipients:
        return PermanentFailure("no_owner", FailureScope.RECIPIENT)
    for user in job.recipients:
        outcome = gateway.send_dm(user, message["text"], message["blocks"], attempt=attempt)
        if isinstance(outcome, RetryLater | PermanentFailure):
            return outcome
    return None


def _record(
    uow_factory: UowFactory,
    job: _Job,
    outcome: RetryLater | PermanentFailure | None,
    now: datetime,
    result: SweepResult,
) -> None:
    """Record the outcome of a send in its own transaction."""
    with uow_factory() as uow:
        row = uow.dispatches.get(job.dispatch_id)
        if row is None:  # pragma: no cover - dispatches are never deleted
            return
        if outcome is None:
            uow.dispatches.mark_sent(row, now=now)
            result.sent += 1
        elif isinstance(outcome, RetryLater):
            wait = now + timedelta(seconds=max(outcome.after_seconds, 1.0))
            retry_at = next_send_time(wait, job.board.calendar, job.board.hours)
            uow.dispatches.mark_failed(row, error=outcome.error, retry_at=retry_at)
            result.deferred += 1
        else:
            uow.dispatches.mark_failed(row, error=outcome.error, retry_at=None)
            result.failed += 1
            logger.warning("reminder %s failed for good: %s", job.dispatch_id, outcome.error)
        uow.commit()


def _retries(uow_factory: UowFactory, now: datetime, instance_id: str) -> list[_Job]:
    """Take the retries that are due: each one leased to this sweeper by compare-and-set."""
    jobs: list[_Job] = []
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
            if deadline is None or case is None or board_row is None:
                continue
            row = uow.dispatches.get(dispatch_id)
            if deadline.status not in RUNNING:
                if row is not None:
                    uow.dispatches.mark_failed(
                        row, error="deadline no longer running", retry_at=None
                    )
                uow.commit()
                continue
            board = _board(board_row)
            if slot_key.startswith("vote:"):
                user = slot_key.split(":")[1]
                if case.state is not CaseState.VOTING or user not in _awaited_voters(uow, case):
                    if row is not None:
                        uow.dispatches.mark_failed(
                            row, error="vote no longer awaited", retry_at=None
                        )
                    uow.commit()
                    continue
                view = _vote_view(deadline, case, board, today)
                uow.commit()
                jobs.append(
                    _Job(dispatch_id, (user,), view, board, attempts, template="vote_reminder_dm")
                )
                continue
            escalate = row is not None and row.lead < -DEFAULT_ESCALATE_AFTER
            recipients = _recipients(uow, board.id, deadline.owner_role, escalate)
            view = _view(deadline, case, board, today)
            uow.commit()
        jobs.append(_Job(dispatch_id, recipients, view, board, attempts))
    return jobs


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
        _record(uow_factory, job, _send(job, gateway, job.attempts + 1), now, result)
    with uow_factory() as uow:
        plan = _plan(uow, now, result)
        uow.commit()
    for deadline, case, board, slot in plan.slots:
        job = _claim(uow_factory, deadline, case, board, slot, now, instance_id)
        if job is None:
            continue
        result.claimed += 1
        _record(uow_factory, job, _send(job, gateway, 1), now, result)
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
        _record(uow_factory, job, _send(job, gateway, 1), now, result)
    return result


def daily_digest(
    board_id: str,
    *,
    uow_factory: UowFactory,
    gateway: SlackGateway,
    clock: Clock,
    instance_id: str = "",
) -> bool:
    """Post the board's daily digest to its channel if it is due and not yet posted today.

    Claimed as ``digest:<day>`` for the board, so it is posted once per working day however many
    instances run; a claim whose post fails is given up, so a later sweep posts it the same day.
    Lists due-soon and overdue deadlines by reference and pseudonym only.

    Returns:
        Whether this call posted it.
    """
    now = clock.now()
    today = local_time(now).date()
    with uow_factory() as uow:
        row = uow.boards.get(board_id)
        if row is None or not row.active:
            return False
        board = _board(row)
        if not digest_due(now, board.calendar, board.digest_time, None, until=board.hours.end):
            return False
        claim = uow.dispatches.claim_board(
            board.id, digest_key(today), now=now, claimed_by=instance_id
        )
        if claim is None:
            uow.rollback()
            return False
        overdue, due_soon = _digest_lines(uow, board, today)
        uow.commit()
        claim_id = claim.id
    message = render_message(
        "digest", board_name=board.name, day=today, overdue=overdue, due_soon=due_soon
    )
    outcome = gateway.post_message(board.channel, message["text"], message["blocks"])
    with uow_factory() as uow:
        claimed = uow.dispatches.get_board(claim_id)
        if claimed is not None:
            if isinstance(outcome, RetryLater):
                uow.dispatches.release_board(claimed)
            else:
                if isinstance(outcome, PermanentFailure):
                    claimed.last_error = outcome.error
                uow.dispatches.mark_board_sent(claimed, now=now)
        uow.commit()
    return not isinstance(outcome, RetryLater | PermanentFailure)


def _digest_lines(
    uow: UnitOfWork, board: _Board, today: date
) -> tuple[list[DigestLine], list[DigestLine]]:
    horizon = board.calendar.add_working_days(today, DIGEST_DAYS_AHEAD)
    overdue: list[DigestLine] = []
    due_soon: list[DigestLine] = []
    for deadline in uow.deadlines.running_due_by(horizon):
        case = uow.cases.get(deadline.case_id)
        if case is None or case.board_id != board.id:
            continue
        left = working_days_left(deadline.due_on, today, board.calendar)
        line = DigestLine(case.reference, case.pseudonym, deadline.label, deadline.due_on, left)
        (overdue if deadline.due_on < today else due_soon).append(line)
    return overdue, due_soon


def run_digests(
    *, uow_factory: UowFactory, gateway: SlackGateway, clock: Clock, instance_id: str = ""
) -> int:
    """Post every active board's digest that is due; return how many were posted."""
    with uow_factory() as uow:
        board_ids = [b.id for b in uow.boards.all()]
    return sum(
        daily_digest(
            b, uow_factory=uow_factory, gateway=gateway, clock=clock, instance_id=instance_id
        )
        for b in board_ids
    )


def run_once(
    *, uow_factory: UowFactory, gateway: SlackGateway, clock: Clock, instance_id: str
) -> SweepResult:
    """One scheduler tick: the reminder sweep, then the digests; errors are logged, not raised."""
    result = SweepResult()
    try:
        result = sweep(
            uow_factory=uow_factory, gateway=gateway, clock=clock, instance_id=instance_id
        )
        result.digests = run_digests(
            uow_factory=uow_factory, gateway=gateway, clock=clock, instance_id=instance_id
        )
    except Exception:  # a tick must never kill the scheduler
        logger.exception("reminder sweep failed")
    return result


def start_scheduler(
    *,
    uow_factory: UowFactory,
    gateway: SlackGateway,
    clock: Clock,
    instance_id: str,
    sweep_seconds: float,
) -> Any:
    """Start an APScheduler ``BackgroundScheduler`` (Europe/London) running :func:`run_once`.

    Returns:
        The running scheduler; call ``shutdown()`` on it when the process stops.
    """
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="Europe/London")
    scheduler.add_job(
        run_once,
        "interval",
        seconds=sweep_seconds,
        kwargs={
            "uow_factory": uow_factory,
            "gateway": gateway,
            "clock": clock,
            "instance_id": instance_id,
        },
        id="casedesk-sweep",
        max_instances=1,
        coalesce=True,
        next_run_time=clock.now(),
    )
    scheduler.start()
    return scheduler
