"""Exactly once: messages carry their outbox key as Slack metadata, and a send of unknown outcome
is looked up in the conversation's history before it is made again.

The scenario of issue #13 item 5: Slack accepts a message and the connection drops before the
answer (the fake's ``accept_then_drop``). The gateway reports ``RetryLater(unknown_outcome=True)``,
the bot's client has not resent it, and ``find_by_metadata`` finds it: exactly one message.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry import handler as sdk_retry_handler

from bot.slack.client import retry_handlers
from bot.slack.gateway import FailureScope, PermanentFailure, RetryLater, RetryReason, Sent
from bot.slack.history import OUTBOX_EVENT_TYPE, OUTBOX_KEY, outbox_metadata
from tests.fakes.gateway import BLOCKS, TEXT, FakeTime, make_client, make_gateway
from tests.fakes.slack_api import BOT_ID, dm_channel

CHANNEL = "C0CASEREV01"
BEN = "U0BEN00001"


@pytest.fixture
def clock():
    return FakeTime()


@pytest.fixture
def gateway(slack_api, clock, monkeypatch):
    """Return a gateway on a client with the bot's own retry policy (the SDK does not sleep)."""
    monkeypatch.setattr(sdk_retry_handler, "time", SimpleNamespace(sleep=lambda seconds: None))
    client = WebClient(
        token="xoxb-test", base_url=slack_api.base_url, retry_handlers=retry_handlers()
    )
    return make_gateway(client, clock)


def find(gateway, channel: str, row: int, **kwargs):
    return gateway.find_by_metadata(channel, OUTBOX_EVENT_TYPE, OUTBOX_KEY, row, **kwargs)


def test_metadata_travels_with_a_post_a_dm_and_an_update(slack_api, clock, gateway):
    posted = gateway.post_message(CHANNEL, TEXT, BLOCKS, metadata=outbox_metadata(41))
    dm = gateway.send_dm(BEN, "Your reminder", metadata=outbox_metadata(42))
    clock.now += 1
    gateway.update_message(CHANNEL, posted.ts, "Card v2", BLOCKS, metadata=outbox_metadata(43))

    assert slack_api.last("chat.postMessage").args == {
        "channel": dm_channel(BEN), "text": "Your reminder",
        "metadata": {"event_type": "casedesk_outbox", "event_payload": {"outbox_id": 42}},
    }  # fmt: skip
    assert [m["metadata"] for m in slack_api.messages_in(CHANNEL)] == [outbox_metadata(43)]
    assert [m["ts"] for m in slack_api.messages_in(dm.channel)] == [dm.ts]


def test_a_post_slack_accepted_before_the_connection_dropped_is_found_not_sent_twice(
    slack_api, gateway
):
    slack_api.fail_next("chat.postMessage", accept_then_drop=True)

    first = gateway.post_message(CHANNEL, TEXT, BLOCKS, metadata=outbox_metadata(42))
    found = find(gateway, CHANNEL, 42, oldest="1767000000.000000")

    [message] = slack_api.messages_in(CHANNEL)  # exactly one message
    assert first == RetryLater(30.0, RetryReason.CONNECTION_ERROR, "RemoteDisconnected", True)
    assert found == Sent(channel=CHANNEL, ts=message["ts"])
    history = slack_api.last("conversations.history").args
    assert history == {
        "channel": CHANNEL, "include_all_metadata": "1", "limit": "100",
        "oldest": "1767000000.000000",
    }  # fmt: skip


def test_a_dm_of_unknown_outcome_is_looked_up_by_the_users_id(slack_api, gateway):
    slack_api.fail_next("chat.postMessage", accept_then_drop=True)

    first = gateway.send_dm(BEN, "Your reminder", metadata=outbox_metadata(7))
    found = find(gateway, BEN, 7)

    [message] = slack_api.messages_in(dm_channel(BEN))
    assert first.unknown_outcome is True
    assert found == Sent(channel=dm_channel(BEN), ts=message["ts"])
    assert slack_api.last("conversations.history").args["channel"] == dm_channel(BEN)


def test_a_post_dropped_before_slack_took_it_is_not_found_and_is_sent_once_more(
    slack_api, clock, gateway
):
    slack_api.fail_next("chat.postMessage", drop=True)

    first = gateway.post_message(CHANNEL, TEXT, metadata=outbox_metadata(42))
    missing = find(gateway, CHANNEL, 42)
    clock.now += first.after_seconds
    second = gateway.post_message(CHANNEL, TEXT, metadata=outbox_metadata(42), attempt=2)

    assert (first.unknown_outcome, missing) == (True, None)
    assert [m["ts"] for m in slack_api.messages_in(CHANNEL)] == [second.ts]


def test_only_this_apps_message_with_that_key_counts(slack_api, gateway):
    slack_api.add_message(CHANNEL, "spoof", user="U0OTHER001", bot_id="B0OTHER001",
                          metadata=outbox_metadata(42))  # fmt: skip
    slack_api.add_message(CHANNEL, "a person", metadata=outbox_metadata(42))
    gateway.post_message(CHANNEL, "another row", metadata=outbox_metadata(420))
    gateway.post_message(
        "C0OTHERBRD1",
        "other type",
        metadata={"event_type": "x", "event_payload": {"outbox_id": 42}},
    )

    assert find(gateway, CHANNEL, 42) is None
    assert find(gateway, "C0OTHERBRD1", 42) is None
    found = find(gateway, CHANNEL, "420")  # the key compares as text
    assert found == Sent(CHANNEL, slack_api.messages_in(CHANNEL)[-1]["ts"])
    assert slack_api.messages_in(CHANNEL)[-1]["bot_id"] == BOT_ID
    assert len(slack_api.calls_to("auth.test")) == 1  # the bot's IDs are asked once


def test_the_lookup_pages_back_until_it_finds_the_message(slack_api, clock, gateway):
    target = gateway.post_message(CHANNEL, TEXT, metadata=outbox_metadata(42))
    for n in range(5):
        clock.now += 1
        gateway.post_message(CHANNEL, f"later message {n}")

    found = find(gateway, CHANNEL, 42, limit=2)

    assert found == Sent(CHANNEL, target.ts)
    pages = slack_api.calls_to("conversations.history")
    assert [("cursor" in c.args, len(c.response["messages"])) for c in pages] == [
        (False, 2), (True, 2), (True, 2),
    ]  # fmt: skip


def test_a_search_that_runs_out_of_pages_answers_not_found_and_says_so(
    slack_api, clock, gateway, caplog
):
    gateway.post_message(CHANNEL, TEXT, metadata=outbox_metadata(42))
    for n in range(6):
        clock.now += 1
        gateway.post_message(CHANNEL, f"later message {n}")

    with caplog.at_level(logging.INFO):
        result = find(gateway, CHANNEL, 42, limit=2, max_pages=3)

    assert result is None
    assert len(slack_api.calls_to("conversations.history")) == 3
    assert "casedesk_outbox outbox_id=42 in C0CASEREV01: not in the latest 3 pages" in caplog.text
    assert TEXT not in caplog.text and "later message" not in caplog.text


def test_a_first_attempts_time_starts_the_search_five_minutes_earlier(slack_api, gateway):
    first_attempt = datetime(2025, 12, 29, 9, 30, tzinfo=UTC)

    find(gateway, CHANNEL, 42, oldest=first_attempt)

    expected = first_attempt.timestamp() - 300
    assert slack_api.last("conversations.history").args["oldest"] == f"{expected:.6f}"
    with pytest.raises(ValueError, match="timezone-aware"):
        find(gateway, CHANNEL, 42, oldest=datetime(2025, 12, 29, 9, 30))


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("missing_scope", PermanentFailure("missing_scope", FailureScope.INSTALLATION)),
        ("not_in_channel", PermanentFailure("not_in_channel", FailureScope.RECIPIENT)),
        ("internal_error", RetryLater(30.0, RetryReason.SERVER_ERROR, "internal_error", True)),
    ],
    ids=["missing-scope", "not-in-channel", "internal-error"],
)
def test_a_failed_lookup_is_classified_as_any_call(slack_api, clock, error, expected):
    gateway = make_gateway(make_client(slack_api), clock)
    slack_api.fail_next("conversations.history", error=error)

    assert find(gateway, CHANNEL, 42) == expected


def test_a_rate_limited_lookup_holds_lookups_not_the_channels_posts(slack_api, clock):
    gateway = make_gateway(make_client(slack_api), clock)
    slack_api.fail_next("conversations.history", status=429, headers={"Retry-After": "20"})

    limited = find(gateway, CHANNEL, 42)
    held = find(gateway, "C0OTHERBRD1", 43)
    posted = gateway.post_message(CHANNEL, TEXT)
    clock.now += 20
    after = find(gateway, CHANNEL, 42)

    assert (limited.reason, held.reason) == (RetryReason.RATE_LIMITED, RetryReason.THROTTLED)
    assert held.after_seconds == 20.0
    assert isinstance(posted, Sent) and after is None
    assert len(slack_api.calls_to("conversations.history")) == 2
