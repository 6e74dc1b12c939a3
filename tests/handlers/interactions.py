"""Signed commands, button clicks and modal submissions for the handler tests, and DB reads."""

from __future__ import annotations

import copy
import json
from typing import Any

from slack_bolt import App, BoltResponse
from sqlmodel import col, select

from bot.domain.boards import ReviewType
from bot.services.cases import ReferCase, SetCaseCard, refer_case, set_case_card
from messages.ids import ActionId
from store.models import AuditEventRow, DeadlineRow
from tests.fakes.api_checks import check_response_url
from tests.fakes.signing import (
    CHANNEL_ID,
    TEAM_ID,
    block_actions_payload,
    bolt_request,
    interactive_body,
    load_payload,
    slash_command_body,
)

SUBJECT = "Zebedee Quartermaine"  # a subject's name: must never reach a channel
BEN, PRIYA, TOM, ANA, GRACE, SAM = (
    "U0BEN00001",
    "U0PRI00002",
    "U0TOM00003",
    "U0ANA00004",
    "U0GRA00005",
    "U0SAM00006",
)


CARD_TS = "1767000000.000100"
"""Where :func:`refer` says the case's card was posted (as the referral's outbox row does)."""


def refer(uow_factory, clock) -> str:
    """Refer an SCR to the Surrey board through the service, its card in the board's channel.

    Returns:
        The case's reference.
    """
    cmd = ReferCase(
        board_id="surrey-children",
        actor=BEN,
        review_type=ReviewType.SCR,
        pseudonym="Child A",
        subject_name=SUBJECT,
        summary="Bruising noticed at nursery.",
    )
    with uow_factory() as uow:
        reference = refer_case(cmd, uow=uow, now=clock.now()).case.reference
    with uow_factory() as uow:
        where = SetCaseCard("surrey-children", reference, CHANNEL_ID, CARD_TS)
        set_case_card(where, uow=uow, now=clock.now())
    return reference


def slash(app: App, slack_api, text: str, user: str = BEN) -> BoltResponse:
    """Type ``/review <text>`` as this person; return Bolt's response (the acknowledgement).

    The answer is in the response's body (:func:`command_answer`); any later answer goes to the
    fake's response_url.
    """
    body = slash_command_body(text=text, user_id=user, response_url=slack_api.response_url("c"))
    response = app.dispatch(bolt_request(body))
    assert response.status == 200
    return response


def command_answer(response: BoltResponse) -> dict[str, Any]:
    """Return a dispatched slash command's ephemeral answer, from its acknowledgement's body.

    Fails unless the body is a message Slack shows as the command's answer: JSON, ephemeral,
    with a text fallback, and only fields and blocks Slack takes (checked as the fake checks a
    ``respond``: Block Kit through ``slack_sdk.models``).
    """
    assert response.status == 200
    assert response.body, "the command was acknowledged empty: no answer in the acknowledgement"
    assert response.headers.get("content-type") == ["application/json;charset=utf-8"]
    return ephemeral_answer(response.body)


def ephemeral_answer(body: str | dict[str, Any]) -> dict[str, Any]:
    """Check an acknowledgement's body (JSON text over HTTP, a dict over Socket Mode); return it.

    The checks of :func:`command_answer`, for a body read off the wire.
    """
    answer = json.loads(body) if isinstance(body, str) else body
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].strip()
    assert check_response_url(answer) == []
    return answer


def deadline_rows(uow_factory) -> list[DeadlineRow]:
    """Return every deadline row, soonest first (by id among those due the same day)."""
    with uow_factory() as uow:
        query = select(DeadlineRow).order_by(DeadlineRow.due_on, col(DeadlineRow.id))
        return list(uow.session.exec(query))


def audit_rows(uow_factory, action: str) -> list[AuditEventRow]:
    """Return the audit events of one action, oldest first."""
    with uow_factory() as uow:
        query = select(AuditEventRow).where(AuditEventRow.action == action)
        return list(uow.session.exec(query.order_by(col(AuditEventRow.id))))


def click(app: App, slack_api, action_id: str, value: str, user: str) -> BoltResponse:
    """Click a button with this value as this person, in the board's channel."""
    payload = block_actions_payload(
        action_id=action_id, value=value, user_id=user, response_url=slack_api.response_url()
    )
    return app.dispatch(bolt_request(interactive_body(payload)))


def submit(
    app: App,
    opened: dict[str, Any],
    values: dict[str, dict[str, Any]],
    user: str,
) -> BoltResponse:
    """Submit the modal the bot opened (``views.open``'s view) with these field values.

    ``values`` maps a block id to the element state, e.g. ``{"value": "text"}`` or
    ``{"selected_option": {"value": "x"}}``.
    """
    payload = copy.deepcopy(load_payload("view_submission.json"))
    payload["user"] = {"id": user, "team_id": TEAM_ID}
    payload["team"] = {"id": TEAM_ID}
    view = payload["view"]
    view.update(
        id=opened["id"],
        callback_id=opened["callback_id"],
        blocks=opened["blocks"],
        private_metadata=opened["private_metadata"],
        team_id=TEAM_ID,
        state={"values": {b: {ActionId.FIELD.value: v} for b, v in values.items()}},
    )
    return app.dispatch(bolt_request(interactive_body(payload)))


def opened_view(slack_api) -> dict[str, Any]:
    """Return the view of the latest ``views.open``, as Slack answered it (with its id)."""
    return slack_api.last("views.open").response["view"]


def body_of(response: BoltResponse) -> dict[str, Any]:
    """Return a view submission's JSON answer (``response_action``), or {} for a plain ack."""
    return json.loads(response.body) if response.body else {}
