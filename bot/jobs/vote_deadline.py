"""Closing a vote at its deadline, as the bot (boards with ``open_voting_on_referral``)."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.domain.errors import DomainError
from bot.home import home_views
from bot.jobs.views import UowFactory
from bot.recommendation import close_and_send
from bot.services.common import SYSTEM, today_of
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
    _refresh_homes(uow_factory, gateway, board_id, now)  # pending votes vanish for everyone
    return True


def _refresh_homes(
    uow_factory: UowFactory, gateway: SlackGateway, board_id: str, now: datetime
) -> None:
    """Re-publish the board's members' App Homes; a failure is the gateway's to log, no more."""
    try:
        views = home_views(uow_factory, today_of(now), board_id=board_id)
    except Exception as exc:  # noqa: BLE001 - the vote is closed; homes refresh on open
        logger.warning("App Home refresh after closing failed: %s", type(exc).__name__)
        return
    for user, view in views:
        gateway.publish_home(user, view)
