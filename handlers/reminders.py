"""Reminder buttons and deadline commands: Mark done, Extend, Open case; pause, resume.

The reminder DM's buttons carry ``REF:DEADLINE_ID`` (Open case: ``REF``); Extend opens the modal
of :mod:`handlers.extend` on its own deadline. ``/review pause REF reason`` and ``/review resume
REF reason`` stop and restart the clock on every running (paused) deadline of the case. Every
change goes through :mod:`bot.services.deadlines`, which checks the person and writes the audit
event.
Source: PRODUCT.md §Deadlines and reminders ("Extending or pausing a deadline ... needs a reason
and a new date, and is audited").
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.domain.errors import InvalidInput
from bot.services.deadlines import (
    MarkDone,
    PauseDeadlines,
    ResumeDeadlines,
    mark_done,
    pause_deadlines,
    resume_deadlines,
)
from bot.services.views import DeadlineView
from handlers.context import Deps, deps_of
from handlers.extend import open_extend_modal
from handlers.reply import Reply
from handlers.slash import ReviewCommand
from handlers.status import handle_status_command
from messages.ids import ActionId
from messages.render import day


def register(app: App) -> None:
    """Listen for the reminder buttons."""
    app.action(ActionId.MARK_DONE)(handle_mark_done_button)
    app.action(ActionId.EXTEND)(handle_extend_button)
    app.action(ActionId.OPEN_CASE)(handle_open_case_button)


def _ref_and_id(value: str) -> tuple[str, int]:
    reference, _, deadline_id = value.rpartition(":")
    return reference, int(deadline_id)


def handle_mark_done_button(
    ack, body: dict[str, Any], action: dict[str, Any], respond, client: WebClient, context
):
    """Mark the reminded deadline done and say so to the person (card and homes are owed)."""
    ack()
    deps = deps_of(context)
    _, deadline_id = _ref_and_id(action["value"])
    with deps.uow_factory() as uow:
        done = mark_done(MarkDone(deadline_id, body["user"]["id"]), uow=uow, now=deps.clock.now())
    d = done.deadline
    respond(
        text=f":white_check_mark: {d.reference} ({d.pseudonym}): {d.label} marked done.",
        response_type="ephemeral",
        replace_original=False,
    )


def handle_extend_button(ack, body: dict[str, Any], action: dict[str, Any], client, context):
    """Open the extend modal with the reminded deadline chosen."""
    ack()
    reference, deadline_id = _ref_and_id(action["value"])
    open_extend_modal(
        deps_of(context), client, reference, body["user"]["id"], body["trigger_id"], deadline_id
    )


def handle_open_case_button(ack, body: dict[str, Any], action: dict[str, Any], respond, context):
    """Show the case's status to the person, as ``/review status REF`` does."""
    ack()
    cmd = ReviewCommand(
        "/review", "status", (action["value"],), body["user"]["id"], None, None, None
    )
    handle_status_command(cmd, reply=respond, client=None, deps=deps_of(context))  # type: ignore[arg-type]


def handle_pause_command(
    cmd: ReviewCommand, *, reply: Reply, client: WebClient, deps: Deps
) -> None:
    """``/review pause REF reason``: pause the case's running deadlines, with the reason."""
    reference, reason = _ref_and_reason(cmd, "pause", "criminal proceedings")
    with deps.uow_factory() as uow:
        done = pause_deadlines(
            PauseDeadlines(reference, cmd.user_id, reason), uow=uow, now=deps.clock.now()
        )
    _say_changed(reply, "Paused", done.case.reference, done.deadlines)


def handle_resume_command(
    cmd: ReviewCommand, *, reply: Reply, client: WebClient, deps: Deps
) -> None:
    """``/review resume REF reason``: restart the case's paused deadlines, with the reason."""
    reference, reason = _ref_and_reason(cmd, "resume", "proceedings concluded")
    with deps.uow_factory() as uow:
        done = resume_deadlines(
            ResumeDeadlines(reference, cmd.user_id, reason), uow=uow, now=deps.clock.now()
        )
    _say_changed(reply, "Resumed", done.case.reference, done.deadlines)


def _ref_and_reason(cmd: ReviewCommand, verb: str, example: str) -> tuple[str, str]:
    if len(cmd.args) < 2:
        raise InvalidInput(
            f"Give the case and the reason, for example `/review {verb} SCR-2026-003 {example}`."
        )
    return cmd.args[0], " ".join(cmd.args[1:])


def _say_changed(
    reply: Reply, verb: str, reference: str, deadlines: tuple[DeadlineView, ...]
) -> None:
    lines = [f"• {d.label}: due {day(d.due_on)} ({d.status})" for d in deadlines]
    reply(
        text=f"{verb} {len(deadlines)} deadline(s) of {reference}:\n" + "\n".join(lines),
        response_type="ephemeral",
    )
