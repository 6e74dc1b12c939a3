"""The case card drawn from the case as it is now, for the sender (rendered by messages.cards).

The outbox (:mod:`bot.notify`) posts it after a referral (kind ``post_card``) and redraws it after
every later step (kind ``card``), a listener's or a job's, drawing it here when it is sent, so the
card looks the same whoever changed the case and a late retry never shows an older state. The
card names the case by reference and pseudonym only (PRODUCT.md §Confidentiality).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.services.common import SYSTEM
from bot.services.queries import case_status
from bot.services.views import CaseRef, DeadlineView
from messages.cards import case_card_message
from store.uow import UnitOfWork


def card_deadlines(uow: UnitOfWork, case: CaseRef, *, today: date) -> tuple[DeadlineView, ...]:
    """Return the case's open deadlines as of ``today``, soonest first (the card shows three)."""
    status = case_status(case.reference, SYSTEM, uow=uow, today=today, board_id=case.board_id)
    return status.deadlines


def current_card(
    uow: UnitOfWork, board_id: str, reference: str, *, today: date
) -> tuple[CaseRef, dict[str, Any]]:
    """Return the case as it is now and its card drawn from that: state, deadlines and counts.

    A card drawn when it is sent, not when it was owed, so a late retry never puts an older
    state back on the card.
    """
    status = case_status(reference, SYSTEM, uow=uow, today=today, board_id=board_id)
    message = case_card_message(status.case, deadlines=status.deadlines, counts=status.votes)
    return status.case, message
