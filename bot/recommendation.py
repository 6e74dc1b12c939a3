"""Closing a vote and the messages it owes, shared by the chair's close and the sweep's.

The recommendation goes by name, privately, to each decision-maker (with the "Record decision"
button) and each sub-group chair who is not also one; the board channel gets the outcome by
reference and pseudonym only; the case card is redrawn closed. Source: PRODUCT.md §Voting,
§Confidentiality.

The messages are owed in the outbox in the close's own transaction and sent after it commits
(:mod:`bot.outbox`): a Slack failure delays them, never loses them. Each is keyed by the case and
the voting round, so a close delivered twice owes them once, and a vote re-opened and closed
again owes them afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.domain.boards import Role
from bot.outbox import CHANNEL, DM, owe
from bot.services.views import RecommendationView
from bot.services.voting import CloseVoting, VotingClosed, close_voting
from bot.slack_gateway import SlackGateway
from bot.steps import owe_card, run_and_send
from bot.undelivered import CLOSING_PREFIX
from messages.render import render_message
from store.uow import UnitOfWork


def recommendation_recipients(uow: UnitOfWork, rec: RecommendationView) -> list[tuple[str, bool]]:
    """Who gets the recommendation by name: each decision-maker, then each sub-group chair.

    Returns ``(slack_id, can_decide)`` pairs, one per person: a chair who is not also a
    decision-maker gets the DM without the "Record decision" button.
    """
    chairs = [m.slack_id for m in uow.members.with_role(rec.case.board_id, Role.CHAIR)]
    recipients = [(user, True) for user in rec.decision_makers]
    recipients += [(user, False) for user in chairs if user not in rec.decision_makers]
    return recipients


def closing_messages(
    uow: UnitOfWork, rec: RecommendationView
) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    """Return the recommendation DMs ``(user, message)`` and the channel notice."""
    dms = [
        (user, render_message("recommendation_dm", rec=rec, can_decide=can_decide))
        for user, can_decide in recommendation_recipients(uow, rec)
    ]
    notice = render_message("voting_closed", case=rec.case, counts=rec.counts)
    return dms, notice


def closing_key(closed: VotingClosed) -> str:
    """Return the dedupe-key prefix of a close's messages: the case and its voting round."""
    return f"{CLOSING_PREFIX}{closed.case_id}:{closed.recommendation.round}"


def owe_closing_messages(uow: UnitOfWork, closed: VotingClosed, now: datetime) -> list[int]:
    """Owe the close's messages in its transaction: the DMs, the notice, the card redraw.

    Returns the ids of the rows written (none for messages this close already owed).
    """
    rec = closed.recommendation
    dms, notice = closing_messages(uow, rec)
    prefix = closing_key(closed)
    where = {"board_id": rec.case.board_id, "case_id": closed.case_id, "now": now}
    owed = [
        owe(uow, key=f"{prefix}:dm:{user}", kind=DM, recipient=user, message=message, **where)
        for user, message in dms
    ]
    channel = rec.case.board_channel
    owed.append(
        owe(uow, key=f"{prefix}:notice", kind=CHANNEL, recipient=channel, message=notice, **where)
    )
    owed += owe_card(uow, rec.case, closed.case_id, f"{prefix}:card", now)
    return [row_id for row_id in owed if row_id is not None]


def close_and_send(
    cmd: CloseVoting,
    *,
    uow_factory: Callable[[], UnitOfWork],
    gateway: SlackGateway,
    now: datetime,
    instance_id: str | None = None,
) -> VotingClosed:
    """Close the vote, owing its messages in the same transaction, then send them at once.

    What Slack does not take now stays owed and goes out on a later scheduler tick.

    Raises:
        DomainError: the close was refused (nothing is owed then).
    """
    return run_and_send(
        lambda uow: close_voting(cmd, uow=uow, now=now, owe=owe_closing_messages),
        uow_factory=uow_factory,
        gateway=gateway,
        now=now,
        instance_id=instance_id,
    )
