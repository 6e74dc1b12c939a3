"""The decision-maker's decision: the modal, from a button or ``/review decide REF``.

Authorisation is checked when the modal opens (a refusal is an ephemeral, nothing opens) and
again by :func:`record_decision` on submission. Afterwards the card is redrawn, the channel
is told the outcome (reference and pseudonym only) and each business manager gets, by DM, the
notifications the decision made due, with their dates. Those messages are owed in the outbox in
the decision's own transaction (:mod:`bot.notify.owed`) and sent by the sender after the answer:
a Slack failure delays them, and a redelivered submission owes none again.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.domain.boards import ReviewType, Role
from bot.domain.decisions import DecisionOutcome, Methodology
from bot.domain.errors import Conflict, NotAllowed
from bot.domain.limits import MAX_LENGTH
from bot.services.decisions import RecordDecision, record_decision
from bot.services.queries import case_status
from handlers.context import Deps, deps_of
from handlers.forms import field_value
from handlers.reply import Reply
from handlers.slash import ReviewCommand
from messages.ids import ActionId, BlockId, CallbackId
from messages.render import render_view


def register(app: App) -> None:
    """Listen for "Record decision" and the decision modal."""
    app.action(ActionId.RECORD_DECISION)(handle_decision_button)
    app.view(CallbackId.DECISION_MODAL)(handle_decision_submission)


def handle_decision_button(ack, body: dict[str, Any], action: dict[str, Any], client, context):
    """Open the decision modal from the recommendation DM or the case card."""
    ack()
    open_decision_modal(
        deps_of(context), client, action["value"], body["user"]["id"], body["trigger_id"]
    )


def handle_decide_command(
    cmd: ReviewCommand, *, reply: Reply, client: WebClient, deps: Deps
) -> None:
    """``/review decide REF``: open the decision modal."""
    if not cmd.args:
        raise NotAllowed("Which case? For example `/review decide SCR-2026-003`.")
    open_decision_modal(deps, client, cmd.args[0], cmd.user_id, cmd.trigger_id)


def open_decision_modal(
    deps: Deps, client: WebClient, reference: str, user: str, trigger_id: str | None
) -> None:
    """Open the modal for the case's decision-maker while no decision is recorded.

    Raises:
        NotAllowed: the person is not the board's decision-maker.
        Conflict: the decision is already recorded.
    """
    today = deps.clock.today()
    with deps.uow_factory(read_only=True) as uow:
        status = case_status(reference, user, uow=uow, today=today)
    if Role.DECISION_MAKER not in status.roles:
        raise NotAllowed("Only the board's decision-maker records a decision.")
    if status.decision is not None:
        raise Conflict(f"A decision on {status.case.reference} is already recorded.")
    view = render_view(
        "decision_modal",
        case=status.case,
        outcomes=list(DecisionOutcome),
        review_types=list(ReviewType),
        methodologies=list(Methodology),
        today=today,
        metadata=json.dumps({"case": status.case.reference, "board": status.case.board_id}),
        limits=MAX_LENGTH,
    )
    client.views_open(trigger_id=trigger_id, view=view)


def handle_decision_submission(ack, body: dict[str, Any], view: dict[str, Any], client, context):
    """Record the decision; its notice, DMs, card and App Homes are owed with it."""
    deps, meta = deps_of(context), json.loads(view["private_metadata"])
    picked = field_value(view, BlockId.DECISION_DATE)
    decided_on = date.fromisoformat(picked) if picked else None  # None: today
    review_type = field_value(view, BlockId.DECISION_REVIEW_TYPE)
    methodology = field_value(view, BlockId.METHODOLOGY)
    cmd = RecordDecision(
        case_ref=meta["case"],
        actor=body["user"]["id"],
        outcome=DecisionOutcome(field_value(view, BlockId.OUTCOME)),
        reasons=field_value(view, BlockId.REASONS) or "",
        decided_on=decided_on,
        review_type=ReviewType(review_type) if review_type else None,
        methodology=Methodology(methodology) if methodology else None,
        board_id=meta["board"],
        idempotency_key=view["id"],
    )
    with deps.uow_factory() as uow:
        record_decision(cmd, uow=uow, now=deps.clock.now())
    ack()
