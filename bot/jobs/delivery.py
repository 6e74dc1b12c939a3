"""Sending one claimed reminder slot to each of its recipients, once each, and recording it.

A slot's DM goes to every recipient (the owners of the rule's role; on escalation the chair too).
Each recipient the DM reaches is written to the dispatch's ``delivered_to`` at once, in its own
short transaction (the last one with the slot's outcome), so a retry, or a sweeper taking over
after a crash, sends only to the recipients not yet reached: nobody is DMed the same slot twice.

What one recipient's failure means for the slot:

- Slack asks to wait (429, 5xx, a busy channel, a network error): the others are still sent to;
  the slot is retried later with backoff, for the recipients not yet reached.
- Slack refuses that recipient for good (``user_not_found``, ``cannot_dm_bot``, a deactivated
  account, or a payload it rejects): that recipient is given up and the others are still sent
  to. The slot is *sent* once everyone else has been reached, with ``last_error`` naming who
  was given up and why (``U0PRI00002: user_not_found``); if nobody at all was reached it has
  failed for good. A given-up recipient is not remembered apart from ``last_error``: when the
  slot is retried for someone else they are tried again (they never had the DM, so no
  duplicate can come of it; a reactivated account then gets it). Each recipient given up is
  told to the board's other business managers, in the transaction that records it, once per
  (dispatch, recipient) however often the slot is retried
  (:func:`bot.outbox.tell_business_managers`).
- Nobody holds the deadline's owner role (``no_owner``): the slot fails for good, and the
  business managers are told once per deadline, so they can name someone in the board file.
- The installation is refused (token revoked, scope missing): every call would fail, so the
  slot stops there, but stays owed: it is retried with backoff (at most hourly) until an admin
  fixes the app, because a Slack failure must never lose a reminder (PRODUCT.md §Deadlines and
  reminders). It is logged as an error each time so the admin is told.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.reminders import next_send_time
from bot.jobs.views import (
    BoardSettings,
    ReminderView,
    SweepResult,
    UowFactory,
    VoteReminderView,
)
from bot.outbox import tell_business_managers
from bot.slack_gateway import (
    FailureScope,
    PermanentFailure,
    RetryLater,
    RetryReason,
    SlackGateway,
    backoff,
)
from bot.undelivered import NO_OWNER_ERROR, Undelivered, What
from messages.render import render_message
from store.models import DeadlineRow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One reminder slot to send: the dispatch claimed, whom to, and what.

    Attributes:
        dispatch_id: the claimed ``reminder_dispatches`` row.
        recipients: everyone the slot is for, in order.
        view: what the DM shows.
        board: the board's settings (calendar and sending hours for the retry time).
        attempts: attempts recorded on the dispatch before this one.
        template: the message template.
        delivered: recipients an earlier attempt already reached (``delivered_to``).
    """

    dispatch_id: int
    recipients: tuple[str, ...]
    view: ReminderView | VoteReminderView
    board: BoardSettings
    attempts: int = 0
    template: str = "reminder_dm"
    delivered: tuple[str, ...] = ()

    @property
    def pending(self) -> tuple[str, ...]:
        """Return the recipients not yet reached."""
        return tuple(u for u in self.recipients if u not in self.delivered)


@dataclass
class Delivery:
    """What one attempt at a slot came to, recipient by recipient.

    Attributes:
        reached: recipients this attempt reached.
        waiting: recipients Slack could not take now (to retry later), with the error.
        gone: recipients Slack refused for good, with Slack's error code.
        retry: the first transient failure, which sets the retry time.
        fatal: a failure that stops the whole slot for good (no recipient at all).
    """

    reached: list[str] = field(default_factory=list)
    waiting: dict[str, str] = field(default_factory=dict)
    gone: dict[str, str] = field(default_factory=dict)
    retry: RetryLater | None = None
    fatal: PermanentFailure | None = None


def deliver(job: Job, gateway: SlackGateway, attempt: int, uow_factory: UowFactory) -> Delivery:
    """DM each recipient not yet reached, noting each one reached as soon as Slack takes it.

    Every recipient reached but the last is written to ``delivered_to`` in its own transaction
    straight away; the last is written by :func:`record` with the slot's outcome.
    """
    out = Delivery()
    if not job.recipients and not job.delivered:
        out.fatal = PermanentFailure(NO_OWNER_ERROR, FailureScope.RECIPIENT)
        return out
    message = render_message(job.template, r=job.view)
    todo = job.pending
    for n, user in enumerate(todo, start=1):
        outcome = gateway.send_dm(user, message["text"], message["blocks"], attempt=attempt)
        if isinstance(outcome, RetryLater):
            out.waiting[user] = outcome.error
            out.retry = out.retry or outcome
        elif isinstance(outcome, PermanentFailure):
            if outcome.scope is FailureScope.INSTALLATION:
                # Not the reminder's fault: it stays owed until the installation is fixed.
                logger.error("Slack refused the app (%s): fix its token or scopes", outcome.error)
                out.waiting[user] = outcome.error
                out.retry = RetryLater(backoff(attempt), RetryReason.INSTALLATION, outcome.error)
                break
            out.gone[user] = outcome.error
        else:
            out.reached.append(user)
            if n < len(todo):
                _note_reached(uow_factory, job.dispatch_id, user)
    return out


def _note_reached(uow_factory: UowFactory, dispatch_id: int, user: str) -> None:
    """Write one recipient reached to the dispatch, in its own short transaction."""
    with uow_factory() as uow:
        row = uow.dispatches.get(dispatch_id)
        if row is not None:
            uow.dispatches.add_delivered(row, [user])
            uow.commit()


def record(
    uow_factory: UowFactory, job: Job, delivery: Delivery, now: datetime, result: SweepResult
) -> None:
    """Record the attempt in its own transaction: who was reached, and sent, retry or failed.

    The slot is sent once every recipient is reached or given up for good, at least one reached;
    retried later while any recipient is waiting on Slack; failed for good when nobody could be
    reached (or the installation was refused).
    """
    gone = _listed(delivery.gone)
    with uow_factory() as uow:
        row = uow.dispatches.get(job.dispatch_id)
        if row is None:  # pragma: no cover - dispatches are never deleted
            return
        uow.dispatches.add_delivered(row, delivery.reached)
        if delivery.fatal is not None:
            uow.dispatches.mark_failed(row, error=delivery.fatal.error, retry_at=None)
            result.failed += 1
            logger.warning("reminder %s failed for good: %s", job.dispatch_id, delivery.fatal.error)
        elif delivery.retry is not None:
            wait = now + timedelta(seconds=max(delivery.retry.after_seconds, 1.0))
            retry_at = next_send_time(wait, job.board.calendar, job.board.hours)
            error = _listed({**delivery.waiting, **delivery.gone})
            uow.dispatches.mark_failed(row, error=error, retry_at=retry_at)
            result.deferred += 1
        elif row.delivered_to:
            uow.dispatches.mark_sent(row, now=now, note=gone or None)
            result.sent += 1
            if gone:
                logger.warning("reminder %s sent, but not to %s", job.dispatch_id, gone)
        else:
            uow.dispatches.mark_failed(row, error=gone, retry_at=None)
            result.failed += 1
            logger.warning("reminder %s failed for good: %s", job.dispatch_id, gone)
        unowned = delivery.fatal is not None and delivery.fatal.error == NO_OWNER_ERROR
        deadline = uow.deadlines.get(row.deadline_id) if delivery.gone or unowned else None
        case_id = deadline.case_id if deadline is not None else None
        for user, error in delivery.gone.items():
            tell_business_managers(uow, _given_up(job, case_id, user, error), now=now)
        if unowned and deadline is not None:
            tell_business_managers(uow, _unowned(job, deadline), now=now)
        uow.commit()


def _given_up(job: Job, case_id: int | None, user: str, error: str) -> Undelivered:
    """Describe a recipient Slack refused for good: the reminder's label and due date, no text."""
    key = f"reminder:{job.dispatch_id}:{user}"
    view = job.view
    if isinstance(view, ReminderView):
        what, label = What.REMINDER, view.label
    else:
        what, label = What.VOTE_REMINDER, ""
    return Undelivered(key, job.board.id, case_id, what, user, error, label, view.due)


def _unowned(job: Job, deadline: DeadlineRow) -> Undelivered:
    """Describe a reminder nobody could be sent, as nobody holds the deadline's owner role.

    Keyed by the deadline and its role, not the slot: the managers are told once, not again at
    each of the deadline's later reminders while the role stays empty.
    """
    key = f"reminder:no_owner:{deadline.id}:{deadline.owner_role}"
    label = job.view.label if isinstance(job.view, ReminderView) else ""
    return Undelivered(
        key,
        job.board.id,
        deadline.case_id,
        What.NO_OWNER,
        "",
        NO_OWNER_ERROR,
        label,
        job.view.due,
        role=deadline.owner_role,
    )


def _listed(errors: dict[str, str]) -> str:
    """Return ``U0PRI00002: user_not_found; U0TOM00003: http_500`` (recipient IDs, never text)."""
    return "; ".join(f"{user}: {error}" for user, error in errors.items())
