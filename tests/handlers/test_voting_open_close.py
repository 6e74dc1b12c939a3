"""Opening and closing a vote, by button and by ``/review open|close``: who may, the quorum, and
what closing sends (every vote by name to the decision-maker and the chair, the count alone to the
channel).
"""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from bot.domain.cases import CaseState
from bot.domain.votes import Recommendation
from messages.ids import ActionId, BlockId
from store.models import AuditEventRow, CaseRow
from tests.fakes.signing import CHANNEL_ID, bolt_request, slash_command_body
from tests.fakes.slack_api import dm_channel
from tests.handlers.interactions import (
    ANA,
    BEN,
    GRACE,
    PRIYA,
    SAM,
    SUBJECT,
    TOM,
    click,
    command_answer,
    opened_view,
    submit,
)
from tests.handlers.test_voting import ballots, ephemeral, vote


@pytest.fixture
def voting(app, slack_api, ref) -> str:
    """Open voting on the referred case, as the chair; return its reference."""
    click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)
    return ref


def test_only_the_chair_opens_voting(app, slack_api, ref, uow_factory):
    click(app, slack_api, ActionId.OPEN_VOTING, ref, TOM)
    assert ephemeral(slack_api) == f"Only the sub-group chair can open voting on {ref}."
    with uow_factory() as uow:
        assert uow.session.exec(select(CaseRow)).one().state is not CaseState.VOTING


def test_closing_sends_the_decision_maker_every_vote_by_name_and_the_channel_only_the_count(
    app, slack_api, voting, uow_factory
):
    vote(app, slack_api, voting, BEN, ActionId.VOTE_NFA, "Single-agency issue.")
    vote(app, slack_api, voting, BEN, ActionId.VOTE_STATUTORY, "Changed: criteria met.")
    vote(app, slack_api, voting, PRIYA, rationale="Serious harm, agencies involved.")
    vote(app, slack_api, voting, ANA, ActionId.VOTE_NFA, "Already learned from.")
    click(app, slack_api, ActionId.DECLARE_CONFLICT, voting, TOM)
    submit(app, opened_view(slack_api), {BlockId.CONFLICT_REASON: {"value": "Related."}}, TOM)
    click(app, slack_api, ActionId.VOTE_STATUTORY, voting, SAM)  # admin: refused
    click(app, slack_api, ActionId.CLOSE_VOTING, voting, PRIYA)

    assert [(b.version, b.recommendation) for b in ballots(uow_factory)][:2] == [
        (1, Recommendation.NO_FURTHER_ACTION),
        (2, Recommendation.STATUTORY_REVIEW),
    ]
    assert [c.args["users"] for c in slack_api.calls_to("conversations.open")] == [GRACE, PRIYA]
    dm = slack_api.calls_to("chat.postMessage")[0]
    assert dm.args["channel"] == dm_channel(GRACE)
    texts = [b["text"]["text"] for b in dm.args["blocks"] if b["type"] == "section"]
    assert texts[0] == (
        f"*{voting}* (Child A). Statutory review by a majority: 3 of 3 eligible members voted."
    )
    assert texts[1:4] == [
        "*Ben Okafor* (Surrey County Council): Statutory review\nChanged: criteria met.",
        "*Priya Raman* (Surrey Police): Statutory review\nSerious harm, agencies involved.",
        "*Ana Kowalski* (Surrey County Council Children's Services): No further action "
        "(dissent)\nAlready learned from.",
    ]
    assert texts[4] == "*Conflicts declared:* Tom Hughes"
    assert dm.args["blocks"][-1]["elements"][0]["action_id"] == ActionId.RECORD_DECISION
    assert dm.args["blocks"][-1]["elements"][0]["value"] == voting
    notice = slack_api.calls_to("chat.postMessage")[2]
    assert notice.args["channel"] == CHANNEL_ID
    assert notice.args["text"] == (
        f"Voting on {voting} (Child A) has closed: Statutory review, 3 of 3 voted."
    )
    channel_text = json.dumps(notice.args)
    assert "Ana" not in channel_text and "Okafor" not in channel_text
    assert SUBJECT not in json.dumps([c.args for c in slack_api.calls])


def test_the_chair_gets_the_same_recommendation_by_name_without_the_record_decision_button(
    app, slack_api, voting
):
    vote(app, slack_api, voting, BEN, rationale="Criteria met.")
    vote(app, slack_api, voting, PRIYA, rationale="Serious harm.")
    vote(app, slack_api, voting, ANA, ActionId.VOTE_NFA, "Already learned from.")
    slack_api.reset()
    click(app, slack_api, ActionId.CLOSE_VOTING, voting, PRIYA)

    to_grace, to_priya, notice = slack_api.calls_to("chat.postMessage")
    assert (to_grace.args["channel"], to_priya.args["channel"], notice.args["channel"]) == (
        dm_channel(GRACE),
        dm_channel(PRIYA),
        CHANNEL_ID,
    )
    assert (
        to_priya.args["text"]
        == to_grace.args["text"]
        == (
            f"Recommendation on {voting} (Child A): Statutory review, 3 of 4 voted.\n"
            "Ben Okafor: Statutory review\nPriya Raman: Statutory review\n"
            "Ana Kowalski: No further action (dissent)"
        )
    )
    chair_texts = [b["text"]["text"] for b in to_priya.args["blocks"] if b["type"] == "section"]
    assert chair_texts == [
        f"*{voting}* (Child A). Statutory review by a majority: 3 of 4 eligible members voted.",
        "*Ben Okafor* (Surrey County Council): Statutory review\nCriteria met.",
        "*Priya Raman* (Surrey Police): Statutory review\nSerious harm.",
        "*Ana Kowalski* (Surrey County Council Children's Services): No further action "
        "(dissent)\nAlready learned from.",
    ]
    assert [b["type"] for b in to_priya.args["blocks"]][-1] == "context"
    assert ActionId.RECORD_DECISION not in json.dumps(to_priya.args)
    assert to_grace.args["blocks"][-1]["elements"][0]["action_id"] == ActionId.RECORD_DECISION
    assert to_grace.args["blocks"][:-1] == to_priya.args["blocks"][:-1]


def test_closing_without_quorum_is_refused_and_the_vote_stays_open(
    app, slack_api, voting, uow_factory
):
    vote(app, slack_api, voting, BEN)
    click(app, slack_api, ActionId.CLOSE_VOTING, voting, PRIYA)
    assert ephemeral(slack_api).startswith("The quorum (majority) is not met: 1 of 4")
    assert "conversations.open" not in slack_api.methods()
    with uow_factory() as uow:
        assert uow.session.exec(select(CaseRow)).one().state is CaseState.VOTING


def test_the_quorum_refusal_offers_the_chair_a_confirmed_close_without_quorum_button(
    app, slack_api, voting
):
    vote(app, slack_api, voting, BEN)
    click(app, slack_api, ActionId.CLOSE_VOTING, voting, PRIYA)
    refusal = slack_api.last("chat.postEphemeral").args
    assert (refusal["channel"], refusal["user"]) == (CHANNEL_ID, PRIYA)
    message = (
        f"The quorum (majority) is not met: 1 of 4 eligible members have voted on {voting}. "
        "Close it anyway if you must."
    )
    assert refusal["text"] == message
    assert refusal["blocks"][0]["text"]["text"] == f":warning: {message}"
    [button] = refusal["blocks"][1]["elements"]
    assert (button["action_id"], button["value"], button["text"]["text"]) == (
        ActionId.CLOSE_VOTING_WITHOUT_QUORUM,
        voting,
        "Close without quorum",
    )
    assert button["confirm"]["text"]["text"].startswith(
        f"Voting on *{voting}* (Child A) closes now although the quorum is not met."
    )
    assert (button["confirm"]["confirm"]["text"], button["confirm"]["deny"]["text"]) == (
        "Close voting",
        "Keep it open",
    )


def test_close_without_quorum_closes_the_vote_and_the_audit_records_it(
    app, slack_api, voting, uow_factory
):
    vote(app, slack_api, voting, BEN, rationale="Criteria met.")
    slack_api.reset()
    click(app, slack_api, ActionId.CLOSE_VOTING_WITHOUT_QUORUM, voting, PRIYA)

    with uow_factory() as uow:
        assert uow.session.exec(select(CaseRow)).one().state is not CaseState.VOTING
        [row] = uow.session.exec(
            select(AuditEventRow).where(AuditEventRow.action == "voting_closed")
        ).all()
    after = json.loads(row.after)
    assert (row.actor, row.case_reference) == (PRIYA, voting)
    assert (after["quorate"], after["cast"], after["eligible"]) == (False, 1, 4)
    assert after["votes"] == {BEN: "statutory_review"}
    to_grace = slack_api.calls_to("chat.postMessage")[0]
    assert to_grace.args["channel"] == dm_channel(GRACE)
    assert to_grace.args["blocks"][1]["text"]["text"] == (
        f"*{voting}* (Child A). Statutory review by a majority: 1 of 4 eligible members voted, "
        "quorum not met."
    )
    notice = slack_api.calls_to("chat.postMessage")[-1]
    assert notice.args["text"] == (
        f"Voting on {voting} (Child A) has closed: Statutory review, 1 of 4 voted."
    )


def test_only_the_chair_can_close_without_quorum(app, slack_api, voting, uow_factory):
    vote(app, slack_api, voting, BEN)
    click(app, slack_api, ActionId.CLOSE_VOTING_WITHOUT_QUORUM, voting, TOM)
    assert ephemeral(slack_api) == f"Only the sub-group chair can close voting on {voting}."
    assert "conversations.open" not in slack_api.methods()
    with uow_factory() as uow:
        assert uow.session.exec(select(CaseRow)).one().state is CaseState.VOTING


def test_a_member_who_is_not_chair_cannot_close_voting(app, slack_api, voting):
    click(app, slack_api, ActionId.CLOSE_VOTING, voting, TOM)
    assert ephemeral(slack_api) == f"Only the sub-group chair can close voting on {voting}."
    assert "conversations.open" not in slack_api.methods()


def test_a_vote_after_voting_closes_is_refused(app, slack_api, voting, uow_factory):
    for user in (BEN, PRIYA, ANA):
        vote(app, slack_api, voting, user)
    click(app, slack_api, ActionId.CLOSE_VOTING, voting, PRIYA)
    click(app, slack_api, ActionId.VOTE_NFA, voting, TOM)
    assert ephemeral(slack_api) == "Voting on this case is not open."
    assert len(ballots(uow_factory)) == 3


def _command(app, slack_api, text: str, user: str):
    body = slash_command_body(text=text, response_url=slack_api.response_url("cmd"), user_id=user)
    return app.dispatch(bolt_request(body))


def test_review_open_lets_the_chair_open_voting_and_confirms_privately(
    app, slack_api, ref, uow_factory
):
    response = _command(app, slack_api, f"open {ref}", PRIYA)
    with uow_factory() as uow:
        assert uow.session.exec(select(CaseRow)).one().state is CaseState.VOTING
        [row] = uow.session.exec(
            select(AuditEventRow).where(AuditEventRow.action == "voting_opened")
        ).all()
    assert row.actor == PRIYA
    reply = command_answer(response)
    assert slack_api.calls_to("response_url") == []
    assert reply["response_type"] == "ephemeral"
    assert reply["text"] == f"Voting is open on {ref} (Child A): 4 members may vote."
    assert SUBJECT not in json.dumps(reply)


def test_review_open_by_a_member_who_is_not_chair_is_refused_and_changes_nothing(
    app, slack_api, ref, uow_factory
):
    response = _command(app, slack_api, f"open {ref}", TOM)
    with uow_factory() as uow:
        assert uow.session.exec(select(CaseRow)).one().state is not CaseState.VOTING
    assert "chair" in command_answer(response)["text"]


def test_review_close_without_a_reference_asks_which_case(app, slack_api):
    response = _command(app, slack_api, "close", PRIYA)
    assert command_answer(response)["text"] == (
        "Which case? For example `/review close SCR-2026-003`."
    )


def test_review_close_sends_the_recommendation_and_offers_close_anyway_without_quorum(
    app, slack_api, voting, uow_factory
):
    vote(app, slack_api, voting, BEN)
    offer = command_answer(_command(app, slack_api, f"close {voting}", PRIYA))
    assert offer["text"].startswith("The quorum (majority) is not met: 1 of 4")
    assert offer["blocks"][1]["elements"][0]["action_id"] == ActionId.CLOSE_VOTING_WITHOUT_QUORUM
    for user in (TOM, ANA):
        vote(app, slack_api, voting, user)
    _command(app, slack_api, f"close {voting}", PRIYA)
    with uow_factory() as uow:
        assert uow.session.exec(select(CaseRow)).one().state is CaseState.AWAITING_DECISION
    to_grace = slack_api.calls_to("chat.postMessage")[-3]
    assert to_grace.args["channel"] == dm_channel(GRACE)
    assert "Statutory review" in to_grace.args["text"]
