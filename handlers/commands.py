"""``/review``: parse the subcommand, hand it to the workflow step that owns it, acknowledge.

The router only translates. Each subcommand is a function in the module of its workflow step,
listed in :data:`SUBCOMMANDS`; adding ``/review status`` is one import and one line there::

    from handlers import status
    SUBCOMMANDS = {"help": show_help, "status": status.handle_status_command}

A subcommand receives the parsed :class:`ReviewCommand` and the tools it may use, and must not
call ``ack``: the router acknowledges once, after it returns. Its ``reply`` (called like Bolt's
``respond``) keeps the first ephemeral answer, which the router puts in the acknowledgement's
body (:mod:`handlers.reply`); a second answer goes to the ``response_url``. A subcommand that
opens a modal answers nothing and is acknowledged empty. A subcommand that raises before it
answered is acknowledged by the error handler, with the refusal or an error reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers import decision, extend, referral, reminders, status, voting
from handlers.context import Deps, deps_of
from handlers.reply import AnswerInAck, Reply
from handlers.slash import ReviewCommand, Subcommand
from messages.ids import Command
from messages.render import render_message


def register(app: App) -> None:
    """Listen for ``/review``."""
    app.command(Command.REVIEW)(handle_review_command)


def handle_review_command(
    ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, context
) -> None:
    """Run ``/review``'s subcommand (help for one it does not know), then acknowledge once.

    The acknowledgement carries the subcommand's first answer, or nothing. When the subcommand
    raises, the error handler (:mod:`handlers.errors`) acknowledges with the refusal or an error
    reference; if an answer was kept before the error, it is acknowledged here first and the
    error handler's message follows by ``respond``.
    """
    reply = AnswerInAck(respond)
    try:
        cmd = ReviewCommand.parse(command)
        subcommand = SUBCOMMANDS.get(cmd.name, show_unknown)
        subcommand(cmd, reply=reply, client=client, deps=deps_of(context))
    except Exception:
        if reply.answer is not None:
            reply.acknowledge(ack)
        raise
    reply.acknowledge(ack)


def show_help(cmd: ReviewCommand, *, reply: Reply, client: WebClient, deps: Deps) -> None:
    """Answer ``/review help`` with the list of subcommands, visible only to the person."""
    reply(**render_message("help", command=cmd.command, unknown=None), response_type="ephemeral")


def show_unknown(cmd: ReviewCommand, *, reply: Reply, client: WebClient, deps: Deps) -> None:
    """Answer a subcommand casedesk does not know with what it does know."""
    reply(
        **render_message("help", command=cmd.command, unknown=cmd.text), response_type="ephemeral"
    )


SUBCOMMANDS: Mapping[str, Subcommand] = MappingProxyType(
    {
        "help": show_help,
        "open": voting.handle_open_command,
        "close": voting.handle_close_command,
        "decide": decision.handle_decide_command,
        "refer": referral.handle_refer_command,
        "status": status.handle_status_command,
        "list": status.handle_list_command,
        "extend": extend.handle_extend_command,
        "pause": reminders.handle_pause_command,
        "resume": reminders.handle_resume_command,
    }
)
"""Subcommand name -> the function that handles it. Listed here, explicitly, one line each."""
