"""Socket Mode's guard: a malformed envelope is acknowledged and dropped before Bolt sees it.

The handler's ``handle`` is called as the Socket Mode client calls it, with a recording client in
place of the WebSocket one; ``tests/handlers/test_socket_mode.py`` runs the real process.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.server import make_socket_mode_handler
from tests.fakes.signing import CHANNEL_ID, TEAM_ID, load_payload
from tests.handlers.interactions import BEN, ephemeral_answer
from tests.snapshot import database_rows


class RecordingClient:
    """Stands in for the Socket Mode client: keeps each acknowledgement sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.logger = logging.getLogger("tests.socket_mode_client")

    def send_socket_mode_response(self, response) -> None:
        self.sent.append(response.to_dict())


@pytest.fixture
def handler(app, slack_settings, reached):
    return make_socket_mode_handler(app, slack_settings)


def envelope(kind: str, envelope_id: str = "env-1", **payload_changes) -> SocketModeRequest:
    """Return a recorded envelope of this type, its payload changed (None removes a key)."""
    [recorded] = [e for e in load_payload("socket_mode_envelopes.json") if e["type"] == kind]
    payload = copy.deepcopy(recorded["payload"])
    for key, value in payload_changes.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    return SocketModeRequest(kind, envelope_id, payload, recorded["accepts_response_payload"])


def interactive(payload: dict[str, Any]) -> SocketModeRequest:
    return SocketModeRequest("interactive", "env-i", payload, False)


def without(payload: dict[str, Any], key: str) -> dict[str, Any]:
    payload = copy.deepcopy(payload)
    del payload[key]
    return payload


DROPPED = {
    "block-actions-without-actions": (
        lambda: interactive(without(load_payload("block_actions_message_button.json"), "actions")),
        "dropped a Socket Mode interactive envelope: malformed block_actions without actions",
    ),
    "view-submission-without-state": (
        lambda: interactive(
            {**load_payload("view_submission.json"), "view": {"id": "V1", "callback_id": "x"}}
        ),
        "dropped a Socket Mode interactive envelope: malformed view_submission without "
        "view.state.values",
    ),
    "slash-command-without-user": (
        lambda: envelope("slash_commands", user_id=None),
        "dropped a Socket Mode slash_commands envelope: malformed slash_command without user_id",
    ),
    "event-without-type": (
        lambda: envelope("events_api", event={"user": BEN}),
        "dropped a Socket Mode events_api envelope: malformed event_callback without event.type",
    ),
    "string-payload": (
        lambda: SocketModeRequest("interactive", "env-s", "not an object", False),
        "dropped a Socket Mode interactive envelope: malformed unknown has neither a command "
        "nor a type",
    ),
    "click-in-a-slash-commands-envelope": (
        lambda: SocketModeRequest(
            "slash_commands", "env-c", load_payload("block_actions_message_button.json"), True
        ),
        "dropped a Socket Mode slash_commands envelope: malformed block_actions in a "
        "slash_commands envelope",
    ),
}


@pytest.mark.parametrize(("make", "logged"), DROPPED.values(), ids=DROPPED)
def test_a_malformed_envelope_is_acknowledged_dropped_and_logged_once(
    handler, reached, slack_api, uow_factory, caplog, make, logged
):
    request, client = make(), RecordingClient()
    before, calls = database_rows(uow_factory), slack_api.methods()
    with caplog.at_level(logging.DEBUG):
        handler.handle(client, request)
    assert client.sent == [{"envelope_id": request.envelope_id}]  # Slack does not resend it
    assert reached == []
    assert database_rows(uow_factory) == before and slack_api.methods() == calls
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    guarded = [r.getMessage() for r in caplog.records if r.name == "bot.slack.socket_guard"]
    assert guarded == [logged]


def test_a_well_formed_envelope_is_dispatched_and_answered_in_its_acknowledgement(
    handler, reached, slack_api
):
    request = envelope(
        "slash_commands",
        "env-help",
        command="/review",
        text="help",
        user_id=BEN,
        channel_id=CHANNEL_ID,
        team_id=TEAM_ID,
        response_url=slack_api.response_url("socket"),
    )
    client = RecordingClient()
    handler.handle(client, request)
    assert len(reached) == 1
    [ack] = client.sent
    assert ack["envelope_id"] == "env-help"
    assert ephemeral_answer(ack["payload"])["blocks"][0]["text"]["text"] == "/review commands"
