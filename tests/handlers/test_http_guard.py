"""The HTTP guard, through the real server: what is unsigned or malformed never reaches Bolt.

Each refused request gets a 4xx with a short plain body and one WARNING line naming what was
wrong (never the body); no traceback is logged, Bolt's ``dispatch`` is never called, the
database is unchanged and no Slack call is made. Well-formed signed requests pass unchanged.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import logging
import time
from urllib.parse import quote

import pytest

from bot.server import make_wsgi_app
from bot.slack.http_guard import Refused, read_body
from messages.ids import ActionId, BlockId
from tests.fakes.signing import (
    SIGNING_SECRET,
    TEAM_ID,
    block_actions_payload,
    interactive_body,
    load_payload,
    post,
    signed_headers,
    slash_command_body,
)
from tests.fakes.wsgi_server import serving
from tests.handlers.interactions import TOM, opened_view
from tests.snapshot import database_rows

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def url(app, reached):
    wsgi = make_wsgi_app(app, signing_secret=SIGNING_SECRET, health_check=lambda: None)
    with serving(wsgi) as base:
        yield f"{base}/slack/events"


def signed(body: str, content_type: str) -> dict[str, str]:
    return {**signed_headers(body), "Content-Type": content_type}


def click_payload(slack_api) -> dict:
    return block_actions_payload(
        action_id=ActionId.DECLARE_CONFLICT, value="SCR-2026-001", response_url=slack_api.base_url
    )


def submission(**view_changes) -> dict:
    payload = copy.deepcopy(load_payload("view_submission.json"))
    payload["view"].update(view_changes)
    return payload


def without(payload: dict, *keys: str) -> dict:
    for key in keys:
        payload.pop(key)
    return payload


MALFORMED = {
    "garbage": ("\x01garbage%%%&&==;;", FORM, "malformed unknown has neither a command nor a type"),
    "bad-json-in-payload": ("payload=%7Bnot%20json", FORM, "payload is not JSON"),
    "payload-not-an-object": ("payload=%5B1%5D", FORM, "payload is not a JSON object"),
    "form-with-no-payload": (
        "token=abc&team_id=T0CASEDESK",
        FORM,
        "malformed unknown has neither a command nor a type",
    ),
    "empty-form": ("", FORM, "empty body"),
    "json-not-json": ('{"type": "event_callback", ', "application/json", "body is not JSON"),
    "json-without-json-type": ('{"type": "url_verification"}', FORM, "a JSON body without the "
                               "JSON content type"),
    "text-plain": ("hello", "text/plain", "content type is neither form data nor JSON"),
    "view-submission-without-state": (
        interactive_body(submission(state=None)),
        FORM,
        "malformed view_submission without view.state.values",
    ),
    "block-actions-without-actions": (
        interactive_body(without(load_payload("block_actions_message_button.json"), "actions")),
        FORM,
        "malformed block_actions without actions",
    ),
    "event-without-type": (
        json.dumps({"type": "event_callback", "event": {"user": "U0BEN00001"}}),
        "application/json",
        "malformed event_callback without event.type",
    ),
    "slash-command-without-user": (
        slash_command_body(text="help", response_url="https://x").replace("user_id=", "user="),
        FORM,
        "malformed slash_command without user_id",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("body", "content_type", "reason"), MALFORMED.values(), ids=MALFORMED)
def test_a_signed_malformed_request_is_a_400_that_reaches_nothing(
    url, reached, slack_api, uow_factory, caplog, body, content_type, reason
):
    before, calls = database_rows(uow_factory), slack_api.methods()
    with caplog.at_level(logging.DEBUG):
        status, headers, text = post(url, body, signed(body, content_type))
    assert (status, text) == (400, "Bad Request\n")
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert reached == []
    assert database_rows(uow_factory) == before and slack_api.methods() == calls
    assert refusals(caplog) == [f"refused a request to the Slack endpoint: {reason}"]


def refusals(caplog) -> list[str]:
    """Return the guard's log lines, after checking nothing was logged with a traceback."""
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    return [r.getMessage() for r in caplog.records if r.name == "bot.slack.http_guard"]


def _sign(body: str, ts: int, secret: str = SIGNING_SECRET) -> dict[str, str]:
    return signed_headers(body, secret, timestamp=ts)


UNSIGNED = {
    "no-signature": (lambda b: {"Content-Type": FORM}, "unsigned (no X-Slack-Signature or "
                     "X-Slack-Request-Timestamp)"),
    "bad-signature": (lambda b: _sign(b, int(time.time()), "not-our-secret"),
                      "signature does not match"),
    "stale": (lambda b: _sign(b, int(time.time()) - 301), "stale timestamp (more than 5 minutes "
              "from now)"),
    "from-the-future": (lambda b: _sign(b, int(time.time()) + 301), "stale timestamp (more than "
                        "5 minutes from now)"),
    "timestamp-not-a-number": (lambda b: {**_sign(b, int(time.time())),
                                          "X-Slack-Request-Timestamp": "soon"},
                               "timestamp is not a number"),
}  # fmt: skip


@pytest.mark.parametrize(("headers", "reason"), UNSIGNED.values(), ids=UNSIGNED)
def test_an_unsigned_or_stale_request_is_a_401_before_anything_is_parsed(
    url, reached, slack_api, uow_factory, caplog, headers, reason
):
    body = "payload=%7Bnot%20json"  # would be a 400 once verified: the signature comes first
    before = database_rows(uow_factory)
    with caplog.at_level(logging.DEBUG):
        status, _, text = post(url, body, headers(body))
    assert (status, text) == (401, "Unauthorized\n")
    assert reached == [] and database_rows(uow_factory) == before
    assert refusals(caplog) == [f"refused a request to the Slack endpoint: {reason}"]


def test_a_body_that_is_not_utf8_never_matches_slacks_signature(url, reached, caplog):
    body = b"payload=\xff\xfe"
    ts = str(int(time.time()))
    raw = hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256)
    headers = {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={raw.hexdigest()}",
    }
    with caplog.at_level(logging.DEBUG):
        status, _, _ = post(url, body, headers)
    assert status == 401 and reached == []
    assert refusals(caplog) == ["refused a request to the Slack endpoint: signature does not match"]


def test_a_body_signed_as_text_but_sent_as_other_bytes_is_a_400(url, reached, caplog):
    body = b"payload=\xff\xfe"
    headers = signed(body.decode("utf-8", errors="replace"), FORM)
    with caplog.at_level(logging.DEBUG):
        status, _, _ = post(url, body, headers)
    assert status == 400 and reached == []
    assert refusals(caplog) == ["refused a request to the Slack endpoint: body is not UTF-8"]


def test_a_server_without_a_signing_secret_refuses_everything(app, reached, caplog):
    body = slash_command_body(text="help", response_url="https://x")
    with serving(make_wsgi_app(app, signing_secret=None)) as base, caplog.at_level(logging.INFO):
        status, _, _ = post(f"{base}/slack/events", body, signed_headers(body))
    assert status == 401 and reached == []
    assert refusals(caplog) == ["refused a request to the Slack endpoint: no signing secret is set"]


def test_a_well_formed_signed_click_reaches_bolt_with_its_body_unchanged(
    url, reached, slack_api, ref
):
    payload = click_payload(slack_api)
    payload["actions"][0]["value"] = ref
    body = interactive_body(payload)
    status, _, _ = post(url, body, signed_headers(body))
    assert status == 200
    [request] = reached
    assert request.raw_body == body
    assert opened_view(slack_api)["private_metadata"] == json.dumps(
        {"case": ref, "board": "surrey-children"}
    )


def test_slacks_url_verification_still_passes(url, reached):
    body = json.dumps(load_payload("url_verification.json"))
    status, _, text = post(url, body, signed_headers(body))
    assert status == 200 and json.loads(text)["challenge"]
    assert len(reached) == 1


def forged_submission(opened: dict, values: dict, user: str) -> str:
    """Return the form body of a submission of ``opened`` with these values (as Slack's)."""
    payload = submission(
        id=opened["id"],
        callback_id=opened["callback_id"],
        blocks=opened["blocks"],
        private_metadata=opened["private_metadata"],
        team_id=TEAM_ID,
        state={"values": {b: {ActionId.FIELD.value: v} for b, v in values.items()}},
    )
    payload["user"] = {"id": user, "team_id": TEAM_ID}
    payload["team"] = {"id": TEAM_ID}
    return f"payload={quote(json.dumps(payload))}"


def test_a_conflict_reason_forged_past_the_client_is_a_field_error_over_http(
    url, slack_api, ref, uow_factory
):
    payload = click_payload(slack_api)
    payload["actions"][0]["value"] = ref
    payload["user"] = {"id": TOM}
    click = interactive_body(payload)
    assert post(url, click, signed_headers(click))[0] == 200
    opened = opened_view(slack_api)
    reason_field = next(b for b in opened["blocks"] if b["block_id"] == BlockId.CONFLICT_REASON)
    assert reason_field["element"]["max_length"] == 3000  # what Slack's client enforces
    before = database_rows(uow_factory)
    body = forged_submission(opened, {BlockId.CONFLICT_REASON: {"value": "x" * 3001}}, TOM)
    status, _, text = post(url, body, signed_headers(body))
    assert status == 200
    assert json.loads(text) == {
        "response_action": "errors",
        "errors": {"conflict_reason": "Please keep the reason to 3,000 characters or fewer."},
    }
    assert database_rows(uow_factory) == before


class _Stream:
    def __init__(self, data: bytes) -> None:
        self.data, self.asked = data, []

    def read(self, size: int) -> bytes:
        self.asked.append(size)
        return self.data[:size]


@pytest.mark.parametrize(
    ("length", "status"), [("abc", "400 Bad Request"), ("-1", "400 Bad Request"),
                           ("11", "413 Request Entity Too Large")],
)  # fmt: skip
def test_a_bad_or_too_large_content_length_is_refused_before_the_body_is_read(length, status):
    stream = _Stream(b"x" * 11)
    with pytest.raises(Refused) as caught:
        read_body({"CONTENT_LENGTH": length, "wsgi.input": stream}, max_bytes=10)
    assert caught.value.status == status and stream.asked == []


def test_the_body_is_read_as_long_as_its_content_length_says():
    stream = _Stream(b"0123456789")
    assert read_body({"CONTENT_LENGTH": "4", "wsgi.input": stream}, max_bytes=10) == b"0123"
    assert read_body({"wsgi.input": stream}, max_bytes=10) == b""
