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

Answers are plausible successes per method (:mod:`tests.fakes.slack_answers`). Messages posted
are kept per channel and read back by ``conversations.history`` (:mod:`tests.fakes.conversations`,
newest first, paged, ``metadata`` shown with ``include_all_metadata``); :meth:`FakeSlackApi.
messages_in` shows a channel's messages to a test, :meth:`FakeSlackApi.add_message` puts one
there as someone else.

:meth:`FakeSlackApi.fail_next` scripts a failure: a 429 with ``Retry-After``, a 5xx (with a JSON
or an HTML body), ``{"ok": false, "error": ...}``, a connection dropped before any answer, or
one dropped after Slack accepted the call (``accept_then_drop``: the message is posted, the
client never hears so). :meth:`FakeSlackApi.delay` makes a method's answers slow.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from tests.fakes.api_checks import check_call, check_response_url
from tests.fakes.slack_answers import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_ID,
    Answers,
    dm_channel,
)
from tests.fakes.slack_http import DROPPED, Answer, RequestHandler

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "DROPPED",
    "RESPONSE_URL",
    "TEAM_ID",
    "Call",
    "FakeSlackApi",
    "dm_channel",
    "iter_blocks",
]

RESPONSE_URL = "response_url"
"""The ``method`` recorded for a POST to a ``response_url`` (Bolt's ``respond``)."""


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
            for a dropped connection; for ``accept_then_drop``, the answer never sent.
    """

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    path: str
    status: int
    response: dict[str, Any]


@dataclass
class _Failure:
    status: int
    error: str | None
    headers: dict[str, str]
    body: str | None = None  # served as text/html instead of the JSON answer
    drop: bool = False
    when: dict[str, Any] = field(default_factory=dict)
    accept_then_drop: bool = False  # the call is applied, then the connection dropped

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
        self._delays: dict[str, float] = {}
        self._stopping = threading.Event()  # releases delayed answers when the fake stops
        self._answers = Answers(lambda: self.users, lambda: self.socket_mode_url)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeSlackApi:
        """Listen on an ephemeral port of 127.0.0.1, serving from a background thread."""
        handler = type(
            "Handler", (RequestHandler,), {"answer": self._handle, "stopping": self._stopping}
        )
        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._stopping.set()
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
        accept_then_drop: bool = False,
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
                client sees ``RemoteDisconnected``); nothing is applied.
            accept_then_drop: apply the call as Slack would (a message is posted and shows in
                history), then close the connection without answering: the client sees
                ``RemoteDisconnected`` although Slack did what it asked. The call is recorded
                with status ``DROPPED`` and the answer it never got.
            times: how many calls fail.
            when: fail only calls with these arguments, e.g. ``{"channel": "D0PRI00002"}``
                (others to ``method`` succeed meanwhile).

        Raises:
            ValueError: nothing says how to fail, or ``accept_then_drop`` is given with another
                way to fail.
        """
        if accept_then_drop and (status != 200 or error or body is not None or drop):
            raise ValueError("accept_then_drop answers nothing: give no status, error or body")
        if status == 200 and error is None and body is None and not (drop or accept_then_drop):
            raise ValueError(
                "give a non-200 status, an error code, a body, drop=True or accept_then_drop=True"
            )
        failure = _Failure(
            status, error, dict(headers or {}), body, drop, dict(when or {}), accept_then_drop
        )
        with self._lock:
            self._failures[method].extend([failure] * times)

    def delay(self, methods: str | Iterable[str], seconds: float) -> None:
        """Make every answer to ``methods`` wait ``seconds`` (0 removes the delay).

        The call is applied and recorded at once; only its answer waits, in that request's own
        thread, so calls to other methods (and other calls to the same one) are not held up.
        Stopping the fake releases the answers still waiting.

        Args:
            methods: a method such as ``"chat.postMessage"``, or several.
            seconds: how long each answer waits; 0 answers at once again.

        Raises:
            ValueError: ``seconds`` is negative.
        """
        if seconds < 0:
            raise ValueError(f"a delay cannot be negative: {seconds}")
        names = [methods] if isinstance(methods, str) else list(methods)
        with self._lock:
            for name in names:
                if seconds:
                    self._delays[name] = seconds
                else:
                    self._delays.pop(name, None)

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

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        """Return ``channel``'s messages as Slack holds them, oldest first, with metadata."""
        with self._lock:
            return self._answers.conversations.messages(channel)

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = "U0SOMEONE1",
        bot_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """Put a message someone else posted into ``channel``'s history; return its ``ts``.

        Args:
            channel: the conversation, e.g. ``"C0CASEREV01"`` or a ``D…`` DM.
            text: the message text.
            user: who posted it.
            bot_id: another app's bot, if it was an app's message.
            metadata: its message metadata (``event_type``, ``event_payload``).
        """
        with self._lock:
            ts = self._answers.next_ts()
            message: dict[str, Any] = {"type": "message", "user": user, "ts": ts, "text": text}
            if bot_id is not None:
                message["bot_id"] = bot_id
            if metadata is not None:
                message["metadata"] = metadata
            self._answers.conversations.add(channel, message)
        return ts

    def reset(self) -> None:
        """Forget the calls, violations, scripted failures and delays so far (not messages)."""
        with self._lock:
            self.calls.clear()
            self.violations.clear()
            self._failures.clear()
            self._delays.clear()

    # -- answering ---------------------------------------------------------------------------

    def _handle(self, path: str, args: dict[str, Any], headers: dict[str, str]) -> Answer:
        """Answer one request: (status, extra headers, body, seconds to wait before answering)."""
        if path.startswith("/response/"):
            method = RESPONSE_URL
            problems = check_response_url(args)
        elif path.startswith("/api/"):
            method = path.removeprefix("/api/")
            problems = check_call(method, args, headers)
        else:
            return 404, {}, {"ok": False, "error": "unknown_method"}, 0.0
        with self._lock:
            queue = self._failures[method]
            failure = next((f for f in queue if f.matches(args)), None)
            if failure is not None:
                queue.remove(failure)
            status, extra, body = self._outcome(method, args, problems, failure)
            recorded = {"raw": body} if isinstance(body, str) else body
            self.violations.extend(f"{method}: {p}" for p in problems)
            self.calls.append(Call(method, args, headers, path, status, recorded))
            return status, extra, body, self._delays.get(method, 0.0)

    def _outcome(
        self, method: str, args: dict[str, Any], problems: list[str], failure: _Failure | None
    ) -> tuple[int, dict[str, str], dict[str, Any] | str]:
        """Decide the answer (applying the call when Slack would); called under the lock."""
        if problems:
            refusal = {"ok": False, "error": "invalid_arguments"}
            return 200, {}, refusal | {"response_metadata": {"messages": problems}}
        if failure is None:
            return 200, {}, self._answers.answer(method, args)
        if failure.accept_then_drop:
            return DROPPED, {}, self._answers.answer(method, args)
        if failure.drop:
            return DROPPED, {}, {}
        if failure.body is not None:
            return failure.status, failure.headers, failure.body
        code = failure.error or ("ratelimited" if failure.status == 429 else "internal_error")
        return failure.status, failure.headers, {"ok": False, "error": code}


def iter_blocks(call: Call) -> Iterator[dict[str, Any]]:
    """Yield every block a call sent: the message's, or the view's."""
    yield from call.args.get("blocks") or []
    view = call.args.get("view")
    if isinstance(view, dict):
        yield from view.get("blocks") or []
