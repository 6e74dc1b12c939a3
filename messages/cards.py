"""The case card's content, rendered from view models: one template (``case_card``).

Drawn by the sender when it sends a card (:mod:`bot.notify.cards`), so the card looks the same
whoever changed the case; the vote summary is shared with ``/review status``. The card names the
case by reference and pseudonym only (PRODUCT.md §Confidentiality).
"""

from __future__ import annotations

from typing import Any

from bot.domain.cases import CaseState
from bot.services.views import CaseRef, DeadlineView, VoteCounts
from messages.ids import ActionId
from messages.render import render_message

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
