"""A fake Socket Mode endpoint: a real WebSocket server on 127.0.0.1 that Slack's side plays.

Give its :attr:`FakeSocketModeServer.url` to the fake Web API (``slack_api.socket_mode_url``),
which hands it out from ``apps.connections.open``; the bot's Socket Mode client then connects
here. The server greets each connection with Slack's ``hello``, lets the test send envelopes
and records every message the client sends back (its acknowledgements)::

    with FakeSocketModeServer() as socket_mode:
        slack_api.socket_mode_url = socket_mode.url
        ...  # start the bot
        assert socket_mode.wait_connected(timeout=30)
        socket_mode.send({"envelope_id": "e1", "type": "slash_commands", "payload": {...}})
        ack = socket_mode.receive(timeout=10)   # {"envelope_id": "e1"}

Uses the ``websockets`` package (a test-only dependency, the ``dev`` extra).
"""

from __future__ import annotations

import json
import queue
import threading
from typing import Any

from websockets.sync.server import Server, ServerConnection, serve

from tests.fakes.slack_api import APP_ID


class FakeSocketModeServer:
    """The WebSocket server; use as a context manager, or call ``start`` and ``stop``."""

    def __init__(self) -> None:
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        self.connections = 0
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._current: ServerConnection | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakeSocketModeServer:
        """Listen on an ephemeral port of 127.0.0.1, serving from a background thread."""
        # No server pings: the client pings (every 5 s), and the server answers those itself.
        self._server = serve(self._serve, "127.0.0.1", 0, ping_interval=None)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close every connection and the listening socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeSocketModeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Return the ``ws://`` URL ``apps.connections.open`` should answer."""
        assert self._server is not None, "start the server first"
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=casedesk-test&app_id={APP_ID}"

    def wait_connected(self, timeout: float) -> bool:
        """Wait until a client has connected (and been greeted); return whether one did."""
        return self._connected.wait(timeout)

    def send(self, envelope: dict[str, Any]) -> None:
        """Send an envelope to the connected client, as Slack pushes a request."""
        with self._lock:
            current = self._current
        assert current is not None, "no client is connected"
        current.send(json.dumps(envelope))

    def receive(self, timeout: float) -> dict[str, Any]:
        """Return the next message the client sent (raises ``queue.Empty`` after ``timeout``)."""
        return self.received.get(timeout=timeout)

    def _serve(self, connection: ServerConnection) -> None:
        hello = {
            "type": "hello",
            "num_connections": 1,
            "connection_info": {"app_id": APP_ID},
            "debug_info": {"host": "casedesk-fake", "approximate_connection_time": 3600},
        }
        connection.send(json.dumps(hello))
        with self._lock:
            self.connections += 1
            self._current = connection
        self._connected.set()
        for message in connection:  # until the client closes
            self.received.put(json.loads(message))
