"""The messages that go out when voting closes, shared by the chair's close and the sweep's.

The recommendation goes by name, privately, to each decision-maker (with the "Record decision"
button) and each sub-group chair who is not also one; the board channel gets the outcome by
reference and pseudonym only. Source: PRODUCT.md §Voting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.domain.boards import Role
from bot.services.views import RecommendationView
from messages.render import render_message
from store.uow import UnitOfWork


def recommendation_recipients(
    uow_factory: Callable[[], UnitOfWork], rec: RecommendationView
) -> list[tuple[str, bool]]:
    """Who gets the recommendation by name: each decision-maker, then each sub-group chair.

    Returns ``(slack_id, can_decide)`` pairs, one per person: a chair who is not also a
    decision-maker gets the DM without the "Record decision" button.
    """
    with uow_factory() as uow:
        chairs = [m.slack_id for m in uow.members.with_role(rec.case.board_id, Role.CHAIR)]
    recipients = [(user, True) for user in rec.decision_makers]
    recipients += [(user, False) for user in chairs if user not in rec.decision_makers]
    return recipients


def closing_messages(
    uow_factory: Callable[[], UnitOfWork], rec: RecommendationView
) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    """Return the recommendation DMs ``(user, message)`` and the channel notice."""
    dms = [
        (user, render_message("recommendation_dm", rec=rec, can_decide=can_decide))
        for user, can_decide in recommendation_recipients(uow_factory, rec)
    ]
    notice = render_message("voting_closed", case=rec.case, counts=rec.counts)
    return dms, notice
