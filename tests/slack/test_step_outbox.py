"""Opening a vote, a vote, a conflict and a decision owe their Slack messages in the outbox.

A failure in Slack's API never loses a vote, a decision or the messages a step owes: the step is
recorded, what Slack refused stays owed and goes out on a later delivery pass, and the person is
not told their step failed. Source: PRODUCT.md §Voting, §Deadlines and reminders ("not lost if
Slack is down or rate-limits"), §Confidentiality.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.domain.cases import CaseState
from bot.services.cases import SetCaseCard, set_case_card
from messages.ids import ActionId, BlockId
from store.models import BallotRow, ConflictRow, DecisionRow
from tests.fakes.signing import CHANNEL_ID
from tests.fakes.slack_api import dm_channel
from tests.slack import test_close_outbox as close
from tests.slack.interactions import ANA, BEN, GRACE, PRIYA, SUBJECT, click, opened_view, submit
from tests.slack.test_decision import decision_values
from tests.slack.test_voting import vote

pytestmark = pytest.mark.usefixtures("no_sdk_sleep")

tick = close.tick
outbox, accepted, case_state = close.outbox, close.accepted, close.case_state

VOTE_ACTIONS = {
    ActionId.VOTE_STATUTORY,
    ActionId.VOTE_ALTERNATIVE,
    ActionId.VOTE_NFA,
    ActionId.VOTE_MORE_INFO,
    ActionId.DECLARE_CONFLICT,
}
WENT_WRONG = "something went wrong"


@pytest.fixture
def carded(slack_api, ref, uow_factory, clock) -> str:
    """The referred case with its card posted in the board's channel."""
    with uow_factory() as uow:
        set_case_card(
            SetCaseCard("surrey-children", ref, CHANNEL_ID, close.CARD_TS), uow=uow, now=clock.now()
        )
    return ref


@pytest.fixture
def voting(app, slack_api, carded) -> str:
    """The carded case with voting open; the Slack calls so far forgotten."""
    click(app, slack_api, ActionId.OPEN_VOTING, carded, PRIYA)
    slack_api.reset()
    return carded


@pytest.fixture
def closed(app, slack_api, voting) -> str:
    """The carded case with voting closed: Ben, Priya and Ana recommend a statutory review."""
    for user in (BEN, PRIYA, ANA):
        vote(app, slack_api, voting, user, rationale="Met.")
    click(app, slack_api, ActionId.CLOSE_VOTING, voting, PRIYA)
    slack_api.reset()
    return voting


def action_ids(call_args: dict) -> set[str]:
    return {
        element["action_id"]
        for block in call_args["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


def told_failed(slack_api) -> bool:
    """Whether anyone was shown the error message (as if their step had failed)."""
    return any(WENT_WRONG in json.dumps(c.args) for c in slack_api.calls)


def rows(uow_factory, model) -> list:
    with uow_factory() as uow:
        return list(uow.session.exec(select(model)))


def test_opening_voting_while_the_card_update_fails_is_recorded_and_the_card_redrawn_later(
    app, slack_api, carded, uow_factory, clock, tick
):
    slack_api.reset()
    slack_api.fail_next("chat.update", status=500, times=2)  # the call and the client's retry

    response = click(app, slack_api, ActionId.OPEN_VOTING, carded, PRIYA)

    assert response.status == 200
    assert case_state(uow_factory) is CaseState.VOTING
    assert accepted(slack_api, "chat.update") == []
    [card] = outbox(uow_factory, "voting_opened:")
    assert (card.dedupe_key, card.kind, card.recipient) == (
        f"voting_opened:{card.case_id}:1:card",
        "card",
        CHANNEL_ID,
    )
    assert (card.sent_at, card.attempts, card.last_error) == (None, 1, "http_500")
    assert not told_failed(slack_api)

    slack_api.reset()
    clock.advance(timedelta(seconds=31))
    tick()

    [redrawn] = accepted(slack_api, "chat.update")
    assert (redrawn["channel"], redrawn["ts"]) == (CHANNEL_ID, close.CARD_TS)
    assert VOTE_ACTIONS <= action_ids(redrawn)
    assert ActionId.OPEN_VOTING not in action_ids(redrawn)
    assert outbox(uow_factory, "voting_opened:")[0].sent_at is not None
    vote(app, slack_api, carded, BEN)  # members can vote now
    assert len(rows(uow_factory, BallotRow)) == 1
    assert slack_api.violations == []


def test_opening_voting_twice_owes_the_card_once(app, slack_api, carded, uow_factory):
    click(app, slack_api, ActionId.OPEN_VOTING, carded, PRIYA)
    click(app, slack_api, ActionId.OPEN_VOTING, carded, PRIYA)  # refused: already open

    assert len(outbox(uow_factory, "voting_opened:")) == 1
    assert len(accepted(slack_api, "chat.update")) == 1


def test_a_vote_while_the_card_update_fails_is_recorded_confirmed_and_redrawn_later(
    app, slack_api, voting, uow_factory, clock, tick
):
    slack_api.fail_next("chat.update", status=500, times=2)

    vote(app, slack_api, voting, BEN, rationale="Criteria met.")

    [ballot] = rows(uow_factory, BallotRow)
    assert ballot.rationale == "Criteria met."
    [confirmation] = accepted(slack_api, "chat.postEphemeral")
    assert confirmation["user"] == BEN and WENT_WRONG not in json.dumps(confirmation)
    [card] = outbox(uow_factory, "vote_cast:")
    assert card.dedupe_key == f"vote_cast:{card.case_id}:{ballot.id}:card"
    assert (card.kind, card.sent_at, card.last_error) == ("card", None, "http_500")

    slack_api.reset()
    clock.advance(timedelta(seconds=31))
    tick()

    [redrawn] = accepted(slack_api, "chat.update")
    assert VOTE_ACTIONS <= action_ids(redrawn)
    assert "1 of 4 voted" in json.dumps(redrawn)
    assert "Criteria met" not in json.dumps(redrawn)
    assert slack_api.violations == []


def test_each_vote_owes_a_redraw_and_a_redelivered_submission_owes_none_again(
    app, slack_api, voting, uow_factory
):
    vote(app, slack_api, voting, BEN, rationale="Criteria met.")
    form = opened_view(slack_api)
    values = {BlockId.RATIONALE: {"type": "plain_text_input", "value": "Criteria met."}}
    submit(app, form, values, BEN)  # Slack's redelivery of the same submission
    vote(app, slack_api, voting, BEN, ActionId.VOTE_NFA, "Changed my mind.")

    keys = [r.dedupe_key.rsplit(":", 2)[1] for r in outbox(uow_factory, "vote_cast:")]
    assert keys == [str(b.id) for b in rows(uow_factory, BallotRow)]
    assert len(keys) == 2
    assert len(accepted(slack_api, "chat.update")) == 2


def test_a_confirmation_slack_refuses_does_not_tell_the_voter_the_vote_failed(
    app, slack_api, voting, uow_factory
):
    slack_api.fail_next("chat.postEphemeral", status=500, times=2)

    response = vote(app, slack_api, voting, BEN, rationale="Criteria met.")

    assert response.status == 200
    assert len(rows(uow_factory, BallotRow)) == 1
    assert not told_failed(slack_api)
    [redrawn] = accepted(slack_api, "chat.update")  # the owed card still went
    assert "1 of 4 voted" in json.dumps(redrawn)


def test_a_conflict_while_the_card_update_fails_is_recorded_and_the_card_owed(
    app, slack_api, voting, uow_factory, clock, tick
):
    vote(app, slack_api, voting, ANA, rationale="Criteria met.")
    slack_api.reset()
    slack_api.fail_next("chat.update", error="ratelimited", status=429, times=2)

    click(app, slack_api, ActionId.DECLARE_CONFLICT, voting, ANA)
    submit(app, opened_view(slack_api), {BlockId.CONFLICT_REASON: {"value": "Related."}}, ANA)

    [conflict] = rows(uow_factory, ConflictRow)
    [card] = outbox(uow_factory, "conflict_declared:")
    assert card.dedupe_key == f"conflict_declared:{card.case_id}:{conflict.id}:card"
    assert (card.sent_at, card.last_error) == (None, "ratelimited")
    assert not told_failed(slack_api)

    slack_api.reset()
    clock.advance(timedelta(minutes=5))
    tick()
    [redrawn] = accepted(slack_api, "chat.update")
    assert "0 of 3 voted" in json.dumps(redrawn)


def test_a_decision_while_the_channel_post_fails_sends_the_rest_and_the_notice_later(
    app, slack_api, closed, uow_factory, clock, tick
):
    slack_api.fail_next("chat.postMessage", status=500, times=2, when={"channel": CHANNEL_ID})

    click(app, slack_api, ActionId.RECORD_DECISION, closed, GRACE)
    response = submit(app, opened_view(slack_api), decision_values(), GRACE)

    assert response.status == 200 and not told_failed(slack_api)
    assert [d.decided_by for d in rows(uow_factory, DecisionRow)] == [GRACE]
    assert case_state(uow_factory) is CaseState.DECIDED
    owed = outbox(uow_factory, "decision:")
    case_id = owed[0].case_id
    assert [(r.dedupe_key, r.kind, r.recipient, r.sent_at is None) for r in owed] == [
        (f"decision:{case_id}:notice", "channel", CHANNEL_ID, True),
        (f"decision:{case_id}:bm:{BEN}", "dm", BEN, False),
        (f"decision:{case_id}:card", "card", CHANNEL_ID, False),
    ]
    [to_manager] = accepted(slack_api)
    assert to_manager["channel"] == dm_channel(BEN)
    assert "due Mon 9 Mar 2026" in to_manager["text"]
    [card] = accepted(slack_api, "chat.update")
    assert action_ids(card).isdisjoint(VOTE_ACTIONS | {ActionId.RECORD_DECISION})

    slack_api.reset()
    clock.advance(timedelta(seconds=31))
    tick()

    [notice] = [m for m in accepted(slack_api) if not m["text"].startswith("Deadlines for")]
    assert notice["channel"] == CHANNEL_ID
    assert notice["text"] == (
        f"Decision recorded on {closed} (Child A): statutory review, "
        "Local Child Safeguarding Practice Review, decided Mon 2 Mar 2026."
    )
    assert all(r.sent_at is not None for r in outbox(uow_factory, "decision:"))
    assert SUBJECT not in json.dumps([c.args for c in slack_api.calls])
    assert slack_api.violations == []


def test_a_redelivered_decision_owes_and_sends_nothing_twice(
    app, slack_api, closed, uow_factory, clock, tick
):
    click(app, slack_api, ActionId.RECORD_DECISION, closed, GRACE)
    form = opened_view(slack_api)
    submit(app, form, decision_values(), GRACE)
    again = submit(app, form, decision_values(), GRACE)  # Slack's redelivery

    assert again.status == 200 and not told_failed(slack_api)
    assert len(rows(uow_factory, DecisionRow)) == 1
    assert len(outbox(uow_factory, "decision:")) == 3
    clock.advance(timedelta(minutes=5))
    assert tick().delivered == 0
    sent = [m for m in accepted(slack_api) if not m["text"].startswith("Deadlines for")]
    assert [m["channel"] for m in sent] == [CHANNEL_ID, dm_channel(BEN)]
    assert len(accepted(slack_api, "chat.update")) == 1


def test_a_card_slack_says_is_gone_fails_for_good_and_the_business_manager_is_told(
    app, slack_api, carded, uow_factory
):
    slack_api.reset()
    slack_api.fail_next("chat.update", error="message_not_found")

    click(app, slack_api, ActionId.OPEN_VOTING, carded, PRIYA)

    assert case_state(uow_factory) is CaseState.VOTING and not told_failed(slack_api)
    [card] = outbox(uow_factory, "voting_opened:")
    assert (card.sent_at, card.next_attempt_at, card.last_error) == (
        None,
        None,
        "message_not_found",
    )
    [told] = outbox(uow_factory, "undelivered:")
    assert (told.recipient, told.dedupe_key) == (BEN, f"undelivered:outbox:{card.id}:{BEN}")
    assert slack_api.violations == []
