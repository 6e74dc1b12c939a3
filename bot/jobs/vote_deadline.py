"""Closing a vote at its deadline, as the bot (boards with ``open_voting_on_referral``)."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.domain.errors import DomainError
from bot.jobs.views import UowFactory
from bot.recommendation import close_and_send
from bot.services.common import SYSTEM
from bot.services.voting import CloseVoting
from bot.slack_gateway import SlackGateway

logger = logging.getLogger(__name__)


def close_at_deadline(
    reference: str,
    board_id: str,
    *,
    uow_factory: UowFactory,
    gateway: SlackGateway,
    now: datetime,
    instance_id: str | None = None,
) -> bool:
    """Close a vote whose deadline has passed, as the bot, and send what the close owes.

    The case's state is the claim: the sweeper whose close moves it out of voting owes the
    recommendation DMs, the channel notice and the card redraw (the same as the chair's close,
    :func:`bot.recommendation.close_and_send`); another finds it closed and stops. What Slack
    does not take now stays in the outbox for a later tick. Source: PRODUCT.md §Voting ("or it
    closes at its deadline").

    Returns:
        Whether this call closed it.
    """
    cmd = CloseVoting(reference, SYSTEM, board_id=board_id)
    try:
        close_and_send(
            cmd, uow_factory=uow_factory, gateway=gateway, now=now, instance_id=instance_id
        )
    except DomainError as refusal:
        logger.info("vote on %s not closed at its deadline: %s", reference, type(refusal).__name__)
        return False
    return True
