"""The error handler: a refusal reaches the person privately; a bug gets a reference to quote."""

from __future__ import annotations

import copy
import io
import json
import logging
import re

import pytest

from bot.domain.errors import NotAllowed
from bot.logs import configure_logging
from tests.fakes.signing import (
    USER_ID,
    block_actions_payload,
    bolt_request,
    interactive_body,
    load_payload,
    slash_command_body,
)
from tests.fakes.slack_api import dm_channel
from tests.handlers.interactions import command_answer


@pytest.fixture
def bot_logs():
    """Capture what configure_logging writes; restore the logging set-up afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    chatty = {n: logging.getLogger(n).level for n in ("slack_sdk", "slack_bolt", "urllib3")}
    yield io.StringIO()
    root.handlers[:], root.level = saved
    for name, level in chatty.items():
        logging.getLogger(name).setLevel(level)


SECRET_NAME = "Jordan Whitlock-Ayodele"  # a subject's name: must never reach a log
REFUSAL = "Only the decision-maker can record the decision on SCR-2026-003."


@pytest.fixture
def app(make_bolt_app):
    app = make_bolt_app()

    @app.command("/boom")
    def refuse_after_ack(ack):
        ack()
        raise NotAllowed(REFUSAL)

    @app.command("/crash")
    def crash_before_ack(ack):
        raise RuntimeError(f"database said: no row for {SECRET_NAME}")

    @app.action("refuse")
    def refuse_click(ack):
        ack()
        raise NotAllowed(REFUSAL)

    @app.view("refuse_modal")
    def refuse_submission_before_ack(ack):
        raise NotAllowed(REFUSAL)

    @app.view("refuse_after_ack")
    def refuse_submission_after_ack(ack):
        ack()
        raise NotAllowed(REFUSAL)

    @app.event("app_home_opened")
    def crash_on_event(event):
        raise RuntimeError("home failed")

    return app


def _submission(callback_id: str) -> str:
    payload = copy.deepcopy(load_payload("view_submission.json"))
    payload["user"]["id"] = USER_ID
    payload["view"]["callback_id"] = callback_id
    payload["view"]["state"]["values"]["hspI"]["maBWU"]["value"] = SECRET_NAME
    return interactive_body(payload)


def test_a_refusal_after_a_slash_command_was_acknowledged_goes_by_its_response_url(app, slack_api):
    body = slash_command_body(text="x", command="/boom", response_url=slack_api.response_url())
    response = app.dispatch(bolt_request(body))
    assert (response.status, response.body) == (200, "")  # the listener's own empty ack stands
    reply = slack_api.last("response_url")
    assert reply.args["response_type"] == "ephemeral"
    assert reply.args["text"] == REFUSAL
    assert reply.args["blocks"][0]["text"]["text"] == f":warning: {REFUSAL}"


def test_an_unexpected_error_is_logged_with_a_reference_the_person_also_gets(
    app, slack_api, caplog
):
    body = slash_command_body(
        text=SECRET_NAME, command="/crash", response_url=slack_api.response_url()
    )
    with caplog.at_level(logging.INFO):
        response = app.dispatch(bolt_request(body))
    # Acknowledged by the handler, with the message: Slack shows no error 500, and no second
    # request goes to the response_url.
    reply = command_answer(response)
    assert slack_api.calls_to("response_url") == []
    reference = re.search(r"error reference ([0-9a-f]{8})", reply["text"]).group(1)
    assert reply["blocks"][1]["elements"][0]["text"] == f"Error reference: `{reference}`"
    assert SECRET_NAME not in response.body
    logged = [r for r in caplog.records if r.name == "handlers.errors"]
    assert [r.getMessage() for r in logged] == [
        f"unexpected error {reference} while handling slash_command /crash"
    ]
    assert logged[0].exc_info is not None and logged[0].levelno == logging.ERROR


def test_a_refusal_on_a_channel_button_is_an_ephemeral_message_there(app, slack_api):
    payload = block_actions_payload(action_id="refuse", response_url=slack_api.response_url())
    response = app.dispatch(bolt_request(interactive_body(payload)))
    assert response.status == 200
    call = slack_api.last("chat.postEphemeral")
    assert call.args["channel"] == "C0CASEREV01" and call.args["user"] == USER_ID
    assert call.args["text"] == REFUSAL
    assert call.args["blocks"][0]["text"]["text"] == f":warning: {REFUSAL}"


def test_a_refusal_on_an_app_home_button_is_a_direct_message(app, slack_api):
    payload = block_actions_payload(action_id="refuse", response_url=slack_api.response_url())
    del payload["channel"]
    payload["container"] = {"type": "view", "view_id": "V0HOME0001"}
    app.dispatch(bolt_request(interactive_body(payload)))
    assert slack_api.last("conversations.open").args["users"] == USER_ID
    dm = slack_api.last("chat.postMessage")
    assert dm.args["channel"] == dm_channel(USER_ID)
    assert dm.args["text"] == REFUSAL


def test_a_refused_modal_submission_pushes_a_message_over_the_form_so_nothing_typed_is_lost(
    app, slack_api
):
    response = app.dispatch(bolt_request(_submission("refuse_modal")))
    assert response.status == 200
    answer = json.loads(response.body)
    assert answer["response_action"] == "push"
    assert answer["view"]["close"]["text"] == "Back"
    assert answer["view"]["blocks"][0]["text"]["text"] == f":warning: {REFUSAL}"
    assert slack_api.methods() == ["auth.test"]  # nothing sent besides the answer


def test_a_refusal_after_a_modal_was_acknowledged_is_a_direct_message(app, slack_api):
    response = app.dispatch(bolt_request(_submission("refuse_after_ack")))
    assert response.status == 200 and response.body == ""  # the modal closes as acknowledged
    assert slack_api.last("chat.postMessage").args["text"] == REFUSAL


def test_a_failing_event_tells_nobody_and_is_acknowledged(app, slack_api, caplog):
    body = json.dumps(load_payload("app_home_opened_home_tab.json"))
    with caplog.at_level(logging.ERROR):
        response = app.dispatch(bolt_request(body))
    assert response.status == 200  # no retry storm from Slack
    assert slack_api.methods() == ["auth.test"]
    assert "while handling event app_home_opened" in caplog.text


def test_nothing_from_the_payload_reaches_the_logs_even_at_debug(app, slack_api, bot_logs):
    configure_logging("DEBUG", stream=bot_logs)
    app.dispatch(bolt_request(_submission("refuse_modal")))
    crash = slash_command_body(
        text=SECRET_NAME, command="/crash", response_url=slack_api.response_url()
    )
    app.dispatch(bolt_request(crash))
    logs = bot_logs.getvalue()
    assert "refused view_submission refuse_modal: NotAllowed" in logs
    assert "while handling slash_command /crash" in logs
    assert "builtins.RuntimeError" in logs and "crash_before_ack" in logs  # still debuggable
    assert "Whitlock" not in logs
