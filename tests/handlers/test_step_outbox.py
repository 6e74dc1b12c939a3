"""Opening a vote, a vote, a conflict and a decision owe their Slack messages in the outbox.

A failure in Slack's API never loses a vote, a decision or the messages a step owes: the step is
recorded, what Slack refused stays owed and goes out on a later pass of the sender, and the
person is not told their step failed. Source: PRODUCT.md §Voting, §Deadlines and reminders
("not lost if Slack is down or rate-limits"), §Confidentiality.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.domain.cases import CaseState
from bot.notify.sender import Sender
from bot.slack.client import make_web_client
from bot.slack.gateway import SlackGateway
from messages.ids import ActionId, BlockId
from store.models import BallotRow, ConflictRow, DecisionRow, OutboxRow
from tests.fakes.signing import CHANNEL_ID
from tests.fakes.slack_api import dm_channel
from tests.handlers.interactions import (
    ANA,
    BEN,
    CARD_TS,
    GRACE,
    PRIYA,
    SUBJECT,
    click,
    opened_view,
    submit,
)
from tests.handlers.test_close_outbox import accepted, case_state, change_ids, outbox, owes
from tests.handlers.test_decision import decision_values
from tests.handlers.test_voting import vote

pytestmark = pytest.mark.usefixtures("no_sdk_sleep")

VOTE_ACTIONS = {
    ActionId.VOTE_STATUTORY,
    ActionId.VOTE_ALTERNATIVE,
    ActionId.VOTE_NFA,
    ActionId.VOTE_MORE_INFO,
    ActionId.DECLARE_CONFLICT,
}
WENT_WRONG = "something went wrong"
CARD = ("card", "case_card", CHANNEL_ID)
SUMMARY = ":ballot_box_with_ballot: {} of {} voted; the counts are shown when voting closes."


@pytest.fixture
def later(uow_factory, slack_settings, clock):
    """Send what is due now, as the sender's next pass would: a process with its own gateway."""
    gateway = SlackGateway(
        make_web_client(slack_settings), sleep=lambda s: None, min_interval_per_channel=0
    )
    return lambda: Sender(uow_factory, gateway, clock, instance_id="later").drain()


@pytest.fixture
def voting(app, slack_api, ref) -> str:
    """The referred case, its card in the channel, with voting open; the Slack calls forgotten."""
    click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)
    slack_api.reset()
    return ref


@pytest.fixture
def closed(app, slack_api, voting) -> str:
    """The case with voting closed: Ben, Priya and Ana recommend a statutory review."""
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
    app, slack_api, ref, uow_factory, clock, later
):
    slack_api.fail_next("chat.update", status=500, times=2)  # the call and the client's retry

    response = click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)

    assert response.status == 200 and not told_failed(slack_api)
    assert case_state(uow_factory) is CaseState.VOTING
    assert accepted(slack_api, "chat.update") == []
    [card] = [r for r in outbox(uow_factory, "voting_opened") if r.kind == "card"]
    assert (card.template, card.recipient, card.payload) == ("case_card", CHANNEL_ID, None)
    assert [card.change_id] == change_ids(uow_factory, "voting_opened")
    assert (card.sent_at, card.attempts, card.last_error) == (None, 1, "http_500")
    assert card.next_attempt_at == clock.now() + timedelta(seconds=30)

    slack_api.reset()
    clock.advance(timedelta(seconds=31))
    assert later().sent == 1

    [redrawn] = accepted(slack_api, "chat.update")
    assert (redrawn["channel"], redrawn["ts"]) == (CHANNEL_ID, CARD_TS)
    assert VOTE_ACTIONS <= action_ids(redrawn)
    assert ActionId.OPEN_VOTING not in action_ids(redrawn)
    assert outbox(uow_factory, "voting_opened")[0].sent_at == clock.now()
    vote(app, slack_api, ref, BEN)  # members can vote now
    assert len(rows(uow_factory, BallotRow)) == 1


def test_opening_voting_twice_owes_the_card_once(app, slack_api, ref, uow_factory):
    click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)
    click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)  # refused: already open

    assert len(change_ids(uow_factory, "voting_opened")) == 1
    assert owes(outbox(uow_factory, "voting_opened")) == [CARD]
    [redrawn] = accepted(slack_api, "chat.update")
    assert VOTE_ACTIONS <= action_ids(redrawn)


def test_a_vote_while_the_card_update_fails_is_recorded_confirmed_and_redrawn_later(
    app, slack_api, voting, uow_factory, clock, later
):
    slack_api.fail_next("chat.update", status=500, times=2)

    vote(app, slack_api, voting, BEN, rationale="Criteria met.")

    [ballot] = rows(uow_factory, BallotRow)
    assert ballot.rationale == "Criteria met."
    [confirmation] = accepted(slack_api, "chat.postEphemeral")
    assert (confirmation["channel"], confirmation["user"]) == (CHANNEL_ID, BEN)
    assert confirmation["text"].startswith(f"Your recommendation on {voting} (Child A) is recorded")
    assert not told_failed(slack_api)
    owed = outbox(uow_factory, "vote_cast")
    assert owes(owed) == [CARD, ("ephemeral", "vote_recorded", BEN)]
    assert [r.recipient for r in owed if r.kind == "home"] == [BEN]  # their pending votes
    card = owed[0]
    assert (card.sent_at, card.last_error) == (None, "http_500")

    slack_api.reset()
    clock.advance(timedelta(seconds=31))
    later()

    [redrawn] = accepted(slack_api, "chat.update")
    assert VOTE_ACTIONS <= action_ids(redrawn)
    assert SUMMARY.format(1, 4) in json.dumps(redrawn["blocks"])
    assert "Criteria met" not in json.dumps(redrawn)
    assert slack_api.calls_to("chat.postEphemeral") == []  # confirmed once


def test_each_vote_owes_a_redraw_and_a_redelivered_submission_owes_none_again(
    app, slack_api, voting, uow_factory
):
    vote(app, slack_api, voting, BEN, rationale="Criteria met.")
    form = opened_view(slack_api)
    values = {BlockId.RATIONALE: {"type": "plain_text_input", "value": "Criteria met."}}
    submit(app, form, values, BEN)  # Slack's redelivery of the same submission
    vote(app, slack_api, voting, BEN, ActionId.VOTE_NFA, "Changed my mind.")

    first, second = change_ids(uow_factory, "vote_cast")
    owed = outbox(uow_factory, "vote_cast")
    confirmed = [CARD, ("ephemeral", "vote_recorded", BEN)]
    assert owes([r for r in owed if r.change_id == first]) == confirmed
    assert owes([r for r in owed if r.change_id == second]) == confirmed
    assert len(rows(uow_factory, BallotRow)) == 2  # the vote and its change
    assert all(r.sent_at is not None for r in owed)
    redrawn = [json.dumps(c["blocks"]) for c in accepted(slack_api, "chat.update")]
    assert len(redrawn) == 2  # one per vote, none for the redelivery
    assert all(SUMMARY.format(1, 4) in blocks for blocks in redrawn)
    confirmations = [c["text"] for c in accepted(slack_api, "chat.postEphemeral")]
    assert len(confirmations) == 2 and "No further action" in confirmations[1]


def test_a_confirmation_slack_refuses_is_owed_and_never_tells_the_voter_the_vote_failed(
    app, slack_api, voting, uow_factory, clock, later
):
    slack_api.fail_next("chat.postEphemeral", status=500, times=2)

    response = vote(app, slack_api, voting, BEN, rationale="Criteria met.")

    assert response.status == 200 and not told_failed(slack_api)
    assert len(rows(uow_factory, BallotRow)) == 1
    [redrawn] = accepted(slack_api, "chat.update")  # the owed card still went
    assert SUMMARY.format(1, 4) in json.dumps(redrawn["blocks"])
    [confirmation] = [r for r in outbox(uow_factory, "vote_cast") if r.kind == "ephemeral"]
    assert (confirmation.sent_at, confirmation.last_error) == (None, "http_500")

    clock.advance(timedelta(seconds=31))
    later()
    [shown] = accepted(slack_api, "chat.postEphemeral")
    assert (shown["channel"], shown["user"]) == (CHANNEL_ID, BEN)
    assert shown["text"].startswith(f"Your recommendation on {voting} (Child A) is recorded")


def test_a_conflict_while_the_card_update_fails_is_recorded_and_the_card_owed(
    app, slack_api, voting, uow_factory, clock, later
):
    vote(app, slack_api, voting, ANA, rationale="Criteria met.")
    slack_api.reset()
    slack_api.fail_next("chat.update", error="ratelimited", status=429, times=2)

    click(app, slack_api, ActionId.DECLARE_CONFLICT, voting, ANA)
    submit(app, opened_view(slack_api), {BlockId.CONFLICT_REASON: {"value": "Related."}}, ANA)

    [conflict] = rows(uow_factory, ConflictRow)
    assert conflict.reason == "Related."
    owed = outbox(uow_factory, "conflict_declared")
    assert owes(owed) == [CARD]
    assert [r.recipient for r in owed if r.kind == "home"] == [ANA]
    assert (owed[0].sent_at, owed[0].last_error) == (None, "ratelimited")
    assert not told_failed(slack_api)

    slack_api.reset()
    clock.advance(timedelta(minutes=5))
    later()
    [redrawn] = accepted(slack_api, "chat.update")
    assert (redrawn["channel"], redrawn["ts"]) == (CHANNEL_ID, CARD_TS)
    assert SUMMARY.format(0, 3) in json.dumps(redrawn["blocks"])  # Ana out


def test_a_decision_while_the_channel_post_fails_sends_the_rest_and_the_notice_later(
    app, slack_api, closed, uow_factory, clock, later
):
    # once: the client does not resend a post Slack may have taken
    slack_api.fail_next("chat.postMessage", status=500, when={"channel": CHANNEL_ID})

    click(app, slack_api, ActionId.RECORD_DECISION, closed, GRACE)
    response = submit(app, opened_view(slack_api), decision_values(), GRACE)

    assert response.status == 200 and not told_failed(slack_api)
    assert [d.decided_by for d in rows(uow_factory, DecisionRow)] == [GRACE]
    assert case_state(uow_factory) is CaseState.DECIDED
    owed = outbox(uow_factory, "decision_recorded")
    assert [(*o, r.sent_at is None) for o, r in zip(owes(owed), owed, strict=False)] == [
        ("channel", "decision_notice", CHANNEL_ID, True),
        ("dm", "notifications_due", BEN, False),
        (*CARD, False),
    ]
    [to_manager] = accepted(slack_api)
    assert to_manager["channel"] == dm_channel(BEN)
    assert "due Mon 9 Mar 2026" in to_manager["text"]
    [card] = accepted(slack_api, "chat.update")
    assert action_ids(card).isdisjoint(VOTE_ACTIONS | {ActionId.RECORD_DECISION})

    slack_api.reset()
    clock.advance(timedelta(seconds=31))
    assert later().sent == 1

    [lookup] = slack_api.calls_to("conversations.history")  # looked for first: not there
    assert lookup.args["channel"] == CHANNEL_ID
    [notice] = accepted(slack_api)
    assert notice["channel"] == CHANNEL_ID
    assert notice["text"] == (
        f"Decision recorded on {closed} (Child A): statutory review, "
        "Local Child Safeguarding Practice Review, decided Mon 2 Mar 2026."
    )
    assert all(r.sent_at is not None for r in outbox(uow_factory, "decision_recorded"))
    assert SUBJECT not in json.dumps([c.args for c in slack_api.calls])


def test_a_redelivered_decision_owes_and_sends_nothing_twice(
    app, slack_api, closed, uow_factory, clock, later
):
    click(app, slack_api, ActionId.RECORD_DECISION, closed, GRACE)
    form = opened_view(slack_api)
    submit(app, form, decision_values(), GRACE)
    again = submit(app, form, decision_values(), GRACE)  # Slack's redelivery

    assert again.status == 200 and not told_failed(slack_api)
    assert len(rows(uow_factory, DecisionRow)) == 1
    assert len(change_ids(uow_factory, "decision_recorded")) == 1
    assert owes(outbox(uow_factory, "decision_recorded")) == [
        ("channel", "decision_notice", CHANNEL_ID),
        ("dm", "notifications_due", BEN),
        CARD,
    ]
    clock.advance(timedelta(minutes=5))
    assert later().sent == 0
    assert [m["channel"] for m in accepted(slack_api)] == [CHANNEL_ID, dm_channel(BEN)]
    assert len(accepted(slack_api, "chat.update")) == 1


def test_a_card_someone_deleted_is_posted_afresh_and_the_case_keeps_the_new_one(
    app, slack_api, ref, uow_factory, clock, later
):
    slack_api.fail_next("chat.update", error="message_not_found")

    click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)

    assert case_state(uow_factory) is CaseState.VOTING and not told_failed(slack_api)
    [card] = [r for r in outbox(uow_factory, "voting_opened") if r.kind == "card"]
    [post] = [c for c in slack_api.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL_ID]
    ts = post.response["ts"]
    assert (card.sent_at is not None, card.last_error, card.ts) == (True, None, ts)
    with uow_factory() as uow:
        case = uow.cases.get(card.case_id)
    assert (case.card_channel, case.card_ts) == (CHANNEL_ID, ts)
    assert ActionId.VOTE_STATUTORY in json.dumps(post.args["blocks"])  # drawn as it is now
    assert not [r for r in rows(uow_factory, OutboxRow) if r.about_id == card.id]
    clock.advance(timedelta(hours=1))
    assert later().sent == 0  # posted once
