"""Signed Slack requests: recorded payloads, signed the way Slack signs them, sent to the bot.

Slack signs every HTTP request with ``X-Slack-Signature: v0=HMAC-SHA256(secret,
"v0:{timestamp}:{body}")`` and ``X-Slack-Request-Timestamp``; Bolt refuses a request whose
signature does not match or whose timestamp is more than 5 minutes off. These helpers build
the bodies from payloads recorded in bolt-python's tests (``tests/fixtures/payloads``), sign
them with ``slack_sdk.signature.SignatureVerifier``, and either wrap them in a ``BoltRequest``
for ``app.dispatch`` or POST them to a running server::

    body = slash_command_body(text="help", response_url=slack_api.response_url())
    response = app.dispatch(bolt_request(body, SIGNING_SECRET))
    status, headers, text = post(f"{url}/slack/events", body, signed_headers(body))
"""

from __future__ import annotations

import copy
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from slack_bolt import BoltRequest
from slack_sdk.signature import SignatureVerifier

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the format of Slack's, not a real one
USER_ID = "U0BEN00001"
CHANNEL_ID = "C0CASEREV01"
TEAM_ID = "T0CASEDESK"


def load_payload(name: str) -> Any:
    """Return a recorded payload (``slash_command.parsed.json``, ``view_submission.json``…)."""
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def slash_command_body(
    *,
    text: str,
    command: str = "/review",
    response_url: str,
    user_id: str = USER_ID,
    channel_id: str = CHANNEL_ID,
    trigger_id: str = "111.222.abc",
) -> str:
    """Return the form body of a slash command, from the recorded one with these values."""
    fields = load_payload("slash_command.parsed.json")
    fields.update(
        command=command,
        text=text,
        response_url=response_url,
        user_id=user_id,
        channel_id=channel_id,
        trigger_id=trigger_id,
        team_id=TEAM_ID,
    )
    return urlencode(fields)


def block_actions_payload(
    *,
    action_id: str,
    value: str = "",
    block_id: str = "actions",
    response_url: str,
    user_id: str = USER_ID,
    channel_id: str = CHANNEL_ID,
) -> dict[str, Any]:
    """Return a recorded button click in a channel message, for this action and person."""
    payload = copy.deepcopy(load_payload("block_actions_message_button.json"))
    payload["user"] = {"id": user_id}
    payload["team"] = {"id": TEAM_ID}
    payload["channel"] = {"id": channel_id}
    payload["container"]["channel_id"] = channel_id
    payload["response_url"] = response_url
    action = payload["actions"][0]
    action.update(action_id=action_id, block_id=block_id, value=value)
    return payload


def interactive_body(payload: dict[str, Any]) -> str:
    """Return the form body Slack sends for an interaction: ``payload=<URL-encoded JSON>``."""
    return f"payload={quote(json.dumps(payload))}"


def signed_headers(
    body: str, secret: str = SIGNING_SECRET, *, timestamp: int | None = None
) -> dict[str, str]:
    """Return the headers Slack sends with ``body``: content type, timestamp and signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    content_type = (
        "application/json" if body.lstrip().startswith("{") else "application/x-www-form-urlencoded"
    )
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }


def bolt_request(
    body: str, secret: str = SIGNING_SECRET, *, timestamp: int | None = None
) -> BoltRequest:
    """Return a signed BoltRequest for ``app.dispatch``."""
    headers = {k.lower(): [v] for k, v in signed_headers(body, secret, timestamp=timestamp).items()}
    return BoltRequest(body=body, headers=headers)


def post(url: str, body: str | bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
    """POST ``body`` (text is sent as UTF-8) and return (status, headers, body text)."""
    data = body if isinstance(body, bytes) else body.encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode()


def get(url: str) -> tuple[int, dict[str, str], str]:
    """GET ``url`` and return (status, headers, body text), for any status."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode()
