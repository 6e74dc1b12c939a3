"""Owed Slack messages: written with the step that owes them, sent after it commits, retried.

A failure in Slack's API never loses a vote, decision or reminder (PRODUCT.md §Deadlines and
reminders, "not lost if Slack is down or rate-limits"; §Voting, the recommendation "goes to the
decision-maker"). So a step that owes messages writes them into the ``outbox`` table in its own
transaction (:func:`owe`), and they are sent after the commit (:func:`deliver`):

1. each due row is leased to one deliverer by a compare-and-set on its ``next_attempt_at``
   (:meth:`store.outbox_repository.OutboxRepository.lease`), in a short transaction of its own,
   so two processes never send one row twice; a deliverer that dies after leasing delays the
   message by :data:`LEASE`, never loses it;
2. it is sent through :class:`~bot.slack_gateway.SlackGateway`, outside any transaction;
3. the outcome is recorded: sent (the payload cleared); or a retry time (the gateway's backoff,
   which honours a 429's ``Retry-After``); or failed for good, logged by row id, kind and Slack's
   error code only, and, in the same transaction, a notice owed to each of the board's other
   business managers so they can pass it on another way (:func:`tell_business_managers`,
   :mod:`bot.undelivered`). An installation failure (token, scopes) leaves the row owed and
   stops the pass: every other call would fail too.

The scheduler's tick (:func:`bot.jobs.scheduler.run_once`) delivers whatever is due, so a message
Slack refused at the moment of the step goes out on a later tick.

Kinds: ``dm`` (payload to a user's DM), ``channel`` (payload posted in a channel), ``card``
(the case's card redrawn with ``chat.update``, drawn from the case when it is sent, so a late
retry never puts an older state back on the card) and ``post_card`` (the case's card first posted
in its board's channel, drawn likewise, and its channel and ts stored on the case; a case that
has a card already gets no second one).
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.cards import current_card
from bot.services.cases import SetCaseCard, set_case_card
from bot.services.common import today_of
from bot.slack_gateway import (
    FailureScope,
    PermanentFailure,
    RetryLater,
    Sent,
    SlackGateway,
    backoff,
)
from bot.undelivered import Undelivered, notices, of_outbox_row
from store.models import OutboxRow
from store.uow import UnitOfWork

logger = logging.getLogger(__name__)

UowFactory = Callable[[], UnitOfWork]

LEASE = timedelta(minutes=10)
"""How long a leased row is this deliverer's before another may take it up."""

DM, CHANNEL, CARD, POST_CARD = "dm", "channel", "card", "post_card"

NOT_A_MEMBER = "not_a_member"
"""The error a DM fails with, unsent, when its recipient is no longer an active board member."""


def this_instance() -> str:
    """Return this process's name for ``claimed_by`` (host and pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


@dataclass
class Delivered:
    """What one delivery pass did: rows sent, left for a retry, and failed for good."""

    sent: int = 0
    deferred: int = 0
    failed: int = 0


def owe(
    uow: UnitOfWork,
    *,
    board_id: str,
    case_id: int | None,
    key: str,
    kind: str,
    recipient: str,
    now: datetime,
    message: dict[str, Any] | None = None,
) -> int | None:
    """Owe a message in the caller's transaction; return its row id (None: owed already).

    Args:
        uow: the step's unit of work (the row commits with the step, or not at all).
        board_id: the board it is about.
        case_id: the case it is about, if any.
        key: the dedupe key: unique per message owed, naming the step (e.g. the voting round),
            so a step that runs twice owes it once and a later step owes it afresh.
        kind: ``dm``, ``channel``, ``card`` or ``post_card``.
        recipient: the user ID (``dm``) or channel ID.
        now: when it is owed, and first due.
        message: the rendered ``text`` and ``blocks`` (a card's are drawn when it is sent).
    """
    payload = json.dumps(message or {}, ensure_ascii=False, separators=(",", ":"))
    return uow.outbox.enqueue(
        board_id=board_id,
        case_id=case_id,
        dedupe_key=key,
        kind=kind,
        recipient=recipient,
        payload=payload,
        now=now,
    )


def tell_business_managers(uow: UnitOfWork, failure: Undelivered | None, *, now: datetime) -> int:
    """Owe each of the board's other business managers a DM saying what Slack refused for good.

    Owed in the caller's transaction, the one that records the failure, so the notice is never
    lost, and sent by :func:`deliver` like any other row; keyed by the failure and the manager,
    so a retry or re-run owes it once. Nothing is owed for a notice (``failure`` None): no loop.
    With nobody to tell, a warning names the failure and Slack's error code. Owing happens inside
    a savepoint and never raises: a notice that cannot be owed must not undo the failure's
    record. Source: :mod:`bot.undelivered`.

    Returns:
        How many notices were owed (0: none to owe, or owed already).
    """
    if failure is None:
        return 0
    where = {"board_id": failure.board_id, "case_id": failure.case_id, "now": now}
    try:
        with uow.savepoint():
            owed = notices(uow, failure)
            ids = [
                owe(uow, key=key, kind=DM, recipient=user, message=message, **where)
                for user, key, message in owed
            ]
    except Exception as exc:  # noqa: BLE001 - the failure's own record must still commit
        logger.error("%s (%s): notice not owed: %s", failure.key, failure.what, type(exc).__name__)
        return 0
    if not owed:
        logger.warning(
            "%s (%s) failed for good: %s; no other business manager to tell",
            failure.key,
            failure.what,
            failure.error,
        )
    return sum(row_id is not None for row_id in ids)


@dataclass(frozen=True)
class _Job:
    """A leased row: what to send, to whom, and how many attempts it has had."""

    id: int
    kind: str
    recipient: str
    message: dict[str, Any]
    attempts: int
    case_id: int | None
    board_id: str


def deliver(
    uow_factory: UowFactory,
    gateway: SlackGateway,
    *,
    now: datetime,
    ids: Collection[int] | None = None,
    instance_id: str | None = None,
    limit: int = 100,
) -> Delivered:
    """Send the owed messages that are due (only ``ids`` when given), each by one deliverer.

    Args:
        uow_factory: opens a unit of work.
        gateway: sends through Slack.
        now: the current time.
        ids: deliver only these rows (a step sending what it just owed); None: every due row.
        instance_id: names this deliverer in ``claimed_by``.
        limit: rows read at most in one pass; the rest wait for the next.
    """
    result = Delivered()
    if ids is not None and not ids:
        return result
    who = instance_id or this_instance()
    with uow_factory() as uow:
        due = [(r.id, r.next_attempt_at) for r in uow.outbox.due(now, ids=ids, limit=limit)]
    for row_id, seen in due:
        if row_id is None or seen is None:
            continue
        job = _lease(uow_factory, row_id, seen, now, who)
        if job is None:
            continue
        outcome = _send(uow_factory, gateway, job, now)
        _record(uow_factory, job, outcome, now, result)
        if isinstance(outcome, PermanentFailure) and outcome.scope is FailureScope.INSTALLATION:
            break
    return result


def _lease(
    uow_factory: UowFactory, row_id: int, seen: datetime, now: datetime, who: str
) -> _Job | None:
    """Take the row for this deliverer in its own transaction; None when another has it."""
    with uow_factory() as uow:
        if not uow.outbox.lease(row_id, seen=seen, until=now + LEASE, claimed_by=who):
            uow.rollback()
            return None
        row = uow.outbox.get(row_id)
        uow.commit()
    assert row is not None
    message = json.loads(row.payload or "{}")
    return _Job(row_id, row.kind, row.recipient, message, row.attempts, row.case_id, row.board_id)


def _send(
    uow_factory: UowFactory, gateway: SlackGateway, job: _Job, now: datetime
) -> Sent | RetryLater | PermanentFailure | None:
    """Make the row's Slack call; None when there is nothing to send (a case gone)."""
    attempt = job.attempts + 1
    message = job.message
    if job.kind == DM and not _still_on_board(uow_factory, job):
        return PermanentFailure(NOT_A_MEMBER, FailureScope.RECIPIENT)
    if job.kind == DM:
        return gateway.send_dm(job.recipient, message["text"], message["blocks"], attempt=attempt)
    if job.kind == CHANNEL:
        return gateway.post_message(
            job.recipient, message["text"], message["blocks"], attempt=attempt
        )
    if job.kind == CARD:
        with uow_factory() as uow:
            case = uow.cases.get(job.case_id) if job.case_id is not None else None
            if case is None:
                return None
            ref, card = current_card(uow, case.board_id, case.reference, today=today_of(now))
        if ref.card_channel is None or ref.card_ts is None:
            # Its first post failed for good (the bot not yet in the channel): post it now.
            return _post_card(uow_factory, gateway, job, now, channel=ref.board_channel)
        return gateway.update_message(
            ref.card_channel, ref.card_ts, card["text"], card["blocks"], attempt=attempt
        )
    if job.kind == POST_CARD:
        return _post_card(uow_factory, gateway, job, now, channel=job.recipient)
    return PermanentFailure(f"unknown_kind:{job.kind}"[:60], FailureScope.MESSAGE)


def _post_card(
    uow_factory: UowFactory, gateway: SlackGateway, job: _Job, now: datetime, *, channel: str
) -> Sent | RetryLater | PermanentFailure | None:
    """Post the case's card in ``channel`` and store where it is on the case.

    The card is drawn from the case as it is now. None (nothing sent) when the case is gone or
    already has a card: a case has one canonical card. Used by a referral's ``post_card`` row,
    and by a later step's redraw of a case whose first post Slack refused for good, so the card
    appears with the next step once the bot is in the channel.
    """
    with uow_factory() as uow:
        case = uow.cases.get(job.case_id) if job.case_id is not None else None
        if case is None or case.card_ts is not None:
            return None
        ref, card = current_card(uow, case.board_id, case.reference, today=today_of(now))
    outcome = gateway.post_message(channel, card["text"], card["blocks"], attempt=job.attempts + 1)
    if isinstance(outcome, Sent) and outcome.ts is not None:
        with uow_factory() as uow:
            where = SetCaseCard(ref.board_id, ref.reference, outcome.channel, outcome.ts)
            set_case_card(where, uow=uow, now=now)
    return outcome


def _still_on_board(uow_factory: UowFactory, job: _Job) -> bool:
    """Whether a DM's recipient is still an active member of the board it is about.

    A message is owed to a person as a member (the recommendation to the decision-maker, a notice
    to a business manager); one who has left the board since, or been deactivated in the board
    file while Slack was failing, must not be sent it (PRODUCT.md §Confidentiality: only members
    see a board's cases).
    """
    with uow_factory() as uow:
        member = uow.members.find(job.board_id, job.recipient)
        return member is not None and member.active


def _record(
    uow_factory: UowFactory,
    job: _Job,
    outcome: Sent | RetryLater | PermanentFailure | None,
    now: datetime,
    result: Delivered,
) -> None:
    """Record the outcome of a send in its own transaction."""
    with uow_factory() as uow:
        row = uow.outbox.get(job.id)
        if row is None or row.sent_at is not None:  # pragma: no cover - rows are never deleted
            return
        _mark(uow, row, outcome, now, result)
        uow.commit()


def _mark(
    uow: UnitOfWork,
    row: OutboxRow,
    outcome: Sent | RetryLater | PermanentFailure | None,
    now: datetime,
    result: Delivered,
) -> None:
    if outcome is None or isinstance(outcome, Sent):
        uow.outbox.mark_sent(row, now=now)
        result.sent += 1
    elif isinstance(outcome, RetryLater):
        retry_at = now + timedelta(seconds=max(outcome.after_seconds, 1.0))
        uow.outbox.mark_failed(row, error=outcome.error, retry_at=retry_at)
        result.deferred += 1
    elif outcome.scope is FailureScope.INSTALLATION:
        # Not the message's fault: keep it owed, with backoff, until the installation is fixed.
        retry_at = now + timedelta(seconds=backoff(row.attempts + 1))
        uow.outbox.mark_failed(row, error=outcome.error, retry_at=retry_at)
        result.deferred += 1
        logger.error("outbox %s (%s) held: installation: %s", row.id, row.kind, outcome.error)
    else:
        uow.outbox.mark_failed(row, error=outcome.error, retry_at=None)
        result.failed += 1
        logger.warning("outbox %s (%s) failed for good: %s", row.id, row.kind, outcome.error)
        tell_business_managers(uow, of_outbox_row(row, outcome.error), now=now)
