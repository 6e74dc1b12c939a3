"""A fake Slack Web API: a real HTTP server on 127.0.0.1 that records and checks every call.

Point a ``WebClient`` at it with ``base_url=fake.base_url`` (``SLACK_API_URL`` in settings) and
give payloads ``response_url=fake.response_url()``; then every call the bot makes — through
the client or Bolt's ``respond`` — lands here::

    with FakeSlackApi() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.base_url)
        client.chat_postMessage(channel="C0CASEREV01", text="hi", blocks=[...])
        call = fake.last("chat.postMessage")
        assert call.args["blocks"][0]["text"]["text"] == ...

Each call is checked (:mod:`tests.fakes.api_checks`) against Slack's method specs
(``tests/fixtures/slack-api-specs``, copied from slack-ruby/slack-api-ref): required arguments
present, no unknown argument, a bot token in the Authorization header; and ``blocks``/``view``
are checked with slack_sdk's models plus the limits they miss (:mod:`tests.fakes.block_kit`).
A call that breaks a rule is recorded in ``violations`` and answered ``{"ok": false, "error":
"invalid_arguments"}``, as Slack would; the ``slack_api`` fixture fails the test at teardown
when there are any.

Answers are plausible successes per method (``ts`` values increase, a DM channel is ``D`` +
the user ID's tail, views get an ``id``). :meth:`FakeSlackApi.fail_next` scripts a failure: a
429 with ``Retry-After``, a 5xx (with a JSON or an HTML body), ``{"ok": false, "error": ...}``,
or a connection dropped before any answer.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.api_checks import (
    Undecodable,
    check_call,
    check_response_url,
    decode_json_args,
)

RESPONSE_URL = "response_url"
"""The ``method`` recorded for a POST to a ``response_url`` (Bolt's ``respond``)."""

TEAM_ID = "T0CASEDESK"
BOT_USER_ID = "U0CASEBOT1"
BOT_ID = "B0CASEBOT1"
APP_ID = "A0CASEDESK"


@dataclass(frozen=True)
class Call:
    """One request the fake received.

    Attributes:
        method: the Web API method (``chat.postMessage``), or ``"response_url"``.
        args: every argument, from the query, form or JSON body; ``blocks`` and ``view`` are
            always decoded into lists and dicts.
        headers: the request headers, names lower-case.
        path: the URL path requested.
        status: the HTTP status the fake answered; 0 when it dropped the connection instead.
        response: the JSON the fake answered; a scripted raw body as ``{"raw": body}``; ``{}``
            for a dropped connection.
    """

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    path: str
    status: int
    response: dict[str, Any]


DROPPED = 0
"""The ``status`` recorded for a call whose connection the fake dropped unanswered."""


@dataclass
class _Failure:
    status: int
    error: str | None
    headers: dict[str, str]
    body: str | None = None  # served as text/html instead of the JSON answer
    drop: bool = False
    when: dict[str, Any] = field(default_factory=dict)

    def matches(self, args: dict[str, Any]) -> bool:
        return all(args.get(k) == v for k, v in self.when.items())


@dataclass
class FakeSlackApi:
    """The fake server; use as a context manager, or call ``start`` and ``stop``."""

    calls: list[Call] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    """users.info answers: user ID -> user object (a plausible one is made up otherwise)."""
    socket_mode_url: str | None = None
    """The ``url`` apps.connections.open answers (a :mod:`tests.fakes.socket_mode` server)."""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._ts = itertools.count(1)
        self._view_ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeSlackApi:
        """Listen on an ephemeral port of 127.0.0.1, serving from a background thread."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlackApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Return ``http://127.0.0.1:<port>``."""
        assert self._server is not None, "start the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        """Return the Web API base URL to give a WebClient (``SLACK_API_URL``)."""
        return f"{self.url}/api/"

    def response_url(self, name: str = "cmd") -> str:
        """Return a ``response_url`` to put in a payload, so ``respond`` lands here."""
        return f"{self.url}/response/{name}"

    # -- scripting and reading ---------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        headers: dict[str, str] | None = None,
        body: str | None = None,
        drop: bool = False,
        times: int = 1,
        when: dict[str, Any] | None = None,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail.

        Args:
            method: e.g. ``"chat.postMessage"``.
            status: the HTTP status; 429 answers ``ratelimited``, 5xx ``internal_error``.
            error: with status 200, the ``error`` of an ``{"ok": false}`` answer.
            headers: extra response headers, e.g. ``{"Retry-After": "1"}``.
            body: a raw body to answer instead of JSON, served as ``text/html`` (the error page
                a proxy or load balancer sends with a 5xx).
            drop: close the connection once the request is read, answering nothing (the
                client sees ``RemoteDisconnected``).
            times: how many calls fail.
            when: fail only calls with these arguments, e.g. ``{"channel": "D0PRI00002"}``
                (others to ``method`` succeed meanwhile).
        """
        if status == 200 and error is None and body is None and not drop:
            raise ValueError("give a non-200 status, an error code, a body or drop=True")
        failure = _Failure(status, error, dict(headers or {}), body, drop, dict(when or {}))
        with self._lock:
            self._failures[method].extend([failure] * times)

    def calls_to(self, method: str) -> list[Call]:
        """Return the calls made to ``method``, oldest first."""
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def last(self, method: str) -> Call:
        """Return the latest call to ``method``; fail the test when there is none."""
        calls = self.calls_to(method)
        assert calls, f"no call to {method}; calls: {self.methods()}"
        return calls[-1]

    def methods(self) -> list[str]:
        """Return the methods called, in order."""
        with self._lock:
            return [c.method for c in self.calls]

    def reset(self) -> None:
        """Forget the calls, violations and scripted failures so far."""
        with self._lock:
            self.calls.clear()
            self.violations.clear()
            self._failures.clear()

    # -- answering ---------------------------------------------------------------------------

    def _handle(
        self, path: str, args: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], dict[str, Any] | str]:
        if path.startswith("/response/"):
            method = RESPONSE_URL
            problems = check_response_url(args)
        elif path.startswith("/api/"):
            method = path.removeprefix("/api/")
            problems = check_call(method, args, headers)
        else:
            return 404, {}, {"ok": False, "error": "unknown_method"}
        with self._lock:
            queue = self._failures[method]
            failure = next((f for f in queue if f.matches(args)), None)
            if failure is not None:
                queue.remove(failure)
        body: dict[str, Any] | str
        if problems:
            status, extra = 200, {}
            body = {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": problems},
            }
        elif failure is not None and failure.drop:
            status, extra, body = DROPPED, {}, {}
        elif failure is not None and failure.body is not None:
            status, extra, body = failure.status, failure.headers, failure.body
        elif failure is not None:
            status, extra = failure.status, failure.headers
            code = failure.error or ("ratelimited" if status == 429 else "internal_error")
            body = {"ok": False, "error": code}
        else:
            status, extra, body = 200, {}, self._success(method, args)
        recorded = {"raw": body} if isinstance(body, str) else body
        with self._lock:
            self.violations.extend(f"{method}: {p}" for p in problems)
            self.calls.append(Call(method, args, headers, path, status, recorded))
        return status, extra, body

    def _success(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        ts = f"{1767000000 + next(self._ts)}.000100"
        channel = args.get("channel")
        match method:
            case "chat.postMessage":
                message = _message(args, ts)
                return {"ok": True, "channel": channel, "ts": ts, "message": message}
            case "chat.update":
                message = _message(args, args["ts"])
                return {
                    "ok": True,
                    "channel": channel,
                    "ts": args["ts"],
                    "text": args.get("text", ""),
                    "message": message,
                }  # noqa: E501
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            case "chat.delete":
                return {"ok": True, "channel": channel, "ts": args["ts"]}
            case "chat.getPermalink":
                link = f"https://casedesk-test.slack.com/archives/{channel}/p{args['message_ts'].replace('.', '')}"  # noqa: E501
                return {"ok": True, "channel": channel, "permalink": link}
            case "views.open" | "views.push" | "views.update" | "views.publish":
                view_id = args.get("view_id") or f"V{next(self._view_ids):09d}"
                view = {
                    **args["view"],
                    "id": view_id,
                    "team_id": TEAM_ID,
                    "app_id": APP_ID,
                    "bot_id": BOT_ID,
                    "hash": f"{ts}.hash",
                    "state": {"values": {}},
                }
                return {"ok": True, "view": view}
            case "conversations.open":
                user = str(args.get("users", "U0NOBODY00")).split(",")[0]
                return {"ok": True, "channel": {"id": dm_channel(user)}}
            case "users.info":
                return {"ok": True, "user": self.users.get(args["user"]) or _user(args["user"])}
            case "apps.connections.open":
                if self.socket_mode_url is None:
                    return {"ok": False, "error": "internal_error"}
                return {"ok": True, "url": self.socket_mode_url}
            case "auth.test":
                return {
                    "ok": True,
                    "url": "https://casedesk-test.slack.com/",
                    "team": "casedesk test",
                    "user": "casedesk",
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "bot_id": BOT_ID,
                    "is_enterprise_install": False,
                }
        return {"ok": True}


def dm_channel(user_id: str) -> str:
    """Return the DM channel the fake opens with ``user_id`` (``U0BEN00001`` -> ``D0BEN00001``)."""
    return "D" + user_id[1:]


def _message(args: dict[str, Any], ts: str) -> dict[str, Any]:
    return {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "ts": ts,
        "text": args.get("text", ""),
        "blocks": args.get("blocks") or [],
    }


def _user(user_id: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": user_id.lower(),
        "deleted": False,
        "real_name": f"Member {user_id}",
        "tz": "Europe/London",
        "is_bot": False,
        "profile": {"real_name": f"Member {user_id}", "display_name": user_id.lower()},
    }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlackApi
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._serve()

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self._serve()

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        args: dict[str, Any] = dict(parse_qsl(url.query, keep_blank_values=True))
        if raw:
            if "json" in (self.headers.get("Content-Type") or ""):
                try:
                    args.update(json.loads(raw))
                except json.JSONDecodeError:
                    args["<body>"] = Undecodable(raw)
            else:
                args.update(parse_qsl(raw, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, extra, body = self.fake._handle(url.path, decode_json_args(args), headers)
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

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base name
        """Keep the test output quiet."""


def iter_blocks(call: Call) -> Iterator[dict[str, Any]]:
    """Yield every block a call sent: the message's, or the view's."""
    yield from call.args.get("blocks") or []
    view = call.args.get("view")
    if isinstance(view, dict):
        yield from view.get("blocks") or []
