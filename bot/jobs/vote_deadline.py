"""Closing a vote at its deadline, as the bot (boards with ``open_voting_on_referral``)."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.domain.errors import DomainError
from bot.services.common import SYSTEM
from bot.services.voting import CloseVoting, close_voting
from store.uow import UowFactory

logger = logging.getLogger(__name__)


def close_at_deadline(
    reference: str, board_id: str, *, uow_factory: UowFactory, now: datetime
) -> bool:
    """Close a vote whose deadline has passed, as the bot; what the close owes is owed with it.

    The case's state is the claim: the sweeper whose close moves it out of voting owes the
    recommendation DMs, the channel notice, the card and the homes (the change's, as the chair's
    close owes, :mod:`bot.notify.owed`); another finds it closed and stops. Source: PRODUCT.md
    §Voting ("or it closes at its deadline").

    Returns:
        Whether this call closed it.
    """
    cmd = CloseVoting(reference, SYSTEM, board_id=board_id)
    try:
        with uow_factory() as uow:
            close_voting(cmd, uow=uow, now=now)
    except DomainError as refusal:
        logger.info("vote on %s not closed at its deadline: %s", reference, type(refusal).__name__)
        return False
    return True
