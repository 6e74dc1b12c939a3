"""The case card: one canonical message per case in its board's channel, posted and redrawn here.

Every workflow step that changes a case redraws its card through this module, so the card has
one template (``case_card``) and one owner::

    from handlers.cards import post_case_card, refresh_card

    case = post_case_card(client, deps, referred.case)          # after a referral
    refresh_card(client, outcome.case, counts=outcome.counts, deps=deps)   # after a vote

The card names the case by reference and pseudonym only. Its buttons carry the case reference as
their ``value``: the vote buttons and "Declare a conflict" while voting is open, and the one
chair or decision-maker step the state allows (open voting, close voting, record the decision).
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.deps import Deps
from bot.domain.cases import CaseState
from bot.services.cases import SetCaseCard, set_case_card
from bot.services.common import SYSTEM
from bot.services.queries import case_status
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


def post_case_card(
    client: WebClient, deps: Deps, case: CaseRef, *, counts: VoteCounts | None = None
) -> CaseRef:
    """Post the case's card in its board's channel and remember where it is.

    Returns:
        The case with ``card_channel`` and ``card_ts`` set.
    """
    message = case_card_message(case, deadlines=_deadlines(deps, case), counts=counts)
    posted = client.chat_postMessage(channel=case.board_channel, **message)
    with deps.uow_factory() as uow:
        return set_case_card(
            SetCaseCard(case.board_id, case.reference, posted["channel"], posted["ts"]),
            uow=uow,
            now=deps.clock.now(),
        )


def refresh_card(
    client: WebClient,
    case: CaseRef,
    *,
    counts: VoteCounts | None = None,
    deps: Deps | None = None,
    vote_summary: str | None = None,
) -> None:
    """Redraw the case's card in place (``chat.update``); a case with no card is left alone.

    Args:
        client: the Web API client.
        case: the case as the use case returned it (its state and card location).
        counts: the vote count; shown as the board's vote visibility allows.
        deps: when given, the card also shows the case's next deadlines (read afresh).
        vote_summary: a counts line to show instead of the one made from ``counts``.
    """
    if case.card_channel is None or case.card_ts is None:
        return
    deadlines = _deadlines(deps, case) if deps is not None else ()
    message = case_card_message(case, deadlines=deadlines, counts=counts, vote_summary=vote_summary)
    client.chat_update(channel=case.card_channel, ts=case.card_ts, **message)


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


def _deadlines(deps: Deps, case: CaseRef) -> tuple[DeadlineView, ...]:
    with deps.uow_factory() as uow:
        status = case_status(
            case.reference, SYSTEM, uow=uow, today=deps.clock.today(), board_id=case.board_id
        )
    return status.deadlines
