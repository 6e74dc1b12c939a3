"""How the Slack gateway classifies what goes wrong: 5xx, network errors, Slack error codes.

A real WebClient talks to the local fake in ``tests/slack_api_server.py``; network errors that
cannot be staged over loopback are raised by a stub client.
"""

from __future__ import annotations

import logging
import socket
from http.client import IncompleteRead, RemoteDisconnected
from types import SimpleNamespace
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator
from slack_sdk.http_retry import builtin_handlers as sdk_retry_builtin_handlers
from slack_sdk.http_retry import handler as sdk_retry_handler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from bot.slack_client import retry_handlers
from bot.slack_gateway import (
    FailureScope,
    PermanentFailure,
    RetryLater,
    RetryReason,
    Sent,
    classify,
)
from tests.slack_api_server import BLOCKS, TEXT, FakeSlack, FakeTime, make_client, make_gateway


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def clock():
    return FakeTime()


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


# -- with the bot's own client retry policy -----------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        pytest.param(
            429, {"ok": False, "error": "ratelimited"},
            RetryLater(30.0, RetryReason.RATE_LIMITED, "ratelimited"), id="429-twice",
        ),
        pytest.param(
            500, {"ok": False, "error": "internal_error"},
            RetryLater(30.0, RetryReason.SERVER_ERROR, "http_500"), id="500-twice",
        ),
        pytest.param(
            200, {"ok": False, "error": "not_in_channel"},
            PermanentFailure("not_in_channel", FailureScope.RECIPIENT), id="permanent-once",
        ),
    ],
)  # fmt: skip
def test_what_outlasts_the_bots_client_retries_is_still_classified(
    slack, clock, monkeypatch, status, body, expected
):
    sdk_sleeps: list[float] = []
    fake_time = SimpleNamespace(sleep=sdk_sleeps.append)
    monkeypatch.setattr(sdk_retry_handler, "time", fake_time)
    monkeypatch.setattr(sdk_retry_builtin_handlers, "time", fake_time)
    client = WebClient(token="xoxb-test", base_url=slack.base_url, retry_handlers=retry_handlers())
    for _ in range(2):
        slack.answer("chat.postMessage", status, body, Retry_After="1")

    result = make_gateway(client, clock).post_message("C0CASEREV01", TEXT)

    assert result == expected
    tries = 1 if isinstance(expected, PermanentFailure) else 2
    assert len(slack.calls_to("chat.postMessage")) == tries
    assert len(sdk_sleeps) == tries - 1
