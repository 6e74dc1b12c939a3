"""Voting through signed Slack payloads: buttons open modals, submissions record ballots.

Opening and closing a vote are in ``tests/handlers/test_voting_open_close.py``.
"""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from bot.domain.votes import Recommendation
from bot.services.cases import SetCaseCard, set_case_card
from messages.ids import ActionId, BlockId, CallbackId
from store.models import BallotRow, ConflictRow
from tests.fakes.signing import CHANNEL_ID
from tests.handlers.interactions import (
    ANA,
    BEN,
    GRACE,
    PRIYA,
    SUBJECT,
    TOM,
    body_of,
    click,
    opened_view,
    submit,
)


@pytest.fixture
def voting(app, slack_api, ref) -> str:
    """Open voting on the referred case, as the chair; return its reference."""
    click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)
    return ref


def vote(
    app,
    slack_api,
    ref,
    user,
    action=ActionId.VOTE_STATUTORY,
    rationale="Criteria met.",
    alternative=None,
):
    click(app, slack_api, action, ref, user)
    values = {BlockId.RATIONALE: {"type": "plain_text_input", "value": rationale}}
    if alternative:
        values[BlockId.ALTERNATIVE_TYPE] = {"selected_option": {"value": alternative}}
    return submit(app, opened_view(slack_api), values, user)


def ballots(uow_factory) -> list[BallotRow]:
    with uow_factory() as uow:
        return list(uow.session.exec(select(BallotRow).order_by(BallotRow.id)))


def ephemeral(slack_api) -> str:
    call = slack_api.last("chat.postEphemeral")
    assert call.args["channel"] == CHANNEL_ID
    return call.args["text"]


def test_a_vote_button_opens_the_rationale_modal_carrying_the_case_reference(
    app, slack_api, voting
):
    click(app, slack_api, ActionId.VOTE_NFA, voting, TOM)
    view = slack_api.last("views.open").args["view"]
    assert view["callback_id"] == CallbackId.VOTE_MODAL
    assert json.loads(view["private_metadata"]) == {
        "case": voting,
        "board": "surrey-children",
        "recommendation": "no_further_action",
        "channel": CHANNEL_ID,
    }
    assert [b["block_id"] for b in view["blocks"]] == [BlockId.CASE_SUMMARY, BlockId.RATIONALE]
    assert view["blocks"][0]["text"]["text"] == f"*{voting}* (Child A): No further action"


def test_the_alternative_review_modal_asks_which_alternative(app, slack_api, voting):
    click(app, slack_api, ActionId.VOTE_ALTERNATIVE, voting, TOM)
    select_block = slack_api.last("views.open").args["view"]["blocks"][1]
    assert select_block["block_id"] == BlockId.ALTERNATIVE_TYPE
    assert [o["value"] for o in select_block["element"]["options"]] == [
        "partnership_review",
        "single_agency_review",
        "multi_agency_audit",
        "learning_review",
    ]


def test_a_submitted_vote_is_recorded_by_name_with_its_rationale(
    app, slack_api, voting, uow_factory
):
    response = vote(
        app, slack_api, voting, ANA, ActionId.VOTE_ALTERNATIVE, "Learning first.", "learning_review"
    )
    assert response.status == 200 and body_of(response) == {}
    [ballot] = ballots(uow_factory)
    assert (ballot.recommendation, ballot.alternative_type.value, ballot.rationale) == (
        Recommendation.ALTERNATIVE_REVIEW,
        "learning_review",
        "Learning first.",
    )
    assert ballot.idempotency_key == opened_view(slack_api)["id"]


def test_a_recorded_vote_is_confirmed_to_the_voter_privately_in_the_cards_channel(
    app, slack_api, voting
):
    vote(app, slack_api, voting, TOM, ActionId.VOTE_NFA, f"Handled by one agency. {SUBJECT}")
    confirmation = slack_api.last("chat.postEphemeral").args
    assert (confirmation["channel"], confirmation["user"]) == (CHANNEL_ID, TOM)
    assert confirmation["text"] == (
        f"Your recommendation on {voting} (Child A) is recorded: No further action. "
        "You can change it until voting closes."
    )
    assert confirmation["blocks"][0]["text"]["text"] == (
        f":white_check_mark: Your recommendation on *{voting}* (Child A) is recorded: "
        "No further action. You can change it until voting closes."
    )
    assert "Handled" not in json.dumps(confirmation) and SUBJECT not in json.dumps(confirmation)


def test_an_alternative_review_vote_confirmation_names_the_alternative(app, slack_api, voting):
    vote(
        app, slack_api, voting, ANA, ActionId.VOTE_ALTERNATIVE, "Learning first.", "learning_review"
    )
    assert slack_api.last("chat.postEphemeral").args["text"] == (
        f"Your recommendation on {voting} (Child A) is recorded: Alternative review "
        "(Learning review). You can change it until voting closes."
    )


def test_the_same_submission_delivered_twice_records_one_ballot(
    app, slack_api, voting, uow_factory
):
    vote(app, slack_api, voting, TOM)
    values = {BlockId.RATIONALE: {"value": "Criteria met."}}
    again = submit(app, opened_view(slack_api), values, TOM)
    assert again.status == 200 and body_of(again) == {}
    assert len(ballots(uow_factory)) == 1
    assert len(slack_api.calls_to("chat.postEphemeral")) == 1  # confirmed once


def test_an_empty_rationale_is_a_field_error_and_records_nothing(
    app, slack_api, voting, uow_factory
):
    response = vote(app, slack_api, voting, TOM, rationale="   ")
    assert body_of(response) == {
        "response_action": "errors",
        "errors": {"rationale": "Please give the rationale for your recommendation."},
    }
    assert ballots(uow_factory) == []


def test_a_rationale_over_3000_characters_is_a_field_error(app, slack_api, voting, uow_factory):
    response = vote(app, slack_api, voting, TOM, rationale="x" * 3001)
    assert body_of(response)["errors"] == {
        "rationale": "Please keep the rationale to 3,000 characters or fewer."
    }
    assert ballots(uow_factory) == []


def test_someone_not_on_the_board_is_told_privately_and_no_modal_opens(app, slack_api, voting):
    click(app, slack_api, ActionId.VOTE_STATUTORY, voting, "U0STRANGER")
    assert "views.open" not in slack_api.methods()
    assert ephemeral(slack_api) == f"I can't find case {voting} on any board you belong to."
    assert slack_api.last("chat.postEphemeral").args["user"] == "U0STRANGER"


def test_the_decision_maker_without_a_member_role_may_not_vote(app, slack_api, voting):
    click(app, slack_api, ActionId.VOTE_STATUTORY, voting, GRACE)
    assert ephemeral(slack_api) == (
        "Only the sub-group's members and chair vote on a recommendation."
    )
    assert "views.open" not in slack_api.methods()


def test_a_vote_before_voting_opens_is_refused(app, slack_api, ref):
    click(app, slack_api, ActionId.VOTE_STATUTORY, ref, TOM)
    assert ephemeral(slack_api) == "Voting on this case is not open."


def test_a_conflicted_member_cannot_open_the_vote_modal(app, slack_api, voting, uow_factory):
    click(app, slack_api, ActionId.DECLARE_CONFLICT, voting, TOM)
    submit(
        app, opened_view(slack_api), {BlockId.CONFLICT_REASON: {"value": "I know the family."}}, TOM
    )
    click(app, slack_api, ActionId.VOTE_STATUTORY, voting, TOM)
    assert ephemeral(slack_api) == (
        "You declared a conflict on this case, so you do not vote on it."
    )
    with uow_factory() as uow:
        [conflict] = uow.session.exec(select(ConflictRow)).all()
    assert conflict.reason == "I know the family."


def test_a_submission_refused_by_the_rules_pushes_the_reason_over_the_form(
    app, slack_api, voting, uow_factory
):
    click(app, slack_api, ActionId.VOTE_STATUTORY, voting, TOM)
    form = opened_view(slack_api)
    click(app, slack_api, ActionId.DECLARE_CONFLICT, voting, TOM)
    submit(app, opened_view(slack_api), {BlockId.CONFLICT_REASON: {"value": "Related."}}, TOM)
    response = submit(app, form, {BlockId.RATIONALE: {"value": "Criteria met."}}, TOM)
    pushed = body_of(response)
    assert pushed["response_action"] == "push"
    assert pushed["view"]["blocks"][0]["text"]["text"] == (
        ":warning: You declared a conflict on this case, so you do not vote on it."
    )
    assert ballots(uow_factory) == []


def test_a_vote_redraws_the_card_with_turnout_only_until_voting_closes(
    app, slack_api, voting, uow_factory, clock
):
    with uow_factory() as uow:
        set_case_card(
            SetCaseCard("surrey-children", voting, CHANNEL_ID, "1767000000.000100"),
            uow=uow,
            now=clock.now(),
        )
    vote(app, slack_api, voting, TOM, ActionId.VOTE_NFA, "Handled by one agency.")
    card = slack_api.last("chat.update")
    assert (card.args["channel"], card.args["ts"]) == (CHANNEL_ID, "1767000000.000100")
    card_text = json.dumps(card.args)
    assert "1 of 4 voted; the counts are shown when voting closes." in card_text
    assert "No further action 1" not in card_text and "Tom" not in card_text
    for user in (BEN, PRIYA):
        vote(app, slack_api, voting, user)
    click(app, slack_api, ActionId.CLOSE_VOTING, voting, PRIYA)
    closed_card = json.dumps(slack_api.last("chat.update").args)
    assert "Statutory review 2, No further action 1 (3 of 4 voted)." in closed_card
