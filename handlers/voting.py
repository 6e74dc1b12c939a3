"""The sub-group's vote: the card's vote, conflict and chair buttons, and their modals.

A vote button opens the rationale modal; its submission becomes :class:`CastVote`, keyed by the
view's id so a redelivered submission votes once. The chair's "Close voting" sends the
recommendation, by name, to each decision-maker and sub-group chair privately and the outcome
(reference and pseudonym only) to the channel, through the outbox (:mod:`bot.notify.owed`):
a Slack failure leaves them owed for the scheduler's next tick. The buttons carry the case
reference as their ``value``.

What each step owes Slack (the card's redraw, the voter's confirmation, App Homes, the
recommendation) is owed in the step's own transaction by :mod:`bot.notify.owed` and sent by the
sender after the listener has answered: a Slack failure delays it, never undoes the step.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.domain.boards import ALTERNATIVES, ReviewType, Role
from bot.domain.cases import CaseState
from bot.domain.errors import NotAllowed
from bot.domain.limits import MAX_LENGTH
from bot.domain.votes import Recommendation, can_vote
from bot.services.queries import CaseStatus, case_access, case_by_ref, case_status
from bot.services.voting import (
    CastVote,
    CloseVoting,
    DeclareConflict,
    OpenVoting,
    VotingOpened,
    cast_vote,
    close_voting,
    declare_conflict,
    open_voting,
)
from handlers.context import Deps, deps_of
from handlers.forms import case_metadata, channel_of, field_value
from handlers.reply import Reply
from handlers.slash import ReviewCommand
from messages.ids import ActionId, BlockId, CallbackId
from messages.render import render_message, render_view

log = logging.getLogger(__name__)

VOTE_BUTTONS: dict[str, Recommendation] = {
    ActionId.VOTE_STATUTORY: Recommendation.STATUTORY_REVIEW,
    ActionId.VOTE_ALTERNATIVE: Recommendation.ALTERNATIVE_REVIEW,
    ActionId.VOTE_NFA: Recommendation.NO_FURTHER_ACTION,
    ActionId.VOTE_MORE_INFO: Recommendation.MORE_INFORMATION,
}


def register(app: App) -> None:
    """Listen for the card's vote, conflict and chair buttons and the two modals."""
    for action_id in VOTE_BUTTONS:
        app.action(action_id)(handle_vote_button)
    app.view(CallbackId.VOTE_MODAL)(handle_vote_submission)
    app.action(ActionId.DECLARE_CONFLICT)(handle_conflict_button)
    app.view(CallbackId.CONFLICT_MODAL)(handle_conflict_submission)
    app.action(ActionId.OPEN_VOTING)(handle_open_voting_button)
    app.action(ActionId.CLOSE_VOTING)(handle_close_voting_button)
    app.action(ActionId.CLOSE_VOTING_WITHOUT_QUORUM)(handle_close_without_quorum_button)


def handle_vote_button(ack, body: dict[str, Any], action: dict[str, Any], client, context) -> None:
    """Open the rationale modal, after checking the person may vote on the case now."""
    ack()
    deps = deps_of(context)
    with deps.uow_factory(read_only=True) as uow:
        status = case_access(action["value"].strip(), body["user"]["id"], uow=uow)
    can_vote(
        status.roles,
        active=True,
        conflicted=status.conflicted,
        voting_open=status.case.state is CaseState.VOTING,
    )
    recommendation = VOTE_BUTTONS[action["action_id"]]
    alternatives = ALTERNATIVES if recommendation is Recommendation.ALTERNATIVE_REVIEW else ()
    view = render_view(
        "vote_modal",
        case=status.case,
        recommendation=recommendation,
        alternatives=alternatives,
        metadata=case_metadata(
            status.case, recommendation=recommendation, channel=channel_of(body)
        ),
        limits=MAX_LENGTH,
    )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_vote_submission(ack, body: dict[str, Any], view: dict[str, Any], client, context):
    """Record the vote (or a change of vote); the card, confirmation and home are owed with it.

    The confirmation is ephemeral in the channel of the card the button was on (carried in the
    modal's metadata: a view submission names no channel); a redelivery changes nothing.
    """
    rationale = field_value(view, BlockId.RATIONALE) or ""
    deps, meta = deps_of(context), json.loads(view["private_metadata"])
    alternative = field_value(view, BlockId.ALTERNATIVE_TYPE)
    cmd = CastVote(
        case_ref=meta["case"],
        actor=body["user"]["id"],
        recommendation=Recommendation(meta["recommendation"]),
        rationale=rationale,
        alternative_type=ReviewType(alternative) if alternative else None,
        board_id=meta["board"],
        idempotency_key=view["id"],
        reply_channel=meta.get("channel"),
    )
    with deps.uow_factory() as uow:
        cast_vote(cmd, uow=uow, now=deps.clock.now())
    ack()


def handle_conflict_button(ack, body: dict[str, Any], action: dict[str, Any], client, context):
    """Open the conflict modal for the case (a member of its board only: else "not found")."""
    ack()
    deps = deps_of(context)
    with deps.uow_factory(read_only=True) as uow:  # only the case: the modal shows nothing more
        case = case_by_ref(action["value"].strip(), body["user"]["id"], uow=uow)
    view = render_view("conflict_modal", case=case, metadata=case_metadata(case), limits=MAX_LENGTH)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_conflict_submission(ack, body: dict[str, Any], view: dict[str, Any], client, context):
    """Record the conflict; the member's vote, if any, stops counting."""
    deps, meta = deps_of(context), json.loads(view["private_metadata"])
    cmd = DeclareConflict(
        case_ref=meta["case"],
        actor=body["user"]["id"],
        reason=field_value(view, BlockId.CONFLICT_REASON) or "",
        board_id=meta["board"],
    )
    with deps.uow_factory() as uow:
        declare_conflict(cmd, uow=uow, now=deps.clock.now())
    ack()


def handle_open_voting_button(ack, body: dict[str, Any], action: dict[str, Any], client, context):
    """Open the vote (the sub-group chair); the card and homes are owed with it."""
    ack()
    _open(deps_of(context), action["value"], body["user"]["id"])


def handle_open_command(cmd: ReviewCommand, *, reply: Reply, client: WebClient, deps: Deps) -> None:
    """``/review open REF``: open the vote (the sub-group chair), confirmed privately."""
    opened = _open(deps, _reference(cmd, "open"), cmd.user_id)
    message = render_message("voting_opened", case=opened.case, eligible=len(opened.eligible))
    reply(**message, response_type="ephemeral")


def handle_close_voting_button(ack, body: dict[str, Any], action: dict[str, Any], client, context):
    """Close the vote; the decision-makers get the recommendation by name, the channel the count.

    Refused for lack of quorum, the chair is told privately with a "Close without quorum"
    button (behind a confirm dialog); any other refusal goes to the error handler.
    """
    ack()
    user = body["user"]["id"]

    def offer(message: dict[str, Any]) -> None:
        channel = channel_of(body)
        if channel is None:
            channel = client.conversations_open(users=user)["channel"]["id"]
            client.chat_postMessage(channel=channel, **message)
        else:
            client.chat_postEphemeral(channel=channel, user=user, **message)

    _close_or_offer(deps_of(context), action["value"], user, offer)


def handle_close_command(
    cmd: ReviewCommand, *, reply: Reply, client: WebClient, deps: Deps
) -> None:
    """``/review close REF``: close the vote, as the card's button does (the sub-group chair)."""
    _close_or_offer(
        deps,
        _reference(cmd, "close"),
        cmd.user_id,
        lambda message: reply(**message, response_type="ephemeral"),
    )


def _open(deps: Deps, reference: str, user: str) -> VotingOpened:
    """Open the vote; the card's redraw (with the vote buttons) and the homes are owed with it."""
    with deps.uow_factory() as uow:
        return open_voting(OpenVoting(reference, user), uow=uow, now=deps.clock.now())


def _close_or_offer(deps: Deps, reference: str, user: str, offer: Callable[[dict], None]) -> None:
    """Close the vote; refused for quorum, ``offer`` the chair the close-anyway button."""
    try:
        _close(deps, CloseVoting(reference, user))
    except NotAllowed as refusal:
        status = _status(deps, reference, user)
        if Role.CHAIR not in status.roles or status.case.state is not CaseState.VOTING:
            raise
        offer(render_message("vote_quorum_not_met", case=status.case, message=str(refusal)))


def _reference(cmd: ReviewCommand, verb: str) -> str:
    if not cmd.args:
        raise NotAllowed(f"Which case? For example `/review {verb} SCR-2026-003`.")
    return cmd.args[0]


def handle_close_without_quorum_button(
    ack, body: dict[str, Any], action: dict[str, Any], client, context
):
    """Close the vote although the quorum is not met (the chair confirmed it); audited."""
    ack()
    deps = deps_of(context)
    _close(deps, CloseVoting(action["value"], body["user"]["id"], without_quorum=True))


def _close(deps: Deps, cmd: CloseVoting) -> None:
    """Close the vote; its DMs, channel notice, card and homes are owed with it."""
    with deps.uow_factory() as uow:
        close_voting(cmd, uow=uow, now=deps.clock.now())


def _status(deps: Deps, reference: str, user: str) -> CaseStatus:
    with deps.uow_factory(read_only=True) as uow:
        return case_status(reference.strip(), user, uow=uow, today=deps.clock.today())
