"""Sending the owed rows that are due: each leased to one sender, sent once, its outcome kept.

1. Each due row is leased to one sender by a compare-and-set on its ``next_attempt_at``
   (:meth:`store.outbox_repository.OutboxRepository.lease`), in a short transaction of its own,
   so two processes never send one row twice; a sender that dies after leasing delays the
   message by :data:`LEASE`, never loses it.
2. It is sent through the one :class:`~bot.slack.gateway.SlackGateway`, outside any
   transaction; a kind drawn when sent (:mod:`bot.notify.drawn`) is drawn first.
3. The outcome is recorded: sent (the payload cleared, and the other due rows the same drawing
   served with it); a retry time (the gateway's backoff, which honours a 429's
   ``Retry-After``; a reminder's in the board's sending hours); or failed for good, logged by
   row id, kind and Slack's error code only, and, in the same transaction, a notice owed to
   each of the board's other business managers (:func:`bot.notify.outbox.tell_business_managers`).
   An installation failure (token, scopes) keeps the row owed and ends the pass: every other
   call would fail too.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.domain.reminders import next_send_time
from bot.notify.drawn import Skip, Wait, draw_card, draw_digest, draw_home, draw_reminder
from bot.notify.kinds import COALESCED, Kind
from bot.notify.outbox import NOT_A_MEMBER, tell_business_managers
from bot.notify.undelivered import of_row
from bot.services.cases import SetCaseCard, set_case_card
from bot.services.reminding import board_settings
from bot.slack.gateway import (
    FailureScope,
    PermanentFailure,
    RetryLater,
    Sent,
    SlackGateway,
    backoff,
)
from bot.slack.history import OUTBOX_EVENT_TYPE, OUTBOX_KEY, outbox_metadata
from store.models import OutboxRow
from store.uow import UnitOfWork, UowFactory

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
"""How long a leased row is its sender's before another may take it up."""

Outcome = Sent | RetryLater | PermanentFailure | Skip | Wait


@dataclass
class Delivered:
    """What one pass did: rows sent, left for a retry, failed for good, and settled unsent."""

    sent: int = 0
    deferred: int = 0
    failed: int = 0
    skipped: int = 0
    sent_kinds: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Job:
    """A leased row: the row as read when leased, its message, and the rows it also serves.

    ``uncertain``: an earlier attempt may have reached Slack though no success came back (its
    sender died mid-send, or the connection dropped after the request), so the message is
    looked for in its conversation before it is posted again.
    """

    row: OutboxRow
    message: dict[str, Any] | None
    alike: tuple[int, ...] = ()
    uncertain: bool = False


CARD_GONE = frozenset({"message_not_found"})
"""What ``chat.update`` answers for a card deleted from the channel: it is posted again."""

POSTED = frozenset({Kind.DM, Kind.CHANNEL, Kind.REMINDER, Kind.DIGEST, Kind.POST_CARD})
"""Kinds sent with ``chat.postMessage``: a second post would be a second message, so each
carries its row's metadata (:func:`bot.slack.history.outbox_metadata`) to be found by."""


def deliver_due(
    uow_factory: UowFactory,
    gateway: SlackGateway,
    *,
    now: datetime,
    instance_id: str,
    limit: int = 100,
) -> Delivered:
    """Send the owed rows due at ``now`` (at most ``limit``), each by one sender."""
    result = Delivered()
    with uow_factory(read_only=True) as uow:
        due = [(r.id, r.next_attempt_at) for r in uow.outbox.due(now, limit=limit)]
    for row_id, seen in due:
        if row_id is None or seen is None:
            continue
        job = _lease(uow_factory, row_id, seen, now, instance_id)
        if job is None:
            continue
        outcome = _send(uow_factory, gateway, job, now)
        _record(uow_factory, job, outcome, now, result)
        if isinstance(outcome, PermanentFailure) and outcome.scope is FailureScope.INSTALLATION:
            break
    return result


def _lease(
    uow_factory: UowFactory, row_id: int, seen: datetime, now: datetime, who: str
) -> Job | None:
    """Take the row for this sender in its own transaction; None when another has it."""
    with uow_factory() as uow:
        before = uow.outbox.get(row_id)
        uncertain = before is not None and before.uncertain
        if not uow.outbox.lease(row_id, seen=seen, until=now + LEASE, claimed_by=who):
            uow.rollback()
            return None
        row = uow.outbox.get(row_id)
        assert row is not None
        alike = uow.outbox.alike_due(row, now=now) if row.kind in COALESCED else []
        uow.commit()
    message = json.loads(row.payload) if row.payload else None
    return Job(row, message, tuple(alike), uncertain)


def _send(uow_factory: UowFactory, gateway: SlackGateway, job: Job, now: datetime) -> Outcome:
    """Send the row, unless an earlier attempt whose outcome is unknown did already."""
    if job.uncertain and job.row.kind in POSTED:
        found = _posted_already(gateway, job.row)
        if isinstance(found, Sent):
            if job.row.kind == Kind.POST_CARD and found.ts is not None:
                _store_card(uow_factory, job.row, found, now)
            return found
        if isinstance(found, RetryLater):
            return found
    return _make_call(uow_factory, gateway, job, now)


def _posted_already(gateway: SlackGateway, row: OutboxRow) -> Sent | RetryLater | None:
    """Look the row's message up in its conversation's recent history, by its metadata.

    The newest pages of the conversation are read (:data:`bot.slack.history.HISTORY_MAX_PAGES`),
    not back to the row's time: Slack's ``ts`` is Slack's clock, not ours, and a DM or a board's
    channel does not receive hundreds of messages between two attempts. A lookup Slack refuses
    (the history scopes not granted until the app is reinstalled) is logged and answers "not
    found": the message is sent again, a possible duplicate, rather than never (a reminder must
    not be lost).
    """
    found = gateway.find_by_metadata(row.recipient, OUTBOX_EVENT_TYPE, OUTBOX_KEY, row.id or 0)
    if isinstance(found, PermanentFailure):
        logger.warning("outbox %s: could not look for an earlier send: %s", row.id, found.error)
        return None
    return found


def _make_call(uow_factory: UowFactory, gateway: SlackGateway, job: Job, now: datetime) -> Outcome:
    """Draw the row's message if it is drawn when sent, and make its Slack call."""
    row, attempt = job.row, job.row.attempts + 1
    mark = {"metadata": outbox_metadata(row.id or 0)}
    if row.kind in (Kind.DM, Kind.REMINDER) and not _still_on_board(uow_factory, row):
        if row.kind == Kind.REMINDER:  # a reminder follows the role, not a former holder
            return Skip("no longer on the board")
        return PermanentFailure(NOT_A_MEMBER, FailureScope.RECIPIENT)
    if row.kind == Kind.DM:
        assert job.message is not None
        return gateway.send_dm(row.recipient, **_parts(job.message), attempt=attempt, **mark)
    if row.kind == Kind.CHANNEL:
        assert job.message is not None
        return gateway.post_message(row.recipient, **_parts(job.message), attempt=attempt, **mark)
    if row.kind == Kind.EPHEMERAL:
        assert job.message is not None
        channel = job.message["channel"]
        return gateway.post_ephemeral(
            channel, row.recipient, **_parts(job.message), attempt=attempt
        )
    if row.kind in (Kind.CARD, Kind.POST_CARD):
        return _send_card(uow_factory, gateway, job, now)
    with uow_factory(read_only=True) as uow:
        drawn = _draw(uow, row, now)
    if isinstance(drawn, Skip | Wait):
        return drawn
    if row.kind == Kind.HOME:
        return gateway.publish_home(row.recipient, drawn, attempt=attempt)
    if row.kind == Kind.REMINDER:
        return gateway.send_dm(row.recipient, **_parts(drawn), attempt=attempt, **mark)
    return gateway.post_message(row.recipient, **_parts(drawn), attempt=attempt, **mark)


def _draw(uow: UnitOfWork, row: OutboxRow, now: datetime) -> Any:
    if row.kind == Kind.HOME:
        return draw_home(uow, row.recipient, now)
    if row.kind == Kind.REMINDER:
        return draw_reminder(uow, row, now)
    if row.kind == Kind.DIGEST:
        return draw_digest(uow, row, now)
    return Skip(f"unknown kind {row.kind}"[:60])


def _parts(message: dict[str, Any]) -> dict[str, Any]:
    return {"text": message["text"], "blocks": message.get("blocks")}


def _send_card(uow_factory: UowFactory, gateway: SlackGateway, job: Job, now: datetime) -> Outcome:
    """Redraw the case's one card (``chat.update``), or post it where it has none yet.

    A ``post_card`` row posts in its channel only while the case has no card: a case has one
    canonical card. A redraw of a case whose first post Slack refused for good (the bot not then
    in the channel) posts it in the board's channel, so the card appears with the next step; so
    does a redraw of a card someone deleted (``message_not_found``).
    """
    row, attempt = job.row, job.row.attempts + 1
    with uow_factory(read_only=True) as uow:
        drawn = draw_card(uow, row.case_id, now)
    if drawn is None:
        return Skip("case no longer exists")
    case, card = drawn
    if case.card_ts is not None and case.card_channel is not None:
        if row.kind == Kind.POST_CARD:
            return Skip("the case has its card")
        outcome = gateway.update_message(
            case.card_channel, case.card_ts, **_parts(card), attempt=attempt
        )
        if not (isinstance(outcome, PermanentFailure) and outcome.error in CARD_GONE):
            return outcome
        # Someone deleted the card: post it afresh in the board's channel, and keep that one.
    channel = row.recipient if row.kind == Kind.POST_CARD else case.board_channel
    mark = outbox_metadata(row.id or 0)
    outcome = gateway.post_message(channel, **_parts(card), attempt=attempt, metadata=mark)
    if isinstance(outcome, Sent) and outcome.ts is not None:
        _store_card(uow_factory, row, outcome, now)
    return outcome


def _store_card(uow_factory: UowFactory, row: OutboxRow, posted: Sent, now: datetime) -> None:
    """Store where the case's card was posted, so every later step redraws that one."""
    with uow_factory() as uow:
        case = uow.cases.get(row.case_id) if row.case_id is not None else None
        if case is None or posted.ts is None:
            return
        where = SetCaseCard(case.board_id, case.reference, posted.channel, posted.ts)
        set_case_card(where, uow=uow, now=now)


def _still_on_board(uow_factory: UowFactory, row: OutboxRow) -> bool:
    """Whether a DM's recipient is still an active member of the board it is about.

    A message is owed to a person as a member (the recommendation to the decision-maker, a
    reminder to a deadline's owner); one who has left the board since, or been deactivated in
    the board file while Slack was failing, must not be sent it (PRODUCT.md §Confidentiality:
    only members see a board's cases).
    """
    with uow_factory(read_only=True) as uow:
        member = uow.members.find(row.board_id, row.recipient)
        return member is not None and member.active


def _record(
    uow_factory: UowFactory, job: Job, outcome: Outcome, now: datetime, result: Delivered
) -> None:
    """Record the outcome of a send in its own transaction."""
    with uow_factory() as uow:
        row = uow.outbox.get(job.row.id or 0)
        if row is None or row.sent_at is not None:  # pragma: no cover - rows are never deleted
            return
        _mark(uow, row, job, outcome, now, result)
        uow.commit()


def _mark(
    uow: UnitOfWork, row: OutboxRow, job: Job, outcome: Outcome, now: datetime, result: Delivered
) -> None:
    if isinstance(outcome, Sent):
        uow.outbox.mark_sent(row, now=now, channel=outcome.channel, ts=outcome.ts)
        uow.outbox.settle(job.alike, now=now, note=f"drawn with {row.id}")
        result.sent += 1
        result.sent_kinds.append(row.kind)
    elif isinstance(outcome, Skip):
        uow.outbox.mark_sent(row, now=now, note=outcome.note)
        result.skipped += 1
    elif isinstance(outcome, Wait):
        uow.outbox.defer(row, until=outcome.until)
        result.deferred += 1
    elif isinstance(outcome, RetryLater):
        retry_at = _retry_time(uow, row, now + timedelta(seconds=max(outcome.after_seconds, 1.0)))
        unknown = outcome.unknown_outcome or job.uncertain  # still unknown after a failed lookup
        uow.outbox.mark_failed(row, error=outcome.error, retry_at=retry_at, uncertain=unknown)
        result.deferred += 1
    elif outcome.scope is FailureScope.INSTALLATION:
        # Not the message's fault: keep it owed, with backoff, until the installation is fixed.
        retry_at = _retry_time(uow, row, now + timedelta(seconds=backoff(row.attempts + 1)))
        uow.outbox.mark_failed(row, error=outcome.error, retry_at=retry_at)
        result.deferred += 1
        logger.error("Slack refused the app (%s): fix its token or scopes", outcome.error)
    else:
        uow.outbox.mark_failed(row, error=outcome.error, retry_at=None)
        result.failed += 1
        logger.warning("outbox %s (%s) failed for good: %s", row.id, row.kind, outcome.error)
        tell_business_managers(uow, of_row(uow, row, outcome.error), now=now, about_id=row.id)


def _retry_time(uow: UnitOfWork, row: OutboxRow, wait: datetime) -> datetime:
    """Return when to retry: ``wait``, or for a reminder the next moment in sending hours."""
    if row.kind != Kind.REMINDER:
        return wait
    board = uow.boards.get(row.board_id)
    if board is None:
        return wait
    settings = board_settings(board)
    return next_send_time(wait, settings.calendar, settings.hours)
