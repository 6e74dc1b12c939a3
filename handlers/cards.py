"""The case card: one canonical message per case in its board's channel, posted and redrawn here.

Every listener step that changes a case redraws its card through this module; the card's content
is drawn by :mod:`bot.cards`, which jobs use too, so the card has one template (``case_card``)::

    from handlers.cards import post_case_card, refresh_card

    case = post_case_card(client, deps, referred.case)          # after a referral
    refresh_card(client, outcome.case, counts=outcome.counts, deps=deps)   # after a vote

The card names the case by reference and pseudonym only. Its buttons carry the case reference as
their ``value``: the vote buttons and "Declare a conflict" while voting is open, and the one
chair or decision-maker step the state allows (open voting, close voting, record the decision).
"""

from __future__ import annotations

from slack_sdk import WebClient

from bot.cards import card_deadlines, case_card_message
from bot.deps import Deps
from bot.services.cases import SetCaseCard, set_case_card
from bot.services.views import CaseRef, DeadlineView, VoteCounts


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


def _deadlines(deps: Deps, case: CaseRef) -> tuple[DeadlineView, ...]:
    with deps.uow_factory(read_only=True) as uow:
        return card_deadlines(uow, case, today=deps.clock.today())
