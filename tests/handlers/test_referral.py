"""Referring a case through Slack: the modal, its field errors, the card and the DMs."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.domain.cases import CaseState
from messages.ids import ActionId, BlockId, CallbackId
from store.models import CaseRow, CaseSubjectRow
from tests.fakes.block_kit import view_problems
from tests.fakes.signing import CHANNEL_ID, bolt_request, slash_command_body
from tests.fakes.slack_api import dm_channel
from tests.handlers.interactions import (
    BEN,
    TOM,
    body_of,
    click,
    command_answer,
    opened_view,
    submit,
)


def command(app, slack_api, text: str, user: str):
    body = slash_command_body(
        text=text, response_url=slack_api.response_url("review"), user_id=user
    )
    return app.dispatch(bolt_request(body))


def form(**overrides) -> dict:
    """Field states for a valid referral, with any block's state replaced."""
    values = {
        BlockId.REVIEW_TYPE: {"selected_option": {"value": "rapid_review"}},
        BlockId.PSEUDONYM: {"value": "Child B"},
        BlockId.SUBJECT_NAME: {"value": "Zebedee Quillfeather"},
        BlockId.SUBJECT_DOB: {"selected_date": "2019-05-04"},
        BlockId.SUBJECT_ADDRESS: {"value": "17 Larkspur Mews"},
        BlockId.AGENCY: {"value": "Surrey Police"},
        BlockId.INCIDENT_DATE: {"selected_date": "2026-02-20"},
        BlockId.AWARE_DATE: {"selected_date": "2026-02-27"},
        BlockId.SUMMARY: {"value": "Injuries noticed at school."},
        BlockId.CRITERIA: {"selected_options": [{"value": "serious_harm"}]},
    }
    values.update(overrides)
    return {str(k): v for k, v in values.items() if v is not None}


def refer(app, slack_api, user=TOM, **overrides):
    command(app, slack_api, "refer", user)
    return submit(app, opened_view(slack_api), form(**overrides), user)


def the_reference_shown(response) -> dict:
    """The view the referral modal is replaced by (checked as the fake checks views)."""
    answer = body_of(response)
    assert answer["response_action"] == "update"
    view = answer["view"]
    assert view_problems(view) == []
    assert view["callback_id"] == CallbackId.REFERRAL_DONE
    return view


def cases(uow_factory) -> list[CaseRow]:
    with uow_factory() as uow:
        return list(uow.session.exec(select(CaseRow)))


def test_refer_opens_the_referral_modal_without_a_board_select_for_a_one_board_member(
    app, slack_api
):
    command(app, slack_api, "refer", TOM)
    view = slack_api.last("views.open").args["view"]
    assert view["callback_id"] == CallbackId.REFERRAL_MODAL
    blocks = [b["block_id"] for b in view["blocks"]]
    assert BlockId.BOARD not in blocks
    assert blocks[:3] == [BlockId.REVIEW_TYPE, BlockId.PSEUDONYM, BlockId.SUBJECT_NAME]
    types = [o["value"] for o in view["blocks"][0]["element"]["options"]]
    assert types[:3] == ["scr", "rapid_review", "lcspr"] and "sar" not in types
    assert json.loads(view["private_metadata"]) == {"board": "surrey-children"}


def test_a_member_of_two_boards_chooses_the_board_first(app, slack_api):
    command(app, slack_api, "refer", BEN)
    board_block = slack_api.last("views.open").args["view"]["blocks"][0]
    assert board_block["block_id"] == BlockId.BOARD
    assert {o["value"] for o in board_block["element"]["options"]} == {
        "surrey-children",
        "stockport-adults",
    }


def test_someone_on_no_board_is_refused_politely_instead_of_getting_a_modal(app, slack_api):
    reply = command_answer(command(app, slack_api, "refer", "U0NOBODY01"))
    assert "views.open" not in slack_api.methods()
    assert slack_api.calls_to("response_url") == []
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("Only members of a safeguarding board can refer a case.")


def test_submitting_the_referral_logs_the_case_and_posts_its_card_in_the_channel(
    app, slack_api, uow_factory
):
    response = refer(app, slack_api)
    shown = the_reference_shown(response)
    assert shown["blocks"][0]["text"]["text"].startswith(
        ":white_check_mark: Referred. The reference is *RR-2026-001* (Child B), a Rapid Review."
    )
    assert not any(word in json.dumps(shown) for word in ("Zebedee", "Larkspur", "2019-05-04"))
    [case] = cases(uow_factory)
    assert (case.reference, case.pseudonym, case.state) == (
        "RR-2026-001",
        "Child B",
        CaseState.REFERRED,
    )
    card = slack_api.calls_to("chat.postMessage")[0]
    assert card.args["channel"] == CHANNEL_ID
    summary = card.args["blocks"][0]["text"]["text"]
    assert summary == "*RR-2026-001* · Child B\nRapid Review · referred"
    assert "working days left" in json.dumps(card.args["blocks"])
    chair = card.args["blocks"][-1]
    assert chair["block_id"] == BlockId.CHAIR_ACTIONS
    assert chair["elements"][0]["action_id"] == ActionId.OPEN_VOTING
    assert chair["elements"][0]["value"] == "RR-2026-001"
    assert (case.card_channel, case.card_ts) == (CHANNEL_ID, card.response["ts"])
    with uow_factory() as uow:
        subject = uow.session.exec(select(CaseSubjectRow)).one()
    assert (subject.name, subject.address) == ("Zebedee Quillfeather", "17 Larkspur Mews")


def test_the_referrer_gets_the_reference_and_the_business_manager_is_told(app, slack_api):
    refer(app, slack_api)
    posts = {c.args["channel"]: c.args for c in slack_api.calls_to("chat.postMessage")}
    assert posts[dm_channel(TOM)]["text"] == "Referred: RR-2026-001 (Child B), a Rapid Review."
    assert posts[dm_channel(BEN)]["text"] == (
        "New referral RR-2026-001 (Child B), a Rapid Review, from <@U0TOM00003>."
    )
    assert "<#C0CASEREV01>" in posts[dm_channel(BEN)]["blocks"][0]["text"]["text"]


def test_a_redelivered_submission_refers_once_and_posts_one_card(app, slack_api, uow_factory):
    command(app, slack_api, "refer", TOM)
    opened = opened_view(slack_api)
    submit(app, opened, form(), TOM)
    submit(app, opened, form(), TOM)
    assert len(cases(uow_factory)) == 1
    assert (
        len([c for c in slack_api.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL_ID])
        == 1
    )


@pytest.mark.parametrize(
    ("overrides", "block", "message"),
    [
        (
            {BlockId.AWARE_DATE: {"selected_date": "2026-03-03"}},
            BlockId.AWARE_DATE,
            "The date the board became aware cannot be in the future.",
        ),
        (
            {BlockId.INCIDENT_DATE: {"selected_date": "2026-02-28"}},
            BlockId.INCIDENT_DATE,
            "The incident must come before awareness.",
        ),
        (
            {BlockId.PSEUDONYM: {"value": "  "}},
            BlockId.PSEUDONYM,
            'Please give a pseudonym such as "Child A"; channels see only that.',
        ),
        (
            {BlockId.PSEUDONYM: {"value": "zebedee quillfeather"}},
            BlockId.PSEUDONYM,
            "The pseudonym must not contain the subject's name, or any part of it.",
        ),
        (
            {BlockId.PSEUDONYM: {"value": "Child Zebedee"}},
            BlockId.PSEUDONYM,
            "The pseudonym must not contain the subject's name, or any part of it.",
        ),
        (
            {BlockId.PSEUDONYM: {"value": "Child B, born 2014"}},
            BlockId.PSEUDONYM,
            "The pseudonym must not contain a date; channels see it.",
        ),
    ],
    ids=[
        "aware-in-future",
        "incident-after-aware",
        "empty-pseudonym",
        "pseudonym-is-name",
        "pseudonym-has-part-of-name",
        "pseudonym-has-a-date",
    ],
)
def test_a_bad_field_is_shown_under_that_field_and_nothing_is_referred(
    app, slack_api, uow_factory, overrides, block, message
):
    response = refer(app, slack_api, **overrides)
    assert body_of(response) == {"response_action": "errors", "errors": {block: message}}
    assert cases(uow_factory) == []
    assert "chat.postMessage" not in slack_api.methods()


def test_the_app_home_button_opens_the_same_modal(app, slack_api):
    click(app, slack_api, ActionId.REFER_CASE, "", TOM)
    view = slack_api.last("views.open").args["view"]
    assert view["callback_id"] == CallbackId.REFERRAL_MODAL
    assert view["blocks"][0]["block_id"] == BlockId.REVIEW_TYPE


def test_a_board_that_opens_voting_on_referral_gets_a_card_with_the_vote_buttons(
    app, slack_api, uow_factory
):
    refer(
        app,
        slack_api,
        user=BEN,
        **{
            BlockId.BOARD: {"selected_option": {"value": "stockport-adults"}},
            BlockId.REVIEW_TYPE: {"selected_option": {"value": "sar"}},
        },
    )
    [case] = cases(uow_factory)
    assert (case.board_id, case.state) == ("stockport-adults", CaseState.VOTING)
    card = slack_api.calls_to("chat.postMessage")[0].args
    assert card["channel"] == "C0SARGRP02"
    votes = next(b for b in card["blocks"] if b.get("block_id") == BlockId.VOTE_ACTIONS)
    assert [e["action_id"] for e in votes["elements"]] == [
        ActionId.VOTE_STATUTORY,
        ActionId.VOTE_ALTERNATIVE,
        ActionId.VOTE_NFA,
        ActionId.VOTE_MORE_INFO,
        ActionId.DECLARE_CONFLICT,
    ]
    assert {e["value"] for e in votes["elements"]} == {case.reference}
    assert card["blocks"][-1]["elements"][0]["action_id"] == ActionId.CLOSE_VOTING


def home_sections(call) -> list[str]:
    return [b["text"]["text"] for b in call.args["view"]["blocks"] if b["type"] == "section"]


def test_a_referral_republishes_the_home_of_the_referrer_and_of_the_business_manager(
    app, slack_api
):
    refer(app, slack_api)
    published = {c.args["user_id"]: c for c in slack_api.calls_to("views.publish")}
    assert set(published) == {TOM, BEN}
    for call in published.values():
        view = call.args["view"]
        assert view["callback_id"] == CallbackId.HOME
        assert "*Open cases on your boards* (1)" in home_sections(call)
        assert any(s.startswith("*RR-2026-001* · Child B") for s in home_sections(call))
        assert "Zebedee" not in json.dumps(view)
        assert "Larkspur" not in json.dumps(view)


def test_a_home_that_fails_to_publish_leaves_the_referral_and_its_messages_standing(
    app, slack_api, uow_factory, caplog
):
    slack_api.fail_next("views.publish", error="internal_error", times=2)
    with caplog.at_level(logging.WARNING):
        response = refer(app, slack_api)
    assert "RR-2026-001" in json.dumps(the_reference_shown(response))
    [case] = cases(uow_factory)
    assert case.reference == "RR-2026-001" and case.card_ts is not None
    channels = [c.args["channel"] for c in slack_api.calls_to("chat.postMessage")]
    assert channels == [CHANNEL_ID, dm_channel(TOM), dm_channel(BEN)]
    warnings = [r.getMessage() for r in caplog.records if "views.publish" in r.getMessage()]
    assert warnings == [
        f"Slack views.publish to {user} failed: internal_error (server_error)"
        for user in (TOM, BEN)
    ]
    assert not any("Zebedee" in w or "RR-2026" in w for w in caplog.messages)
    with uow_factory() as uow:  # the homes stay owed for the sender's next pass
        owed = [
            r for r in uow.outbox.due(datetime.now(UTC) + timedelta(days=1)) if r.kind == "home"
        ]
    assert sorted(r.recipient for r in owed) == sorted([TOM, BEN])


def test_the_criteria_ticked_in_the_modal_are_stored_on_the_case_row(app, slack_api, uow_factory):
    refer(
        app,
        slack_api,
        **{
            BlockId.CRITERIA: {
                "selected_options": [
                    {"value": "died"},
                    {"value": "agencies"},
                ]
            }
        },
    )
    [case] = cases(uow_factory)
    assert case.criteria == ["died", "agencies"]


def test_a_referral_with_no_criteria_ticked_stores_none(app, slack_api, uow_factory):
    refer(app, slack_api, **{BlockId.CRITERIA: None})
    [case] = cases(uow_factory)
    assert case.criteria == []
