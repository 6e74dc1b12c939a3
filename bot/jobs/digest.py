"""Each board's daily channel digest: due-soon and overdue deadlines, by reference only."""

from __future__ import annotations

from datetime import date

from bot.clock import Clock
from bot.domain.deadlines import working_days_left
from bot.domain.reminders import (
    digest_due,
    digest_key,
    local_time,
)
from bot.jobs.views import (
    BoardSettings,
    DigestLine,
    UowFactory,
    board_settings,
)
from bot.outbox import tell_business_managers
from bot.slack_gateway import FailureScope, PermanentFailure, RetryLater, SlackGateway
from bot.undelivered import Undelivered, What
from messages.render import render_message
from store.uow import UnitOfWork

DIGEST_DAYS_AHEAD = 5
"""Working days ahead the digest lists as "due soon" (casedesk's choice)."""


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
    A post Slack refuses for good (the channel archived, the bot removed from it) is told to the
    business managers (:func:`bot.outbox.tell_business_managers`), once per board and day.
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
        board = board_settings(row)
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
                    if outcome.scope is not FailureScope.INSTALLATION:
                        failure = Undelivered(
                            f"digest:{board.id}:{today.isoformat()}",
                            board.id,
                            None,
                            What.DIGEST,
                            board.channel,
                            outcome.error,
                        )
                        tell_business_managers(uow, failure, now=now)
                uow.dispatches.mark_board_sent(claimed, now=now)
        uow.commit()
    return not isinstance(outcome, RetryLater | PermanentFailure)


def _digest_lines(
    uow: UnitOfWork, board: BoardSettings, today: date
) -> tuple[list[DigestLine], list[DigestLine]]:
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
