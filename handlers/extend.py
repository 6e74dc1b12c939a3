"""Extending a deadline: ``/review extend REF`` and the reminder's Extend button open one modal.

The modal lists the case's running deadlines (a static select, labelled by rule label and due
date); ``/review extend REF`` preselects the next one due, the reminder's button its own. The
submission becomes an :class:`~bot.services.deadlines.ExtendDeadline` tied to the case the modal
was opened for; the service checks the person, the deadline (still the case's, still running),
the later date and the reason, and writes the audit event. What it refuses comes back as an error
on the modal field at fault. Source: PRODUCT.md §Deadlines and reminders ("Extending or pausing a
deadline ... needs a reason and a new date, and is audited"); 002_0ceef0fde733de82.txt §1.5.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.domain.deadlines import ExtensionField, ExtensionRefused, deadline_keepers
from bot.domain.errors import InvalidInput, NotAllowed, NotFound
from bot.domain.limits import MAX_LENGTH
from bot.services.deadlines import ExtendDeadline, extend_deadline
from bot.services.queries import case_status
from bot.services.views import DeadlineView
from handlers.context import Deps, deps_of
from handlers.forms import field_value
from handlers.reply import Reply
from handlers.slash import ReviewCommand
from messages.ids import BlockId, CallbackId
from messages.render import render_view

FIELD_BLOCKS = {
    ExtensionField.DEADLINE: BlockId.EXTEND_DEADLINE,
    ExtensionField.NEW_DUE: BlockId.NEW_DUE_DATE,
    ExtensionField.REASON: BlockId.EXTEND_REASON,
}
"""Where the modal shows a refusal about each input."""


def register(app: App) -> None:
    """Listen for the extend modal's submission."""
    app.view(CallbackId.EXTEND_MODAL)(handle_extend_submission)


def handle_extend_command(
    cmd: ReviewCommand, *, reply: Reply, client: WebClient, deps: Deps
) -> None:
    """``/review extend REF``: open the extend modal on the case's next running deadline."""
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
    """Open the extend modal listing the case's running deadlines, one preselected.

    Args:
        deps: the app's dependencies (unit of work, clock).
        client: the Web API client that opens the modal.
        reference: the case's reference, as typed or carried by the button.
        user: the person asking; they see only cases of their boards.
        trigger_id: Slack's trigger from the command or button (valid for 3 seconds).
        deadline_id: the deadline to preselect (a reminder's); None preselects the next one due.

    Only the deadlines the person may extend are listed (their role owns it, or they are the
    business manager); the submission checks again.

    Raises:
        NotFound: the case is not on the person's boards, or has no such running deadline.
        NotAllowed: none of the case's running deadlines (or not the one asked for) is theirs.
    """
    with deps.uow_factory(read_only=True) as uow:
        status = case_status(reference, user, uow=uow, today=deps.clock.today())
    running = tuple(d for d in status.deadlines if d.status.is_running)
    yours = tuple(d for d in running if status.roles & deadline_keepers(d.owner_role))[:100]
    if running and not yours:
        raise NotAllowed(
            "Only the business manager or a deadline's owner can extend it; "
            f"none of the open deadlines of {status.case.reference} is yours."
        )
    if deadline_id in {d.id for d in running} - {d.id for d in yours}:
        raise NotAllowed("Only the business manager or that deadline's owner can extend it.")
    chosen = _chosen(yours, deadline_id)
    metadata = json.dumps(
        {"case": status.case.reference, "board": status.case.board_id, "deadline": chosen.id}
    )
    view = render_view(
        "extend_modal", deadlines=running, chosen=chosen, metadata=metadata, limits=MAX_LENGTH
    )
    client.views_open(trigger_id=trigger_id, view=view)


def _chosen(running: tuple[DeadlineView, ...], deadline_id: int | None) -> DeadlineView:
    for d in running:
        if deadline_id is None or d.id == deadline_id:
            return d
    raise NotFound("That case has no open deadline to extend.")


def handle_extend_submission(
    ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context
):
    """Extend the chosen deadline; anything missing or refused is an error on its field.

    The card (the deadline's new date) and the board's App Homes are owed with it.
    """
    deps, meta = deps_of(context), json.loads(view["private_metadata"])
    cmd, errors = _extend_command(view, meta, body["user"]["id"])
    if cmd is None:
        ack(response_action="errors", errors=errors)
        return
    try:
        with deps.uow_factory() as uow:
            extend_deadline(cmd, uow=uow, now=deps.clock.now())
    except ExtensionRefused as err:
        errors = {_block(view, field): problem for field, problem in err.problems.items()}
        ack(response_action="errors", errors=errors)
        return
    except (NotFound, NotAllowed) as err:  # the deadline is gone, or not the person's to move
        ack(response_action="errors", errors={_block(view, ExtensionField.DEADLINE): str(err)})
        return
    ack()


def _block(view: dict[str, Any], field: ExtensionField) -> str:
    """Return the block that shows a refusal of ``field`` (the reason's, if the view lacks it)."""
    block = FIELD_BLOCKS[field]
    shown = {b.get("block_id") for b in view.get("blocks", [])}
    return block if block in shown else BlockId.EXTEND_REASON


def _extend_command(
    view: dict[str, Any], meta: dict[str, Any], actor: str
) -> tuple[ExtendDeadline | None, dict[str, str]]:
    """Read the submitted fields into a command, or say which are missing."""
    # A modal opened before the picker existed names its deadline only in the metadata.
    chosen = str(field_value(view, BlockId.EXTEND_DEADLINE) or meta.get("deadline") or "")
    new_due = _date(field_value(view, BlockId.NEW_DUE_DATE))
    reason = (field_value(view, BlockId.EXTEND_REASON) or "").strip()
    errors: dict[str, str] = {}
    if not chosen.isdigit():
        errors[BlockId.EXTEND_DEADLINE] = "Choose the deadline to extend."
    if new_due is None:
        errors[BlockId.NEW_DUE_DATE] = "Choose the new due date."
    if errors or new_due is None:
        if not reason:  # otherwise the service says so, with what is wrong with the date
            errors[BlockId.EXTEND_REASON] = "Give the reason for the extension."
        return None, errors
    cmd = ExtendDeadline(
        deadline_id=int(chosen),
        actor=actor,
        new_due=new_due,
        reason=reason,
        case_ref=meta.get("case"),
        board_id=meta.get("board"),
    )
    return cmd, {}


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
