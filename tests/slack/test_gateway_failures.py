"""How the Slack gateway classifies what goes wrong: 5xx, network errors, Slack error codes.

A real WebClient talks to the fake Web API of ``tests/fakes/slack_api.py`` (scripted 5xx, HTML
error pages, Slack error codes, dropped connections); network errors that cannot be staged over
loopback (a reset, a timeout, a truncated body) are raised by a stub client.
"""

from __future__ import annotations

import logging
import socket
from http.client import IncompleteRead, RemoteDisconnected
from types import SimpleNamespace
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator, HttpRequest, RetryState
from slack_sdk.http_retry import builtin_handlers as sdk_retry_builtin_handlers
from slack_sdk.http_retry import handler as sdk_retry_handler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.slack.client import PostSafeConnectionErrorRetryHandler, retry_handlers
from bot.slack.gateway import (
    FailureScope,
    PermanentFailure,
    RetryLater,
    RetryReason,
    Sent,
    classify,
)
from tests.fakes.gateway import BLOCKS, TEXT, FakeTime, make_client, make_gateway
from tests.fakes.slack_api import DROPPED


@pytest.fixture
def clock():
    return FakeTime()


# -- server and network errors ------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_is_retry_later_with_backoff_and_hides_the_body(
    slack_api, clock, status, caplog
):
    page = "<html>upstream failure for Child A</html>"
    slack_api.fail_next("chat.postMessage", status=status, body=page)

    with caplog.at_level(logging.DEBUG, logger="bot.slack.gateway"):
        result = make_gateway(make_client(slack_api), clock).post_message("C0CASEREV01", TEXT)

    # Slack may have posted before the 5xx came back: the caller must look before resending.
    assert result == RetryLater(30.0, RetryReason.SERVER_ERROR, f"http_{status}", True)
    assert slack_api.last("chat.postMessage").response == {"raw": page}
    ours = " ".join(r.getMessage() for r in caplog.records if r.name == "bot.slack.gateway")
    assert f"http_{status}" in ours and "Child A" not in ours


def test_a_500_then_200_arrives_through_the_sdk_server_error_handler(slack_api, clock):
    handler = ServerErrorRetryHandler(
        max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0)
    )
    slack_api.fail_next("chat.postMessage", status=500)

    result = make_gateway(make_client(slack_api, handler), clock).post_message(
        "C0CASEREV01", TEXT, BLOCKS
    )

    assert isinstance(result, Sent)
    assert [c.args for c in slack_api.calls_to("chat.postMessage")] == [
        {"channel": "C0CASEREV01", "text": TEXT, "blocks": BLOCKS}
    ] * 2


def test_a_500_then_200_without_sdk_retries_is_retried_by_the_caller_and_arrives(slack_api, clock):
    gateway = make_gateway(make_client(slack_api), clock)
    slack_api.fail_next("chat.postMessage", status=500)

    first = gateway.post_message("C0CASEREV01", TEXT, BLOCKS, attempt=1)
    clock.now += first.after_seconds
    second = gateway.post_message("C0CASEREV01", TEXT, BLOCKS, attempt=2)

    assert first == RetryLater(30.0, RetryReason.SERVER_ERROR, "http_500", unknown_outcome=True)
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
    assert result.unknown_outcome is False  # nothing listened: certainly not sent


class RaisingClient:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def chat_postMessage(self, **kwargs):  # noqa: N802 - WebClient's naming
        raise self.exc


@pytest.mark.parametrize(
    ("exc", "unknown_outcome"),
    [
        # urllib wraps what fails while connecting or sending: Slack never had the request.
        pytest.param(URLError(ConnectionRefusedError(111, "refused")), False, id="refused"),
        pytest.param(URLError(socket.gaierror(-2, "unknown host")), False, id="dns"),
        pytest.param(URLError(TimeoutError("timed out")), False, id="connect-timeout"),
        pytest.param(URLError("[Errno 104] Connection reset by peer"), False, id="reset-sending"),
        # Raised as they are while awaiting the answer: Slack may have acted on the request.
        pytest.param(ConnectionResetError(104, "reset"), True, id="reset-awaiting-answer"),
        pytest.param(TimeoutError("timed out"), True, id="answer-timeout"),
        pytest.param(RemoteDisconnected("closed"), True, id="remote-disconnected"),
        pytest.param(IncompleteRead(b""), True, id="incomplete-read"),
    ],
)
def test_network_errors_are_retry_later_and_say_whether_slack_may_have_acted(
    clock, exc, unknown_outcome
):
    result = make_gateway(RaisingClient(exc), clock).post_message("C0CASEREV01", TEXT)

    assert result == RetryLater(
        30.0, RetryReason.CONNECTION_ERROR, type(exc).__name__, unknown_outcome
    )


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
        ("internal_error", RetryLater(30.0, RetryReason.SERVER_ERROR, "internal_error", True)),
        ("fatal_error", RetryLater(30.0, RetryReason.SERVER_ERROR, "fatal_error", True)),
        ("service_unavailable", RetryLater(30.0, RetryReason.SERVER_ERROR, "service_unavailable")),
        ("request_timeout", RetryLater(30.0, RetryReason.SERVER_ERROR, "request_timeout")),
        ("rate_limited", RetryLater(30.0, RetryReason.RATE_LIMITED, "rate_limited")),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_slack_error_codes_are_classified_by_what_retrying_could_fix(
    slack_api, clock, error, expected
):
    slack_api.fail_next("chat.postMessage", error=error)

    result = make_gateway(make_client(slack_api), clock).post_message("C0CASEREV01", TEXT)

    assert result == expected
    assert len(slack_api.calls_to("chat.postMessage")) == 1  # permanent means: not retried inside


def test_a_failure_is_logged_by_code_never_with_the_message_text(slack_api, clock, caplog):
    slack_api.fail_next("chat.postMessage", error="not_in_channel")

    with caplog.at_level(logging.WARNING, logger="bot.slack.gateway"):
        make_gateway(make_client(slack_api), clock).post_message("C0CASEREV01", TEXT, BLOCKS)

    assert "not_in_channel" in caplog.text and "C0CASEREV01" in caplog.text
    assert "Child A" not in caplog.text and "SCR-2026-003" not in caplog.text


def test_classify_refuses_what_is_not_a_slack_or_network_error():
    with pytest.raises(TypeError):
        classify(ValueError("bad"))


# -- with the bot's own client retry policy -----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "status", "error", "tries", "expected"),
    [
        pytest.param(
            "chat.postMessage", 429, None, 2,
            RetryLater(30.0, RetryReason.RATE_LIMITED, "ratelimited"), id="429-twice",
        ),
        pytest.param(  # never resent: Slack may have posted it (the outbox looks first)
            "chat.postMessage", 500, None, 1,
            RetryLater(30.0, RetryReason.SERVER_ERROR, "http_500", True), id="500-post-once",
        ),
        pytest.param(
            "chat.update", 500, None, 2,
            RetryLater(30.0, RetryReason.SERVER_ERROR, "http_500", True), id="500-update-twice",
        ),
        pytest.param(
            "chat.postMessage", 200, "not_in_channel", 1,
            PermanentFailure("not_in_channel", FailureScope.RECIPIENT), id="permanent-once",
        ),
    ],
)  # fmt: skip
def test_what_outlasts_the_bots_client_retries_is_still_classified(
    slack_api, clock, monkeypatch, method, status, error, tries, expected
):
    sdk_sleeps: list[float] = []
    fake_time = SimpleNamespace(sleep=sdk_sleeps.append)
    monkeypatch.setattr(sdk_retry_handler, "time", fake_time)
    monkeypatch.setattr(sdk_retry_builtin_handlers, "time", fake_time)
    client = WebClient(
        token="xoxb-test", base_url=slack_api.base_url, retry_handlers=retry_handlers()
    )
    slack_api.fail_next(method, status=status, error=error, headers={"Retry-After": "1"}, times=2)

    gateway = make_gateway(client, clock)
    if method == "chat.update":
        result = gateway.update_message("C0CASEREV01", "1767000000.000100", TEXT)
    else:
        result = gateway.post_message("C0CASEREV01", TEXT)

    assert result == expected
    assert len(slack_api.calls_to(method)) == tries
    assert len(sdk_sleeps) == tries - 1
    assert slack_api.messages_in("C0CASEREV01") == []  # no failed post shows in the channel


def test_a_dropped_connection_is_retry_later_without_sdk_retries(slack_api, clock):
    slack_api.fail_next("chat.postMessage", drop=True)

    result = make_gateway(make_client(slack_api), clock).post_message("C0CASEREV01", TEXT)

    assert result == RetryLater(
        30.0, RetryReason.CONNECTION_ERROR, "RemoteDisconnected", unknown_outcome=True
    )
    [call] = slack_api.calls_to("chat.postMessage")
    assert (call.status, call.args) == (DROPPED, {"channel": "C0CASEREV01", "text": TEXT})


@pytest.fixture
def bots_client(slack_api, monkeypatch):
    """Return a WebClient on the fake with the bot's own retry policy; the SDK does not sleep."""
    monkeypatch.setattr(sdk_retry_handler, "time", SimpleNamespace(sleep=lambda seconds: None))
    return WebClient(
        token="xoxb-test", base_url=slack_api.base_url, retry_handlers=retry_handlers()
    )


def test_a_post_slack_accepted_before_the_connection_dropped_is_not_resent_by_the_bots_client(
    slack_api, clock, bots_client
):
    slack_api.fail_next("chat.postMessage", accept_then_drop=True)

    result = make_gateway(bots_client, clock).post_message("C0CASEREV01", TEXT, BLOCKS)

    assert result == RetryLater(
        30.0, RetryReason.CONNECTION_ERROR, "RemoteDisconnected", unknown_outcome=True
    )
    [posted] = slack_api.messages_in("C0CASEREV01")  # exactly one message
    assert (posted["text"], posted["blocks"]) == (TEXT, BLOCKS)
    assert [c.status for c in slack_api.calls_to("chat.postMessage")] == [DROPPED]


def test_slack_sdks_own_connection_retry_would_post_that_message_twice(slack_api, clock):
    # Why the bot's client does not use slack_sdk's ConnectionErrorRetryHandler as it is.
    stock = make_client(slack_api, ConnectionErrorRetryHandler(max_retry_count=1))
    slack_api.fail_next("chat.postMessage", accept_then_drop=True)

    result = make_gateway(stock, clock).post_message("C0CASEREV01", TEXT)

    assert isinstance(result, Sent)
    assert [m["text"] for m in slack_api.messages_in("C0CASEREV01")] == [TEXT, TEXT]


def test_a_dropped_card_update_is_still_retried_by_the_bots_client(slack_api, clock, bots_client):
    slack_api.fail_next("chat.update", drop=True)

    result = make_gateway(bots_client, clock).update_message(
        "C0CASEREV01", "1765400000.000111", TEXT, BLOCKS
    )

    assert result == Sent(channel="C0CASEREV01", ts="1765400000.000111")
    assert [c.status for c in slack_api.calls_to("chat.update")] == [DROPPED, 200]


@pytest.mark.parametrize(
    ("method", "error", "retried"),
    [
        pytest.param("chat.postMessage", URLError(ConnectionRefusedError()), True, id="refused"),
        pytest.param("chat.postMessage", URLError(socket.gaierror()), True, id="dns"),
        pytest.param("chat.postMessage", RemoteDisconnected("closed"), False, id="dropped"),
        pytest.param("chat.postMessage", ConnectionResetError(), False, id="reset"),
        pytest.param("chat.update", RemoteDisconnected("closed"), True, id="update-dropped"),
        pytest.param("views.publish", ConnectionResetError(), True, id="home-reset"),
    ],
)
def test_the_bots_client_resends_a_post_only_when_it_never_reached_slack(method, error, retried):
    [handler] = [h for h in retry_handlers() if isinstance(h, ConnectionErrorRetryHandler)]
    request = HttpRequest(method="POST", url=f"https://slack.com/api/{method}", headers={})

    assert isinstance(handler, PostSafeConnectionErrorRetryHandler)
    assert handler.can_retry(state=RetryState(), request=request, error=error) is retried
