"""/review: the router picks the subcommand and answers privately, in the acknowledgement."""

from __future__ import annotations

import json

import pytest

from handlers.commands import SUBCOMMANDS, ReviewCommand
from messages.render import render_text
from tests.fakes.signing import bolt_request, slash_command_body
from tests.handlers.interactions import command_answer


@pytest.fixture
def app(make_bolt_app):
    return make_bolt_app()


def _dispatch(app, slack_api, text: str):
    body = slash_command_body(text=text, response_url=slack_api.response_url("review"))
    return app.dispatch(bolt_request(body))


def test_review_help_answers_in_the_acknowledgement_with_blocks_only_the_person_can_see(
    app, slack_api
):
    reply = command_answer(_dispatch(app, slack_api, "help"))
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("/review commands: /review refer, /review status REF")
    assert reply["blocks"][0]["text"]["text"] == "/review commands"
    assert slack_api.calls_to("response_url") == []  # no second request: the ack carries it
    sections = [b["text"]["text"] for b in reply["blocks"] if b["type"] == "section"]
    assert sections[1] == (
        "*`/review status REF`*\nWhere a case is and what is due next, for example "
        "`status SCR-2026-003`."
    )
    assert len(sections) == 10
    assert "*`/review open REF`*\nOpen voting on a case (the sub-group chair)." in sections


def test_review_with_no_subcommand_shows_help(app, slack_api):
    reply = command_answer(_dispatch(app, slack_api, "   "))
    assert reply["blocks"][0]["block_id"] == "help_header"


def test_a_subcommand_is_matched_whatever_its_case(app, slack_api):
    reply = command_answer(_dispatch(app, slack_api, "HELP"))
    assert reply["blocks"][0]["block_id"] == "help_header"


def test_an_unknown_subcommand_says_so_and_lists_the_commands(app, slack_api):
    reply = command_answer(_dispatch(app, slack_api, "frobnicate   SCR-2026-001"))
    assert reply["response_type"] == "ephemeral"
    assert reply["blocks"][0]["text"]["text"] == (
        "Sorry, I don't know `/review frobnicate SCR-2026-001`. Here is what I can do:"
    )
    assert reply["text"].startswith("Sorry, I don't know `/review frobnicate SCR-2026-001`.")
    assert reply["blocks"][1]["block_id"] == "help_header"
    assert slack_api.calls_to("response_url") == []


def test_an_unknown_subcommand_cannot_ping_the_channel_through_the_echo(app, slack_api):
    reply = command_answer(_dispatch(app, slack_api, '<!channel> "quoted" & <@U0BEN00001>'))
    dumped = json.dumps(reply)
    assert "<!channel>" not in dumped and "<@U0BEN00001>" not in dumped
    assert '&lt;!channel&gt; \\"quoted\\" &amp; &lt;@U0BEN00001&gt;' in dumped


def test_the_router_makes_no_web_api_call_nor_response_url_post_for_help(app, slack_api):
    command_answer(_dispatch(app, slack_api, "help"))
    assert slack_api.methods() == ["auth.test"]  # auth.test: Bolt's start-up


def test_every_subcommand_the_router_knows_is_listed_in_help():
    help_text = render_text("help", command="/review", unknown=None)
    for name in SUBCOMMANDS:
        assert f"/review {name}" in help_text


def test_a_command_payload_parses_into_name_and_arguments():
    cmd = ReviewCommand.parse(
        {
            "command": "/review",
            "text": " Status  SCR-2026-003 ",
            "user_id": "U0BEN00001",
            "channel_id": "C0CASEREV01",
            "team_id": "T1",
            "trigger_id": "1.2.3",
        }
    )
    assert (cmd.name, cmd.args, cmd.user_id, cmd.channel_id) == (
        "status",
        ("SCR-2026-003",),
        "U0BEN00001",
        "C0CASEREV01",
    )
    assert cmd.text == "status SCR-2026-003"
