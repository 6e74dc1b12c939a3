"""A listener's step and the messages it owes: owed in the step's transaction, sent at once.

A failure in Slack's API never loses a vote, decision or the messages a step owes (PRODUCT.md
§Deadlines and reminders, "not lost if Slack is down or rate-limits"). So, as closing a vote does
(:mod:`bot.recommendation`), each step here owes its messages in the outbox (:mod:`bot.outbox`)
before it commits, then delivers them right after the commit: in the normal case the person sees
the result at once; what Slack refuses stays owed for the scheduler's next tick. A listener that
must acknowledge between the commit and the sending (a view submission) passes the ``owe_*``
hook to the use case itself and calls :func:`bot.outbox.deliver` with ``owed`` after its ack.

What each step owes, keyed so a step run twice (a redelivered submission) owes it once:

- opening a vote: the card redrawn with the vote buttons (``voting_opened:<case>:<round>:card``);
- a vote, or a conflict: the card redrawn with the new count (``vote_cast:<case>:<ballot>:card``,
  ``conflict_declared:<case>:<conflict>:card``); a card is drawn from the case when it is sent,
  so one owed per step never puts an older state back;
- a decision: the channel notice (``decision:<case>:notice``), each business manager's DM of the
  notifications now due (``decision:<case>:bm:<user>``) and the card (``decision:<case>:card``).

The channel notice and the card name the case by reference and pseudonym only (PRODUCT.md
§Confidentiality). The services stay free of Slack: they take the owing as a hook (``owe``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from bot.outbox import CARD, CHANNEL, DM, deliver, owe
from bot.services.common import Owing
from bot.services.decisions import DecisionRecorded
from bot.services.views import CaseRef
from bot.services.voting import (
    ConflictDeclared,
    OpenVoting,
    VoteCast,
    VotingOpened,
    open_voting,
)
from bot.slack_gateway import SlackGateway
from messages.render import render_message
from store.uow import UnitOfWork

UowFactory = Callable[[], UnitOfWork]

T = TypeVar("T", bound=Owing)


def run_and_send(
    step: Callable[[UnitOfWork], T],
    *,
    uow_factory: UowFactory,
    gateway: SlackGateway,
    now: datetime,
    instance_id: str | None = None,
) -> T:
    """Run ``step`` in a unit of work (it owes its messages and commits), then send them at once.

    Raises:
        DomainError: the step was refused (nothing is owed then).
    """
    with uow_factory() as uow:
        outcome = step(uow)
    deliver(uow_factory, gateway, now=now, ids=outcome.owed, instance_id=instance_id)
    return outcome


def owe_card(uow: UnitOfWork, case: CaseRef, case_id: int, key: str, now: datetime) -> list[int]:
    """Owe the case card's redraw (drawn when it is sent).

    A case with no card (its first post refused for good, the bot not then in the channel) is
    owed one too: the redraw posts it in the board's channel (:func:`bot.outbox.deliver`).
    """
    row_id = owe(
        uow,
        board_id=case.board_id,
        case_id=case_id,
        key=key,
        kind=CARD,
        recipient=case.card_channel or case.board_channel,
        now=now,
    )
    return [row_id] if row_id is not None else []


def owe_opening(uow: UnitOfWork, opened: VotingOpened, now: datetime) -> list[int]:
    """Owe the card redrawn open for votes, once per voting round."""
    key = f"voting_opened:{opened.case_id}:{opened.round}:card"
    return owe_card(uow, opened.case, opened.case_id, key, now)


def owe_vote(uow: UnitOfWork, cast: VoteCast, now: datetime) -> list[int]:
    """Owe the card redrawn with the new count, once per ballot recorded."""
    key = f"vote_cast:{cast.case_id}:{cast.ballot_id}:card"
    return owe_card(uow, cast.case, cast.case_id, key, now)


def owe_conflict(uow: UnitOfWork, declared: ConflictDeclared, now: datetime) -> list[int]:
    """Owe the card redrawn without the member's vote, once per conflict recorded."""
    if declared.conflict_id is None:
        return []
    key = f"conflict_declared:{declared.case_id}:{declared.conflict_id}:card"
    return owe_card(uow, declared.case, declared.case_id, key, now)


def owe_decision(uow: UnitOfWork, done: DecisionRecorded, now: datetime) -> list[int]:
    """Owe the decision's channel notice, each business manager's DM of what is due, the card."""
    case, prefix = done.case, f"decision:{done.case_id}"
    where = {"board_id": case.board_id, "case_id": done.case_id, "now": now}
    notice = render_message("decision_notice", case=case, decision=done.decision)
    due = render_message("notifications_due", case=case, deadlines=done.deadlines)
    owed = [
        owe(
            uow,
            key=f"{prefix}:notice",
            kind=CHANNEL,
            recipient=case.board_channel,
            message=notice,
            **where,
        )
    ]
    owed += [
        owe(uow, key=f"{prefix}:bm:{user}", kind=DM, recipient=user, message=due, **where)
        for user in done.business_managers
    ]
    owed += owe_card(uow, case, done.case_id, f"{prefix}:card", now)
    return [row_id for row_id in owed if row_id is not None]


def open_and_send(
    cmd: OpenVoting, *, uow_factory: UowFactory, gateway: SlackGateway, now: datetime
) -> VotingOpened:
    """Open the vote, owing the card's redraw in the same transaction, then redraw it at once."""
    return run_and_send(
        lambda uow: open_voting(cmd, uow=uow, now=now, owe=owe_opening),
        uow_factory=uow_factory,
        gateway=gateway,
        now=now,
    )
