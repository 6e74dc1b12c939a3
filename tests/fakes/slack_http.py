"""The fake Slack Web API's HTTP side: read a request's arguments, write (or withhold) its answer.

:class:`RequestHandler` parses the query, form or JSON body into arguments, asks ``answer`` (the
fake's) what to reply, then waits out a delay, drops the connection, or writes the answer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.api_checks import Undecodable, decode_json_args

DROPPED = 0
"""The ``status`` recorded for a call whose connection the fake dropped unanswered."""

Answer = tuple[int, dict[str, str], dict[str, Any] | str, float]
"""(status, extra headers, JSON or raw body, seconds to wait before answering)."""


class RequestHandler(BaseHTTPRequestHandler):
    """Serve one connection; subclassed per fake with ``answer`` and ``stopping`` set."""

    answer: Callable[[str, dict[str, Any], dict[str, str]], Answer]
    stopping: threading.Event
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        """Answer a GET (arguments in the query)."""
        self._serve()

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        """Answer a POST (arguments in the form or JSON body, and the query)."""
        self._serve()

    def _serve(self) -> None:
        url = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, extra, body, delay = type(self).answer(url.path, self._args(url.query), headers)
        if delay and self.stopping.wait(delay):
            self.close_connection = True  # the fake is stopping: nobody waits for this answer
            return
        if status == DROPPED:
            self.close_connection = True  # nothing is written: the client sees the socket close
            return
        is_json = not isinstance(body, str)
        data = (json.dumps(body) if is_json else body).encode()
        self.send_response(status)
        kind = "application/json" if is_json else "text/html"
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _args(self, query: str) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        if raw:
            if "json" in (self.headers.get("Content-Type") or ""):
                try:
                    args.update(json.loads(raw))
                except json.JSONDecodeError:
                    args["<body>"] = Undecodable(raw)
            else:
                args.update(parse_qsl(raw, keep_blank_values=True))
        return decode_json_args(args)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base name
        """Keep the test output quiet."""
