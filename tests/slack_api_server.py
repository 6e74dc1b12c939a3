"""A tiny fake of the Slack Web API over real HTTP, for tests of outbound calls.

``http.server`` on 127.0.0.1 (ephemeral port) answers each Web API method from a script, or with
a plausible success, and records every request, so a real ``slack_sdk.WebClient`` pointed at
``base_url`` runs its own HTTP, JSON and retry code. ``FakeTime`` is a monotonic clock and a
sleep that only moves it: spacing is tested without real waiting.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl

from slack_sdk import WebClient

from bot.slack_gateway import SlackGateway


@dataclass(frozen=True)
class Call:
    method: str
    body: dict
    headers: dict


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    headers: dict


class FakeSlack:
    """Answers Web API calls from a per-method script; records every request."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.script: dict[str, deque[Reply]] = defaultdict(deque)
        self.server = HTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/api/"

    def answer(self, method: str, status: int = 200, body: dict | str = "", **headers: str):
        text = body if isinstance(body, str) else json.dumps(body)
        self.script[method].append(
            Reply(status, text, {k.replace("_", "-"): v for k, v in headers.items()})
        )

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def _default(self, method: str, body: dict) -> dict:
        n = len(self.calls)
        match method:
            case "chat.postMessage":
                return {"ok": True, "channel": body["channel"], "ts": f"1765400000.{n:06d}"}
            case "chat.update":
                return {"ok": True, "channel": body["channel"], "ts": body["ts"]}
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": f"1765400000.{n:06d}"}
            case "conversations.open":
                return {"ok": True, "channel": {"id": "D" + body["users"]}}
        return {"ok": False, "error": "unknown_method"}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                if self.headers.get_content_type() == "application/json":
                    body = json.loads(raw)
                else:
                    body = dict(parse_qsl(raw))
                method = self.path.rsplit("/", 1)[-1]
                fake.calls.append(Call(method, body, dict(self.headers)))
                script = fake.script[method]
                reply = (
                    script.popleft()
                    if script
                    else Reply(200, json.dumps(fake._default(method, body)), {})
                )
                data = reply.body.encode()
                self.send_response(reply.status)
                is_json = reply.body.startswith("{")
                self.send_header("Content-Type", "application/json" if is_json else "text/html")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self) -> FakeSlack:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeTime:
    """A monotonic clock and a sleep that only move the clock."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_client(slack: FakeSlack, *handlers) -> WebClient:
    return WebClient(
        token="xoxb-test", base_url=slack.base_url, timeout=5, retry_handlers=list(handlers)
    )


def make_gateway(client, clock: FakeTime, **kwargs) -> SlackGateway:
    return SlackGateway(client, monotonic=clock.monotonic, sleep=clock.sleep, **kwargs)


TEXT = 'Reminder: SCR-2026-003 (Child A) "information return" due <!channel> & Dŵr Cymru'
BLOCKS = [
    {"type": "section", "block_id": "reminder", "text": {"type": "mrkdwn", "text": TEXT}},
    {
        "type": "actions",
        "block_id": "reminder_actions",
        "elements": [
            {"type": "button", "action_id": "deadline_done", "value": "42",
             "text": {"type": "plain_text", "text": "Mark done"}},
        ],
    },
]  # fmt: skip
