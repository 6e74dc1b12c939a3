"""Socket Mode's guard: a malformed envelope is acknowledged and dropped before Bolt sees it.

Socket Mode requests come over a WebSocket the app opened with its app-level token, so there is
no signature to verify; their payloads are checked for the same shape as HTTP requests
(:func:`bot.slack.request_shape.envelope_problem`). One that lacks what Bolt or a listener reads is
acknowledged (so Slack does not send it again) with one WARNING line naming its kind, never its
contents, and is not dispatched: no traceback, nothing written.
"""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.slack.request_shape import envelope_problem

logger = logging.getLogger(__name__)


class GuardedSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler, checking each envelope's payload before dispatching it."""

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        """Dispatch the envelope to Bolt, or acknowledge and drop it when it is malformed."""
        malformed = envelope_problem(req.type, req.payload)
        if malformed is None:
            super().handle(client, req)  # type: ignore[arg-type]
            return
        logger.warning("dropped a Socket Mode %s envelope: malformed %s", req.type, malformed)
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
