"""The case card's content: one template (``case_card``), drawn for listeners and jobs alike.

The outbox (:mod:`bot.notify`) posts it after a referral (kind ``post_card``) and redraws it after
every later step (kind ``card``), a listener's or a job's, drawing it here when it is sent, so the
card looks the same whoever changed the case and a late retry never shows an older state. The
card names the case by reference and pseudonym only (PRODUCT.md §Confidentiality).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.domain.cases import CaseState
from bot.services.common import SYSTEM
from bot.services.queries import case_status
from bot.services.views import CaseRef, DeadlineView, VoteCounts
from messages.ids import ActionId
from messages.render import render_message
from store.uow import UnitOfWork

NEXT_DEADLINES = 3
"""How many of the soonest open deadlines the card shows."""

CHAIR_ACTIONS: dict[CaseState, tuple[ActionId, str]] = {
    CaseState.REFERRED: (ActionId.OPEN_VOTING, "Open voting"),
    CaseState.GATHERING: (ActionId.OPEN_VOTING, "Open voting"),
    CaseState.VOTING: (ActionId.CLOSE_VOTING, "Close voting"),
    CaseState.AWAITING_DECISION: (ActionId.RECORD_DECISION, "Record the decision"),
}
"""The one step button (action, label) the card shows in each state; its listener checks roles."""


def case_card_message(
    case: CaseRef,
    *,
    deadlines: tuple[DeadlineView, ...] = (),
    counts: VoteCounts | None = None,
    vote_summary: str | None = None,
) -> dict[str, Any]:
    """Render the card's ``text`` and ``blocks`` from view models (no identifying details)."""
    if vote_summary is None and counts is not None:
        vote_summary = summarise_votes(counts)
    return render_message(
        "case_card",
        case=case,
        deadlines=deadlines[:NEXT_DEADLINES],
        voting_open=case.state is CaseState.VOTING,
        chair_action=CHAIR_ACTIONS.get(case.state),
        vote_summary=vote_summary,
    )


def summarise_votes(counts: VoteCounts, *, show_counts: bool | None = None) -> str:
    """Return the counts line: per option when they may be seen, else only the turnout.

    Source: PRODUCT.md §Voting (the channel sees counts only, or nothing until close; names and
    rationales go only to the chair and the decision-maker).

    Args:
        counts: the vote's count.
        show_counts: whether the reader may see the counts per option; by default, whether the
            board's channel may (the card). A private answer passes the asker's own right.
    """
    turnout = f"{counts.cast} of {counts.eligible} voted"
    if show_counts is None:
        show_counts = counts.channel_may_see_counts
    if not show_counts:
        return f"{turnout}; the counts are shown when voting closes."
    per_option = ", ".join(f"{r.label} {n}" for r, n in counts.counts.items() if n)
    return f"{per_option or 'No votes yet'} ({turnout})."


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
