"""The Slack gateway against a real WebClient talking to a local fake of the Web API.

Delivery (text and blocks arrive intact), DMs, per-channel spacing on an injected monotonic
clock (nothing sleeps for real), rate limits and the backoff policy. Failures other than 429:
``test_slack_gateway_failures.py``. The fake: ``tests/fakes/slack_api.py`` (every call is also
checked against Slack's method specs), through ``tests/fakes/gateway.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from slack_sdk.http_retry import builtin_handlers as sdk_retry_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.slack.gateway import (
    FailureScope,
    PermanentFailure,
    RetryLater,
    RetryReason,
    Sent,
    backoff,
)
from tests.fakes.gateway import BLOCKS, TEXT, FakeTime, make_client, make_gateway
from tests.fakes.slack_api import dm_channel


@pytest.fixture
def clock():
    return FakeTime()


# -- messages arrive intact ---------------------------------------------------------------------


def test_a_message_arrives_at_slack_with_its_text_and_blocks_intact(slack_api, clock):
    gateway = make_gateway(make_client(slack_api), clock)

    result = gateway.post_message("C0CASEREV01", TEXT, BLOCKS)

    [call] = slack_api.calls_to("chat.postMessage")
    assert result == Sent(channel="C0CASEREV01", ts=call.response["ts"])
    assert call.args == {"channel": "C0CASEREV01", "text": TEXT, "blocks": BLOCKS}
    assert call.headers["authorization"] == "Bearer xoxb-test"


def test_a_card_update_and_an_ephemeral_message_arrive_intact(slack_api, clock):
    gateway = make_gateway(make_client(slack_api), clock)

    updated = gateway.update_message("C0CASEREV01", "1765400000.000111", TEXT, BLOCKS)
    clock.now += 1
    shown = gateway.post_ephemeral("C0CASEREV01", "U0BEN00001", "Only you can see this")

    assert updated == Sent(channel="C0CASEREV01", ts="1765400000.000111")
    [ephemeral] = slack_api.calls_to("chat.postEphemeral")
    assert shown == Sent(channel="C0CASEREV01", ts=ephemeral.response["message_ts"])
    assert slack_api.calls_to("chat.update")[0].args == {
        "channel": "C0CASEREV01", "ts": "1765400000.000111", "text": TEXT, "blocks": BLOCKS,
    }  # fmt: skip
    assert ephemeral.args == {
        "channel": "C0CASEREV01", "user": "U0BEN00001", "text": "Only you can see this",
    }  # fmt: skip


def test_a_dm_channel_is_opened_once_per_user_and_then_reused(slack_api, clock):
    gateway = make_gateway(make_client(slack_api), clock)

    first = gateway.send_dm("U0BEN00001", TEXT, BLOCKS)
    clock.now += 5
    second = gateway.send_dm("U0BEN00001", "Second reminder")

    posted = slack_api.calls_to("chat.postMessage")
    assert first == Sent(channel=dm_channel("U0BEN00001"), ts=posted[0].response["ts"])
    assert second == Sent(channel=dm_channel("U0BEN00001"), ts=posted[1].response["ts"])
    assert [c.args["channel"] for c in posted] == [dm_channel("U0BEN00001")] * 2
    assert [c.args for c in slack_api.calls_to("conversations.open")] == [{"users": "U0BEN00001"}]
    assert [c.args["text"] for c in slack_api.calls_to("chat.postMessage")] == [
        TEXT,
        "Second reminder",
    ]


def test_a_stale_dm_channel_is_forgotten_and_opened_afresh(slack_api, clock):
    gateway = make_gateway(make_client(slack_api), clock)
    gateway.send_dm("U0BEN00001", "first")
    slack_api.fail_next("chat.postMessage", error="channel_not_found")
    clock.now += 5

    lost = gateway.send_dm("U0BEN00001", "second")
    clock.now += 5
    again = gateway.send_dm("U0BEN00001", "third")

    assert lost == PermanentFailure("channel_not_found", FailureScope.RECIPIENT)
    assert isinstance(again, Sent)
    assert len(slack_api.calls_to("conversations.open")) == 2


# -- rate limits --------------------------------------------------------------------------------


def test_a_429_is_retry_later_after_retry_after_and_holds_only_that_channel(slack_api, clock):
    gateway = make_gateway(make_client(slack_api), clock)
    slack_api.fail_next("chat.postMessage", status=429, headers={"Retry-After": "120"})

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
        c for c in slack_api.calls_to("chat.postMessage") if c.args["channel"] == "C0CASEREV01"
    ]
    assert [c.args for c in sent_to_case_channel] == [
        {"channel": "C0CASEREV01", "text": TEXT, "blocks": BLOCKS}
    ] * 2  # the held call never reached Slack
    assert clock.sleeps == []


def test_a_short_retry_after_still_backs_off_at_least_the_attempts_backoff(slack_api, clock):
    gateway = make_gateway(make_client(slack_api), clock)
    slack_api.fail_next("chat.postMessage", status=429, headers={"Retry-After": "2"})

    result = gateway.post_message("C0CASEREV01", TEXT, attempt=2)

    assert result == RetryLater(60.0, RetryReason.RATE_LIMITED, "ratelimited")
    assert gateway.ready_in("C0CASEREV01") == 2.0  # the channel itself reopens when Slack said


def test_the_sdk_rate_limit_handler_waits_retry_after_and_the_message_then_arrives(
    slack_api, clock, monkeypatch
):
    sdk_sleeps: list[float] = []
    monkeypatch.setattr(sdk_retry_handlers, "time", SimpleNamespace(sleep=sdk_sleeps.append))
    client = make_client(slack_api, RateLimitErrorRetryHandler(max_retry_count=1))
    slack_api.fail_next("chat.postMessage", status=429, headers={"Retry-After": "7"})

    result = make_gateway(client, clock).post_message("C0CASEREV01", TEXT, BLOCKS)

    assert isinstance(result, Sent)
    assert len(sdk_sleeps) == 1 and 7 <= sdk_sleeps[0] < 8
    assert [c.args for c in slack_api.calls_to("chat.postMessage")] == [
        {"channel": "C0CASEREV01", "text": TEXT, "blocks": BLOCKS}
    ] * 2


def test_a_429_that_outlasts_the_sdk_handler_is_still_classified(slack_api, clock, monkeypatch):
    monkeypatch.setattr(sdk_retry_handlers, "time", SimpleNamespace(sleep=lambda s: None))
    client = make_client(slack_api, RateLimitErrorRetryHandler(max_retry_count=1))
    slack_api.fail_next("chat.postMessage", status=429, headers={"Retry-After": "45"}, times=2)

    result = make_gateway(client, clock).post_message("C0CASEREV01", TEXT)

    assert result == RetryLater(45.0, RetryReason.RATE_LIMITED, "ratelimited")
    assert len(slack_api.calls_to("chat.postMessage")) == 2


def test_a_429_on_opening_dms_defers_other_dms_but_not_channel_posts(slack_api, clock):
    gateway = make_gateway(make_client(slack_api), clock)
    slack_api.fail_next("conversations.open", status=429, headers={"Retry-After": "30"})

    first = gateway.send_dm("U0BEN00001", TEXT)
    second = gateway.send_dm("U0AMY00002", TEXT)
    digest = gateway.post_message("C0CASEREV01", "Daily digest")

    assert first == RetryLater(30.0, RetryReason.RATE_LIMITED, "ratelimited")
    assert second == RetryLater(30.0, RetryReason.THROTTLED, "throttled")
    assert isinstance(digest, Sent)
    assert len(slack_api.calls_to("conversations.open")) == 1


# -- spacing ------------------------------------------------------------------------------------


def test_a_second_message_to_a_channel_within_a_second_is_deferred_without_calling_slack(
    slack_api, clock
):
    gateway = make_gateway(make_client(slack_api), clock)

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
    assert [c.args["text"] for c in slack_api.calls_to("chat.postMessage")] == [
        "one",
        "three",
        "two",
    ]
    assert clock.sleeps == []


def test_a_gateway_allowed_to_wait_sleeps_on_the_injected_clock_instead(slack_api, clock):
    gateway = make_gateway(
        make_client(slack_api), clock, max_wait=2.0, min_interval_per_channel=1.0
    )

    results = [gateway.post_message("C0CASEREV01", f"message {i}") for i in range(3)]

    assert all(isinstance(r, Sent) for r in results)
    assert clock.sleeps == [1.0, 1.0]
    assert [c.args["text"] for c in slack_api.calls_to("chat.postMessage")] == [
        "message 0", "message 1", "message 2",
    ]  # fmt: skip


def test_each_dm_is_spaced_on_its_own(slack_api, clock):
    gateway = make_gateway(make_client(slack_api), clock)

    ben_first = gateway.send_dm("U0BEN00001", "one")
    ben_second = gateway.send_dm("U0BEN00001", "two")
    amy_first = gateway.send_dm("U0AMY00002", "three")

    assert isinstance(ben_first, Sent) and isinstance(amy_first, Sent)
    assert ben_second == RetryLater(1.0, RetryReason.THROTTLED, "throttled")
    assert gateway.ready_in(dm_channel("U0BEN00001")) == 1.0
    assert gateway.ready_in(dm_channel("U0AMY00002")) == 1.0
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
