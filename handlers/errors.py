"""The one error handler: a refusal is told to the person, anything else gets a reference.

A :class:`~bot.domain.errors.DomainError` is a rule saying no; its message is written to be
shown, so the person who asked sees it, privately, where they asked:

* a slash command not yet acknowledged: the acknowledgement's body (ephemeral), so Slack
  shows it as the command's answer with no second request; already acknowledged: ``respond``
  (ephemeral, through the command's ``response_url``);
* a button in a channel or DM: ``chat.postEphemeral`` there;
* a modal submission not yet acknowledged: a refusal of its fields
  (:class:`~bot.domain.errors.FieldsRefused`) is shown under each field
  (:mod:`handlers.field_errors`); any other, a small modal pushed over the form, so closing it
  returns to what they typed; already acknowledged, or a button on the App Home: a DM.

A database outage (:func:`store.outage.is_outage`: the database cannot be reached, lost the
connection, or stayed locked) is nobody's mistake and says nothing about the request: the person
gets :data:`DATABASE_DOWN` on the same surfaces, and the log one warning line naming the kind of
request and the driver's exception class with a short reason, with no traceback (the error's
message, which could quote a statement, is never logged). One case is told wrongly: a step that
committed just before the database went, failing as it reads back the messages it owes, was
saved; the window is the few milliseconds between the two.

Anything else is a bug: it is logged with ``logger.exception`` and a short reference, and the
person gets the same reference to quote. Events (``app_home_opened``) tell nobody: the person
did not ask for anything. The log line names the kind of request (``block_actions vote_nfa``),
never its contents. Slack always gets a 200, so it does not retry a request that failed for a
reason a retry would not fix.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import Ack, BoltRequest, BoltResponse, Respond
from slack_sdk import WebClient

from bot.domain.errors import DomainError, FieldsRefused
from handlers.field_errors import field_errors
from messages.render import render_message, render_view
from store.outage import describe_error, is_outage

logger = logging.getLogger(__name__)

DATABASE_DOWN = (
    "casedesk cannot reach its database right now; nothing was saved. Please try again in a minute."
)
"""What the person is told when their request failed because the database did not answer."""


def handle_error(
    error: Exception,
    body: dict[str, Any],
    request: BoltRequest,
    ack: Ack,
    client: WebClient,
    respond: Respond | None,
) -> BoltResponse:
    """Tell the person what went wrong and answer Slack with a 200."""
    kind = describe_request(body)
    if isinstance(error, DomainError):
        logger.info("refused %s: %s", kind, type(error).__name__)
        ctx = {"message": str(error), "reference": None}
        errors = _under_fields(error, body, ack)
        if errors:
            ack(response_action="errors", errors=errors)
            return ack.response or BoltResponse(status=200, body="")
    elif is_outage(error):
        logger.warning("database unreachable while handling %s: %s", kind, describe_error(error))
        ctx = {"message": DATABASE_DOWN, "reference": None}
    else:
        reference = uuid.uuid4().hex[:8]
        logger.error("unexpected error %s while handling %s", reference, kind, exc_info=error)
        ctx = {"message": None, "reference": reference}
    if ack.response is None and body.get("type") == "view_submission":
        ack(response_action="push", view=render_view("error_modal", **ctx))
    elif ack.response is None and "command" in body:
        ack(**render_message("error", **ctx), response_type="ephemeral")
    else:
        if ack.response is None:
            ack()
        _tell(body, render_message("error", **ctx), client=client, respond=respond, kind=kind)
    return ack.response or BoltResponse(status=200, body="")


def _under_fields(error: DomainError, body: dict[str, Any], ack: Ack) -> dict[str, str] | None:
    """Return a field refusal's messages by block, for a modal submission still open."""
    if not isinstance(error, FieldsRefused) or ack.response is not None:
        return None
    if body.get("type") != "view_submission":
        return None
    return field_errors(body.get("view") or {}, error)


def describe_request(body: dict[str, Any]) -> str:
    """Name a request by its kind and ID only (``slash_command /review``), for logs."""
    if "command" in body:
        return f"slash_command {body['command']}"
    kind = str(body.get("type", "unknown"))
    if kind == "event_callback":
        return f"event {body.get('event', {}).get('type', '?')}"
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        return f"block_actions {actions[0].get('action_id', '?')}"
    if kind in ("view_submission", "view_closed"):
        return f"{kind} {body.get('view', {}).get('callback_id', '?')}"
    return kind


def _tell(
    body: dict[str, Any],
    message: dict[str, Any],
    *,
    client: WebClient,
    respond: Respond | None,
    kind: str,
) -> None:
    """Send ``message`` to the person privately, where they are; never raise."""
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    try:
        if "command" in body and respond is not None:
            respond(**message, response_type="ephemeral")
        elif user is None or body.get("type") == "event_callback":
            return
        elif channel is not None:
            client.chat_postEphemeral(channel=channel, user=user, **message)
        else:
            dm = client.conversations_open(users=user)["channel"]["id"]
            client.chat_postMessage(channel=dm, **message)
    except Exception:
        logger.exception("could not tell the person about an error in %s", kind)
