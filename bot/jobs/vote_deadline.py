"""Closing a vote at its deadline, as the bot (boards with ``open_voting_on_referral``)."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.domain.errors import DomainError
from bot.jobs.views import (
    UowFactory,
)
from bot.recommendation import closing_messages
from bot.services.common import SYSTEM
from bot.services.voting import CloseVoting, close_voting
from bot.slack_gateway import PermanentFailure, RetryLater, SlackGateway

logger = logging.getLogger(__name__)


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
    return True
