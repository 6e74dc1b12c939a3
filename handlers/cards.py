"""The case card: one canonical message per case in its board's channel, posted here.

A referral posts the card through this module; a later step that changes the case owes the
card's redraw in the outbox with the step (:mod:`bot.steps`, :mod:`bot.recommendation`), drawn
when it is sent. The card's content is drawn by :mod:`bot.cards`, for listeners and jobs alike,
so the card has one template (``case_card``)::

    from handlers.cards import post_case_card

    case = post_case_card(client, deps, referred.case)          # after a referral

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


def _deadlines(deps: Deps, case: CaseRef) -> tuple[DeadlineView, ...]:
    with deps.uow_factory(read_only=True) as uow:
        return card_deadlines(uow, case, today=deps.clock.today())
