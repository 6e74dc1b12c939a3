"""Reminder buttons and deadline commands: Mark done, Extend, Open case; extend, pause, resume.

The reminder DM's buttons carry ``REF:DEADLINE_ID`` (Open case: ``REF``). ``/review extend REF``
extends the case's next running deadline; ``/review pause REF reason`` and ``/review resume REF
reason`` stop and restart the clock on every running (paused) deadline of the case. Every change
goes through :mod:`bot.services.deadlines`, which checks the person and writes the audit event.
Source: PRODUCT.md §Deadlines and reminders ("Extending or pausing a deadline ... needs a reason
and a new date, and is audited").
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from bot.deps import Deps, deps_of
from bot.domain.errors import InvalidInput, NotAllowed, NotFound
from bot.services.deadlines import (
    ExtendDeadline,
    MarkDone,
    PauseDeadlines,
    ResumeDeadlines,
    extend_deadline,
    mark_done,
    pause_deadlines,
    resume_deadlines,
)
from bot.services.queries import case_status
from bot.services.views import DeadlineView
from handlers.home import refresh_homes
from handlers.voting import field_value
from messages.ids import ActionId, BlockId, CallbackId
from messages.render import day, render_view

if TYPE_CHECKING:  # the router imports this module for its SUBCOMMANDS
    from handlers.commands import ReviewCommand


def register(app: App) -> None:
    """Listen for the reminder buttons and the extend modal."""
    app.action(ActionId.MARK_DONE)(handle_mark_done_button)
    app.action(ActionId.EXTEND)(handle_extend_button)
    app.action(ActionId.OPEN_CASE)(handle_open_case_button)
    app.view(CallbackId.EXTEND_MODAL)(handle_extend_submission)


def _ref_and_id(value: str) -> tuple[str, int]:
    reference, _, deadline_id = value.rpartition(":")
    return reference, int(deadline_id)


def handle_mark_done_button(
    ack, body: dict[str, Any], action: dict[str, Any], respond, client: WebClient, context
):
    """Mark the reminded deadline done, say so to the person, refresh the members' homes."""
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
    refresh_homes(client, deps, board_id=done.case.board_id)


def handle_extend_button(ack, body: dict[str, Any], action: dict[str, Any], client, context):
    """Open the extend modal for the reminded deadline."""
    ack()
    reference, deadline_id = _ref_and_id(action["value"])
    open_extend_modal(
        deps_of(context), client, reference, body["user"]["id"], body["trigger_id"], deadline_id
    )


def handle_open_case_button(ack, body: dict[str, Any], action: dict[str, Any], respond, context):
    """Show the case's status to the person, as ``/review status REF`` does."""
    ack()
    from handlers.commands import ReviewCommand
    from handlers.status import handle_status_command

    cmd = ReviewCommand(
        "/review", "status", (action["value"],), body["user"]["id"], None, None, None
    )
    handle_status_command(cmd, respond=respond, client=None, deps=deps_of(context))  # type: ignore[arg-type]


def handle_extend_command(
    cmd: ReviewCommand, *, respond: Respond, client: WebClient, deps: Deps
) -> None:
    """``/review extend REF``: open the extend modal for the case's next running deadline."""
    if not cmd.args:
        raise InvalidInput("Which case? For example `/review extend SCR-2026-003`.")
    open_extend_modal(deps, client, cmd.args[0], cmd.user_id, cmd.trigger_id, None)


def open_extend_modal(
    deps: Deps,
    client: WebClient,
    reference: str,
    user: str,
    trigger_id: str | None,
    deadline_id: int | None,
) -> None:
    """Open the extend modal for one running deadline of the case (its next one by default).

    Raises:
        NotFound: the case has no such running deadline.
    """
    with deps.uow_factory() as uow:
        status = case_status(reference, user, uow=uow, today=deps.clock.today())
    deadline = _running(status.deadlines, deadline_id)
    metadata = json.dumps({"deadline": deadline.id, "due": deadline.due_on.isoformat()})
    view = render_view("extend_modal", deadline=deadline, metadata=metadata)
    client.views_open(trigger_id=trigger_id, view=view)


def _running(deadlines: tuple[DeadlineView, ...], deadline_id: int | None) -> DeadlineView:
    running = [d for d in deadlines if d.status.is_running]
    for d in running:
        if deadline_id is None or d.id == deadline_id:
            return d
    raise NotFound("That case has no open deadline to extend.")


def handle_extend_submission(ack, body: dict[str, Any], view: dict[str, Any], client, context):
    """Extend the deadline; a missing or too early date, or a blank reason, is a field error.

    Then refresh the board's members' homes (the deadline's owners and the case's next date).
    """
    deps, meta = deps_of(context), json.loads(view["private_metadata"])
    errors = _extend_errors(view, date.fromisoformat(meta["due"]))
    if errors:
        ack(response_action="errors", errors=errors)
        return
    cmd = ExtendDeadline(
        deadline_id=int(meta["deadline"]),
        actor=body["user"]["id"],
        new_due=date.fromisoformat(field_value(view, BlockId.NEW_DUE_DATE) or ""),
        reason=(field_value(view, BlockId.EXTEND_REASON) or "").strip(),
    )
    try:
        with deps.uow_factory() as uow:
            extended = extend_deadline(cmd, uow=uow, now=deps.clock.now())
    except (InvalidInput, NotAllowed) as err:
        ack(response_action="errors", errors={BlockId.EXTEND_REASON: str(err)})
        return
    ack()
    refresh_homes(client, deps, board_id=extended.case.board_id)


def _extend_errors(view: dict[str, Any], due: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    raw = field_value(view, BlockId.NEW_DUE_DATE)
    if not raw:
        errors[BlockId.NEW_DUE_DATE] = "Choose the new due date."
    elif date.fromisoformat(raw) <= due:
        errors[BlockId.NEW_DUE_DATE] = f"The new date must be after {day(due)}."
    if not (field_value(view, BlockId.EXTEND_REASON) or "").strip():
        errors[BlockId.EXTEND_REASON] = "Give the reason for the extension."
    return errors


def handle_pause_command(
    cmd: ReviewCommand, *, respond: Respond, client: WebClient, deps: Deps
) -> None:
    """``/review pause REF reason``: pause the case's running deadlines, with the reason."""
    reference, reason = _ref_and_reason(cmd, "pause", "criminal proceedings")
    with deps.uow_factory() as uow:
        done = pause_deadlines(
            PauseDeadlines(reference, cmd.user_id, reason), uow=uow, now=deps.clock.now()
        )
    _say_changed(respond, "Paused", done.case.reference, done.deadlines)
    refresh_homes(client, deps, board_id=done.case.board_id)


def handle_resume_command(
    cmd: ReviewCommand, *, respond: Respond, client: WebClient, deps: Deps
) -> None:
    """``/review resume REF reason``: restart the case's paused deadlines, with the reason."""
    reference, reason = _ref_and_reason(cmd, "resume", "proceedings concluded")
    with deps.uow_factory() as uow:
        done = resume_deadlines(
            ResumeDeadlines(reference, cmd.user_id, reason), uow=uow, now=deps.clock.now()
        )
    _say_changed(respond, "Resumed", done.case.reference, done.deadlines)
    refresh_homes(client, deps, board_id=done.case.board_id)


def _ref_and_reason(cmd: ReviewCommand, verb: str, example: str) -> tuple[str, str]:
    if len(cmd.args) < 2:
        raise InvalidInput(
            f"Give the case and the reason, for example `/review {verb} SCR-2026-003 {example}`."
        )
    return cmd.args[0], " ".join(cmd.args[1:])


def _say_changed(
    respond: Respond, verb: str, reference: str, deadlines: tuple[DeadlineView, ...]
) -> None:
    lines = [f"• {d.label}: due {day(d.due_on)} ({d.status})" for d in deadlines]
    respond(
        text=f"{verb} {len(deadlines)} deadline(s) of {reference}:\n" + "\n".join(lines),
        response_type="ephemeral",
    )
