"""The Slack gateway against a real WebClient talking to a tiny local fake of the Web API.

The fake is an ``http.server`` on 127.0.0.1 (ephemeral port) answering from a script, so the
SDK's own HTTP, JSON and retry handling run for real. Spacing runs on an injected monotonic
clock; nothing sleeps for real.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import UTC, datetime
from http.client import IncompleteRead, RemoteDisconnected
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace
from urllib.error import URLError
from urllib.parse import parse_qsl

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator
from slack_sdk.http_retry import builtin_handlers as sdk_retry_handlers
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.slack_gateway import (
    FailureScope,
    PermanentFailure,
    RetryLater,
    RetryReason,
    Sent,
    SlackGateway,
    backoff,
    classify,
)

# -- a fake Slack Web API -----------------------------------------------------------------------


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


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def clock():
    return FakeTime()


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


# -- messages arrive intact ---------------------------------------------------------------------


def test_a_message_arrives_at_slack_with_its_text_and_blocks_intact(slack, clock):
    gateway = make_gateway(make_client(slack), clock)

    result = gateway.post_message("C0CASEREV01", TEXT, BLOCKS)

    assert result == Sent(channel="C0CASEREV01", ts="1765400000.000001")
    [call] = slack.calls_to("chat.postMessage")
    assert call.body == {"channel": "C0CASEREV01", "text": TEXT, "blocks": BLOCKS}
    assert call.headers["Authorization"] == "Bearer xoxb-test"


def test_a_card_update_and_an_ephemeral_message_arrive_intact(slack, clock):
    gateway = make_gateway(make_client(slack), clock)

    updated = gateway.update_message("C0CASEREV01", "1765400000.000111", TEXT, BLOCKS)
    clock.now += 1
    shown = gateway.post_ephemeral("C0CASEREV01", "U0BEN00001", "Only you can see this")

    assert updated == Sent(channel="C0CASEREV01", ts="1765400000.000111")
    assert shown == Sent(channel="C0CASEREV01", ts="1765400000.000002")
    assert slack.calls_to("chat.update")[0].body == {
        "channel": "C0CASEREV01", "ts": "1765400000.000111", "text": TEXT, "blocks": BLOCKS,
    }  # fmt: skip
    assert slack.calls_to("chat.postEphemeral")[0].body == {
        "channel": "C0CASEREV01", "user": "U0BEN00001", "text": "Only you can see this",
    }  # fmt: skip


def test_a_dm_channel_is_opened_once_per_user_and_then_reused(slack, clock):
    gateway = make_gateway(make_client(slack), clock)

    first = gateway.send_dm("U0BEN00001", TEXT, BLOCKS)
    clock.now += 5
    second = gateway.send_dm("U0BEN00001", "Second reminder")

    assert first == Sent(channel="DU0BEN00001", ts="1765400000.000002")
    assert isinstance(second, Sent) and second.channel == "DU0BEN00001"
    assert [c.body for c in slack.calls_to("conversations.open")] == [{"users": "U0BEN00001"}]
    assert [c.body["text"] for c in slack.calls_to("chat.postMessage")] == [TEXT, "Second reminder"]


def test_a_stale_dm_channel_is_forgotten_and_opened_afresh(slack, clock):
    gateway = make_gateway(make_client(slack), clock)
    gateway.send_dm("U0BEN00001", "first")
    slack.answer("chat.postMessage", body={"ok": False, "error": "channel_not_found"})
    clock.now += 5

    lost = gateway.send_dm("U0BEN00001", "second")
    clock.now += 5
    again = gateway.send_dm("U0BEN00001", "third")

    assert lost == PermanentFailure("channel_not_found", FailureScope.RECIPIENT)
    assert isinstance(again, Sent)
    assert len(slack.calls_to("conversations.open")) == 2


# -- rate limits --------------------------------------------------------------------------------


def test_a_429_is_retry_later_after_retry_after_and_holds_only_that_channel(slack, clock):
    gateway = make_gateway(make_client(slack), clock)
    slack.answer("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, Retry_After="120")

    limited = gateway.post_message("C0CASEREV01", TEXT, BLOCKS)
    held = gateway.post_message("C0CASEREV01", TEXT, BLOCKS)
    other = gateway.post_message("C0OTHERBRD1", "another board's digest")
    clock.now += 120
    retried = gateway.post_message("C0CASEREV01", TEXT, BLOCKS)

    assert limited == RetryLater(120.0, RetryReason.RATE_LIMITED, "ratelimited")
    assert held == RetryLater(120.0, RetryReason.THROTTLED, "throttled")
    assert isinstance(other, Sent)
    assert isinstance(retried, Sent)
    sent_to_case_channel = [
        c for c in slack.calls_to("chat.postMessage") if c.body["channel"] == "C0CASEREV01"
    ]
    assert [c.body for c in sent_to_case_channel] == [
        {"channel": "C0CASEREV01", "text": TEXT, "blocks": BLOCKS}
    ] * 2  # the held call never reached Slack
    assert clock.sleeps == []


def test_a_short_retry_after_still_backs_off_at_least_the_attempts_backoff(slack, clock):
    gateway = make_gateway(make_client(slack), clock)
    slack.answer("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, Retry_After="2")

    result = gateway.post_message("C0CASEREV01", TEXT, attempt=2)

    assert result == RetryLater(60.0, RetryReason.RATE_LIMITED, "ratelimited")
    assert gateway.ready_in("C0CASEREV01") == 2.0  # the channel itself reopens when Slack said


def test_the_sdk_rate_limit_handler_waits_retry_after_and_the_message_then_arrives(
    slack, clock, monkeypatch
):
    sdk_sleeps: list[float] = []
    monkeypatch.setattr(sdk_retry_handlers, "time", SimpleNamespace(sleep=sdk_sleeps.append))
    client = make_client(slack, RateLimitErrorRetryHandler(max_retry_count=1))
    slack.answer("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, Retry_After="7")

    result = make_gateway(client, clock).post_message("C0CASEREV01", TEXT, BLOCKS)

    assert isinstance(result, Sent)
    assert len(sdk_sleeps) == 1 and 7 <= sdk_sleeps[0] < 8
    assert [c.body for c in slack.calls_to("chat.postMessage")] == [
        {"channel": "C0CASEREV01", "text": TEXT, "blocks": BLOCKS}
    ] * 2


def test_a_429_that_outlasts_the_sdk_handler_is_still_classified(slack, clock, monkeypatch):
    monkeypatch.setattr(sdk_retry_handlers, "time", SimpleNamespace(sleep=lambda s: None))
    client = make_client(slack, RateLimitErrorRetryHandler(max_retry_count=1))
    for _ in range(2):
        slack.answer(
            "chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, Retry_After="45"
        )

    result = make_gateway(client, clock).post_message("C0CASEREV01", TEXT)

    assert result == RetryLater(45.0, RetryReason.RATE_LIMITED, "ratelimited")
    assert len(slack.calls_to("chat.postMessage")) == 2


def test_a_429_on_opening_dms_defers_other_dms_but_not_channel_posts(slack, clock):
    gateway = make_gateway(make_client(slack), clock)
    slack.answer("conversations.open", 429, {"ok": False, "error": "ratelimited"}, Retry_After="30")

    first = gateway.send_dm("U0BEN00001", TEXT)
    second = gateway.send_dm("U0AMY00002", TEXT)
    digest = gateway.post_message("C0CASEREV01", "Daily digest")

    assert first == RetryLater(30.0, RetryReason.RATE_LIMITED, "ratelimited")
    assert second == RetryLater(30.0, RetryReason.THROTTLED, "throttled")
    assert isinstance(digest, Sent)
    assert len(slack.calls_to("conversations.open")) == 1


# -- server and network errors ------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_is_retry_later_with_backoff_and_hides_the_body(slack, clock, status):
    slack.answer("chat.postMessage", status, "<html>upstream failure for Child A</html>")

    result = make_gateway(make_client(slack), clock).post_message("C0CASEREV01", TEXT)

    assert result == RetryLater(30.0, RetryReason.SERVER_ERROR, f"http_{status}")


def test_a_500_then_200_arrives_through_the_sdk_server_error_handler(slack, clock):
    handler = ServerErrorRetryHandler(
        max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0)
    )
    slack.answer("chat.postMessage", 500, {"ok": False, "error": "internal_error"})

    result = make_gateway(make_client(slack, handler), clock).post_message(
        "C0CASEREV01", TEXT, BLOCKS
    )

    assert isinstance(result, Sent)
    assert [c.body for c in slack.calls_to("chat.postMessage")] == [
        {"channel": "C0CASEREV01", "text": TEXT, "blocks": BLOCKS}
    ] * 2


def test_a_500_then_200_without_sdk_retries_is_retried_by_the_caller_and_arrives(slack, clock):
    gateway = make_gateway(make_client(slack), clock)
    slack.answer("chat.postMessage", 500, {"ok": False, "error": "internal_error"})

    first = gateway.post_message("C0CASEREV01", TEXT, BLOCKS, attempt=1)
    clock.now += first.after_seconds
    second = gateway.post_message("C0CASEREV01", TEXT, BLOCKS, attempt=2)

    assert first == RetryLater(30.0, RetryReason.SERVER_ERROR, "http_500")
    assert isinstance(second, Sent)


def test_a_refused_connection_is_retry_later(clock):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    client = WebClient(
        token="xoxb-test", base_url=f"http://127.0.0.1:{port}/api/", retry_handlers=[]
    )

    result = make_gateway(client, clock).post_message("C0CASEREV01", TEXT, attempt=3)

    assert result == RetryLater(120.0, RetryReason.CONNECTION_ERROR, "URLError")


class RaisingClient:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def chat_postMessage(self, **kwargs):  # noqa: N802 - WebClient's naming
        raise self.exc


@pytest.mark.parametrize(
    "exc",
    [
        pytest.param(URLError("[Errno 104] Connection reset by peer"), id="url-error"),
        pytest.param(ConnectionResetError(104, "reset"), id="connection-reset"),
        pytest.param(TimeoutError("timed out"), id="socket-timeout-is-timeout-error"),
        pytest.param(RemoteDisconnected("closed"), id="remote-disconnected"),
        pytest.param(IncompleteRead(b""), id="incomplete-read"),
    ],
)
def test_network_errors_are_retry_later(clock, exc):
    result = make_gateway(RaisingClient(exc), clock).post_message("C0CASEREV01", TEXT)

    assert isinstance(result, RetryLater)
    assert (result.reason, result.after_seconds) == (RetryReason.CONNECTION_ERROR, 30.0)


def test_a_programming_error_is_not_swallowed(clock):
    with pytest.raises(KeyError):
        make_gateway(RaisingClient(KeyError("blocks")), clock).post_message("C0CASEREV01", TEXT)


# -- permanent failures -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("channel_not_found", PermanentFailure("channel_not_found", FailureScope.RECIPIENT)),
        ("not_in_channel", PermanentFailure("not_in_channel", FailureScope.RECIPIENT)),
        ("is_archived", PermanentFailure("is_archived", FailureScope.RECIPIENT)),
        ("user_not_found", PermanentFailure("user_not_found", FailureScope.RECIPIENT)),
        ("invalid_auth", PermanentFailure("invalid_auth", FailureScope.INSTALLATION)),
        ("token_revoked", PermanentFailure("token_revoked", FailureScope.INSTALLATION)),
        ("missing_scope", PermanentFailure("missing_scope", FailureScope.INSTALLATION)),
        ("invalid_blocks", PermanentFailure("invalid_blocks", FailureScope.MESSAGE)),
        ("msg_too_long", PermanentFailure("msg_too_long", FailureScope.MESSAGE)),
        ("internal_error", RetryLater(30.0, RetryReason.SERVER_ERROR, "internal_error")),
        ("service_unavailable", RetryLater(30.0, RetryReason.SERVER_ERROR, "service_unavailable")),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_slack_error_codes_are_classified_by_what_retrying_could_fix(slack, clock, error, expected):
    slack.answer("chat.postMessage", 200, {"ok": False, "error": error})

    result = make_gateway(make_client(slack), clock).post_message("C0CASEREV01", TEXT)

    assert result == expected
    assert len(slack.calls_to("chat.postMessage")) == 1  # permanent means: not retried inside


def test_a_failure_is_logged_by_code_never_with_the_message_text(slack, clock, caplog):
    slack.answer("chat.postMessage", 200, {"ok": False, "error": "not_in_channel"})

    with caplog.at_level(logging.WARNING, logger="bot.slack_gateway"):
        make_gateway(make_client(slack), clock).post_message("C0CASEREV01", TEXT, BLOCKS)

    assert "not_in_channel" in caplog.text and "C0CASEREV01" in caplog.text
    assert "Child A" not in caplog.text and "SCR-2026-003" not in caplog.text


def test_classify_refuses_what_is_not_a_slack_or_network_error():
    with pytest.raises(TypeError):
        classify(ValueError("bad"))


# -- spacing ------------------------------------------------------------------------------------


def test_a_second_message_to_a_channel_within_a_second_is_deferred_without_calling_slack(
    slack, clock
):
    gateway = make_gateway(make_client(slack), clock)

    first = gateway.post_message("C0CASEREV01", "one")
    too_soon = gateway.post_message("C0CASEREV01", "two")
    elsewhere = gateway.post_message("C0OTHERBRD1", "three")
    clock.now += 0.4
    still_too_soon = gateway.post_message("C0CASEREV01", "two")
    clock.now += 0.6
    in_time = gateway.post_message("C0CASEREV01", "two")

    assert isinstance(first, Sent) and isinstance(elsewhere, Sent) and isinstance(in_time, Sent)
    assert too_soon == RetryLater(1.0, RetryReason.THROTTLED, "throttled")
    assert still_too_soon.after_seconds == pytest.approx(0.6)
    assert [c.body["text"] for c in slack.calls_to("chat.postMessage")] == ["one", "three", "two"]
    assert clock.sleeps == []


def test_a_gateway_allowed_to_wait_sleeps_on_the_injected_clock_instead(slack, clock):
    gateway = make_gateway(make_client(slack), clock, max_wait=2.0, min_interval_per_channel=1.0)

    results = [gateway.post_message("C0CASEREV01", f"message {i}") for i in range(3)]

    assert all(isinstance(r, Sent) for r in results)
    assert clock.sleeps == [1.0, 1.0]
    assert [c.body["text"] for c in slack.calls_to("chat.postMessage")] == [
        "message 0", "message 1", "message 2",
    ]  # fmt: skip


def test_each_dm_is_spaced_on_its_own(slack, clock):
    gateway = make_gateway(make_client(slack), clock)

    ben_first = gateway.send_dm("U0BEN00001", "one")
    ben_second = gateway.send_dm("U0BEN00001", "two")
    amy_first = gateway.send_dm("U0AMY00002", "three")

    assert isinstance(ben_first, Sent) and isinstance(amy_first, Sent)
    assert ben_second == RetryLater(1.0, RetryReason.THROTTLED, "throttled")
    assert gateway.ready_in("DU0BEN00001") == 1.0
    assert gateway.ready_in("DU0AMY00002") == 1.0
    assert gateway.ready_in("C0NEVERUSED") == 0.0


# -- backoff ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "retry_after", "expected"),
    [
        pytest.param(1, None, 30.0, id="first"),
        pytest.param(2, None, 60.0, id="second"),
        pytest.param(3, None, 120.0, id="third"),
        pytest.param(7, None, 1920.0, id="seventh"),
        pytest.param(8, None, 3600.0, id="capped-at-an-hour"),
        pytest.param(10_000, None, 3600.0, id="huge-attempt-still-capped"),
        pytest.param(1, 10.0, 30.0, id="shorter-retry-after-ignored"),
        pytest.param(1, 90.0, 90.0, id="longer-retry-after-honoured"),
        pytest.param(9, 7200.0, 7200.0, id="retry-after-beyond-the-cap-honoured"),
    ],
)
def test_backoff_doubles_from_thirty_seconds_to_an_hour_and_honours_retry_after(
    attempt, retry_after, expected
):
    assert backoff(attempt, retry_after) == expected


def test_backoff_counts_attempts_from_one():
    with pytest.raises(ValueError, match="from 1"):
        backoff(0)


def test_retry_later_gives_the_not_before_time_for_the_dispatch_row():
    now = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)

    got = RetryLater(90.0, RetryReason.RATE_LIMITED, "ratelimited").not_before(now)

    assert got == datetime(2026, 12, 9, 8, 1, 30, tzinfo=UTC)
