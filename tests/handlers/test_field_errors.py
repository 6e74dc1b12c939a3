"""Text forged past Slack's client (longer than the modal's max_length) comes back under its field.

Slack's client stops a person at each input's ``max_length``; a forged submission is refused by
the use case (``FieldsRefused``) and the modal answers ``response_action="errors"`` under the
field at fault, with nothing written and no Slack message sent. A slash command shows the
refusal as its one ephemeral answer.
"""

from __future__ import annotations

import logging

import pytest

from bot.domain.errors import FieldsRefused
from handlers.field_errors import field_errors
from messages.ids import ActionId, BlockId, CallbackId
from tests.fakes.signing import bolt_request, slash_command_body
from tests.handlers.interactions import (
    BEN,
    GRACE,
    PRIYA,
    TOM,
    body_of,
    click,
    command_answer,
    opened_view,
    slash,
    submit,
)
from tests.snapshot import database_rows

LONG = "x" * 3001
REFERRAL = {
    BlockId.REVIEW_TYPE: {"selected_option": {"value": "rapid_review"}},
    BlockId.PSEUDONYM: {"value": "Child B"},
    BlockId.SUBJECT_NAME: {"value": "Zebedee Quillfeather"},
    BlockId.AGENCY: {"value": "Surrey Police"},
    BlockId.AWARE_DATE: {"selected_date": "2026-02-27"},
    BlockId.SUMMARY: {"value": "Injuries noticed at school."},
}


def refused_under(response) -> dict[str, str]:
    """Return the field errors of a submission's answer (failing on any other answer)."""
    answer = body_of(response)
    assert response.status == 200 and answer["response_action"] == "errors", answer
    return answer["errors"]


def test_a_referral_summary_and_address_too_long_are_errors_under_those_fields(
    app, slack_api, uow_factory, caplog
):
    modal = opened_view_of_referral(app, slack_api)
    before = database_rows(uow_factory)
    slack_api.reset()
    values = {
        **REFERRAL,
        BlockId.SUMMARY: {"value": LONG},
        BlockId.SUBJECT_ADDRESS: {"value": LONG},
    }
    with caplog.at_level(logging.INFO):
        response = submit(app, modal, values, TOM)
    assert refused_under(response) == {
        "summary": "Please keep the summary to 3,000 characters or fewer.",
        "subject_address": "Please keep the address to 500 characters or fewer.",
    }
    assert database_rows(uow_factory) == before
    assert slack_api.methods() == []  # no card, no DM
    assert [r.getMessage() for r in caplog.records if r.name == "handlers.errors"] == [
        "refused view_submission referral_modal: FieldsRefused"
    ]
    assert not any(r.exc_info for r in caplog.records)


def opened_view_of_referral(app, slack_api) -> dict:
    """Open the referral modal as Tom; return it as Slack answered ``views.open``."""
    body = slash_command_body(text="refer", user_id=TOM, response_url=slack_api.response_url())
    app.dispatch(bolt_request(body))
    view = opened_view(slack_api)
    assert view["callback_id"] == CallbackId.REFERRAL_MODAL
    return view


def test_a_conflict_reason_too_long_is_an_error_under_the_reason(app, slack_api, ref, uow_factory):
    click(app, slack_api, ActionId.DECLARE_CONFLICT, ref, TOM)
    before = database_rows(uow_factory)
    values = {BlockId.CONFLICT_REASON: {"value": LONG}}
    response = submit(app, opened_view(slack_api), values, TOM)
    assert refused_under(response) == {
        "conflict_reason": "Please keep the reason to 3,000 characters or fewer."
    }
    assert database_rows(uow_factory) == before


def test_decision_reasons_too_long_are_an_error_under_the_reasons(app, slack_api, ref, uow_factory):
    click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)
    for user in (BEN, PRIYA, TOM):
        click(app, slack_api, ActionId.VOTE_STATUTORY, ref, user)
        submit(app, opened_view(slack_api), {BlockId.RATIONALE: {"value": "Met."}}, user)
    click(app, slack_api, ActionId.CLOSE_VOTING, ref, PRIYA)
    click(app, slack_api, ActionId.RECORD_DECISION, ref, GRACE)
    before = database_rows(uow_factory)
    values = {
        BlockId.OUTCOME: {"selected_option": {"value": "statutory_review"}},
        BlockId.DECISION_REVIEW_TYPE: {"selected_option": {"value": "lcspr"}},
        BlockId.METHODOLOGY: {"selected_option": {"value": "silp"}},
        BlockId.REASONS: {"value": LONG},
        BlockId.DECISION_DATE: {"selected_date": "2026-03-02"},
    }
    response = submit(app, opened_view(slack_api), values, GRACE)
    assert refused_under(response) == {
        "reasons": "Please keep the reasons to 3,000 characters or fewer."
    }
    assert database_rows(uow_factory) == before


def test_an_extension_reason_too_long_is_an_error_under_the_reason(
    app, slack_api, ref, uow_factory
):
    slash(app, slack_api, f"extend {ref}", BEN)
    modal = opened_view(slack_api)
    before = database_rows(uow_factory)
    values = {
        BlockId.NEW_DUE_DATE: {"selected_date": "2026-12-01"},
        BlockId.EXTEND_REASON: {"value": LONG},
    }
    response = submit(app, modal, values, BEN)
    assert refused_under(response) == {
        "extend_reason": "Please keep the reason to 3,000 characters or fewer."
    }
    assert database_rows(uow_factory) == before


def test_a_pause_reason_too_long_is_the_commands_one_ephemeral_answer(
    app, slack_api, ref, uow_factory
):
    before = database_rows(uow_factory)
    answer = command_answer(slash(app, slack_api, f"pause {ref} {'word ' * 700}", BEN))
    assert answer["text"] == "Please keep the reason to 3,000 characters or fewer."
    assert database_rows(uow_factory) == before
    assert slack_api.calls_to("response_url") == []


@pytest.mark.parametrize(
    ("view", "problems"),
    [
        ({"callback_id": "vote_modal", "blocks": []}, {"rationale": "Too long."}),
        ({"callback_id": "vote_modal", "blocks": [{"block_id": "rationale"}]}, {"x": "?"}),
        ({"callback_id": "unknown_modal", "blocks": [{"block_id": "rationale"}]}, {"r": "?"}),
    ],
    ids=["block-not-in-view", "field-with-no-block", "modal-not-mapped"],
)
def test_a_refusal_with_no_block_to_show_it_under_is_shown_whole(view, problems):
    assert field_errors(view, FieldsRefused(problems)) is None


def test_a_refusal_is_shown_under_the_block_of_each_field():
    view = {"callback_id": "vote_modal", "blocks": [{"block_id": "rationale"}]}
    refused = FieldsRefused({"rationale": "Please keep it short."})
    assert field_errors(view, refused) == {"rationale": "Please keep it short."}
