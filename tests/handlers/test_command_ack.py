"""/review answers in its acknowledgement: one request, acknowledged exactly once on every path.

An answer (help, status, a refusal, an error reference) is the acknowledgement's JSON body and
nothing goes to the response_url; a subcommand that opens a modal is acknowledged empty; a second
answer, or the error after an answer, still goes by ``respond``.
"""

from __future__ import annotations

import json
import logging
import re
from types import MappingProxyType
from typing import Any

import pytest
from slack_bolt import Ack

from bot.logs import FORMAT, SafeFormatter
from handlers import commands
from messages.ids import CallbackId
from tests.handlers.interactions import BEN, SUBJECT, TOM, command_answer, slash

CRASH = f"no row for {SUBJECT}"  # an unexpected error's message quoting a subject's name


class CountingAck(Ack):
    """Bolt's ``ack``, counting its calls (the listener's and the error handler's alike)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any):
        """Acknowledge, as Bolt's ``ack`` does, and count it."""
        self.calls += 1
        return super().__call__(*args, **kwargs)


@pytest.fixture
def acks(app) -> list[CountingAck]:
    """Count every request's acknowledgements: one ``CountingAck`` per request, in order."""
    made: list[CountingAck] = []

    def counting_ack(context, next) -> None:  # noqa: A002 - Bolt passes it by this name
        context["ack"] = CountingAck()
        made.append(context["ack"])
        next()

    app.use(counting_ack)
    return made


def _answer_twice(cmd, *, reply, client, deps) -> None:
    reply(text="First: in the acknowledgement.", response_type="ephemeral")
    reply(text="Second: by the response_url.", response_type="ephemeral")


def _answer_then_crash(cmd, *, reply, client, deps) -> None:
    reply(text="Started.", response_type="ephemeral")
    raise RuntimeError(CRASH)


def _crash(cmd, *, reply, client, deps) -> None:
    raise RuntimeError(CRASH)


@pytest.fixture
def extra_subcommands(monkeypatch) -> None:
    """Add subcommands that answer twice, answer then crash, and crash, to the router."""
    monkeypatch.setattr(
        commands,
        "SUBCOMMANDS",
        MappingProxyType(
            {
                **commands.SUBCOMMANDS,
                "twice": _answer_twice,
                "halfway": _answer_then_crash,
                "crash": _crash,
            }
        ),
    )


def test_review_help_answers_in_the_ack_body_and_posts_nothing(app, slack_api, acks):
    response = slash(app, slack_api, "help")
    body = json.loads(response.body)
    assert body["response_type"] == "ephemeral"
    assert body["text"].startswith("/review commands: /review refer, /review status REF")
    assert body["blocks"][0]["block_id"] == "help_header"
    assert body["blocks"][1]["text"]["text"].startswith("*`/review refer`*\nRefer a case")
    assert command_answer(response) == body  # valid Block Kit, with a text fallback
    assert slack_api.methods() == ["auth.test"]  # no response_url, no Web API call
    assert [a.calls for a in acks] == [1]


def test_review_status_answers_in_the_ack_body_and_posts_nothing(app, slack_api, ref, acks):
    response = slash(app, slack_api, f"status {ref}", TOM)
    body = command_answer(response)
    assert body["response_type"] == "ephemeral"
    assert body["text"].startswith(f"{ref} (Child A): ")
    assert body["blocks"][0]["text"]["text"].startswith(f"*{ref}* · Child A\nSerious Case Review")
    assert SUBJECT not in response.body
    assert slack_api.calls_to("response_url") == []
    assert [a.calls for a in acks] == [1]


@pytest.mark.parametrize(
    ("text", "user", "says"),
    [
        ("status SCR-2026-999", TOM, "I can't find case SCR-2026-999 on any board you belong to."),
        ("status", TOM, "Which case? For example `/review status SCR-2026-003`."),
        ("refer", "U0NOBODY01", "Only members of a safeguarding board can refer a case."),
        ("decide SCR-2026-001", TOM, "Only the board's decision-maker records a decision."),
    ],
)
def test_a_refusal_answers_in_the_ack_body(app, slack_api, ref, acks, text, user, says):
    body = command_answer(slash(app, slack_api, text, user))
    assert body["text"].startswith(says)
    assert body["blocks"][0]["text"]["text"].startswith(f":warning: {says}")
    assert slack_api.calls_to("response_url") == [] and "views.open" not in slack_api.methods()
    assert [a.calls for a in acks] == [1]


@pytest.mark.parametrize(
    ("text", "callback_id"),
    [("refer", CallbackId.REFERRAL_MODAL), ("extend {ref}", CallbackId.EXTEND_MODAL)],
)
def test_a_modal_subcommand_opens_the_modal_and_acks_empty(
    app, slack_api, ref, acks, text, callback_id
):
    response = slash(app, slack_api, text.format(ref=ref))
    assert (response.status, response.body) == (200, "")
    opened = slack_api.last("views.open").args
    assert opened["view"]["callback_id"] == callback_id
    assert slack_api.calls_to("response_url") == []
    assert [a.calls for a in acks] == [1]


def test_a_second_answer_still_goes_by_the_response_url(app, slack_api, acks, extra_subcommands):
    body = command_answer(slash(app, slack_api, "twice"))
    assert body["text"] == "First: in the acknowledgement."
    [second] = slack_api.calls_to("response_url")
    assert second.args == {"text": "Second: by the response_url.", "response_type": "ephemeral"}
    assert [a.calls for a in acks] == [1]


def test_an_unexpected_error_answers_politely_in_the_ack_and_logs_no_details(
    app, slack_api, acks, extra_subcommands, caplog
):
    with caplog.at_level(logging.INFO):
        response = slash(app, slack_api, "crash")
    body = command_answer(response)
    reference = re.search(r"error reference ([0-9a-f]{8})", body["text"]).group(1)
    assert body["blocks"][1]["elements"][0]["text"] == f"Error reference: `{reference}`"
    assert SUBJECT not in response.body
    assert slack_api.calls_to("response_url") == []
    assert [a.calls for a in acks] == [1]
    [logged] = [r for r in caplog.records if r.name == "handlers.errors"]
    assert logged.getMessage() == (
        f"unexpected error {reference} while handling slash_command /review"
    )
    assert logged.levelno == logging.ERROR and logged.exc_info is not None
    traceback = SafeFormatter(FORMAT).formatException(logged.exc_info)  # as the bot writes it
    assert "RuntimeError" in traceback and SUBJECT not in traceback


def test_an_error_after_an_answer_keeps_the_answer_in_the_ack_and_follows_by_respond(
    app, slack_api, acks, extra_subcommands
):
    body = command_answer(slash(app, slack_api, "halfway", BEN))
    assert body == {"text": "Started.", "response_type": "ephemeral"}
    [error] = slack_api.calls_to("response_url")
    assert error.args["response_type"] == "ephemeral"
    assert re.search(r"error reference [0-9a-f]{8}", error.args["text"])
    assert SUBJECT not in json.dumps(error.args)
    assert [a.calls for a in acks] == [1]
