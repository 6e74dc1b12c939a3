"""Exactly once even when a send's outcome is unknown: a connection dropped after Slack took the
message, or a sender that died between Slack accepting it and the outbox recording it. The
message carries its outbox row in Slack message metadata and is looked for before it is sent
again (conversations.history with include_all_metadata)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from slack_sdk import WebClient

from bot.notify.delivery import LEASE
from bot.notify.kinds import Kind, Owed
from bot.notify.outbox import owe_all
from bot.notify.sender import Sender
from bot.slack.client import retry_handlers
from bot.slack.gateway import SlackGateway
from bot.slack.history import outbox_metadata
from tests.fakes.slack_api import dm_channel

BEN, PRIYA = "U0BEN00001", "U0PRI00002"
MESSAGE = {"text": "Now due: SCR-2026-001 (Child A)", "blocks": None}


@pytest.fixture
def sender(uow_factory, clock, board, slack_api) -> Sender:
    """The sender over a client built as the bot builds its own (with its retry handlers)."""
    client = WebClient(
        token="xoxb-test", base_url=slack_api.base_url, timeout=5, retry_handlers=retry_handlers()
    )
    return Sender(uow_factory, SlackGateway(client, min_interval_per_channel=0), clock)


def owe_dm(uow_factory, clock, user: str = BEN) -> int:
    with uow_factory() as uow:
        owed = Owed(Kind.DM, "notifications_due", user, {"text": MESSAGE["text"]})
        [row_id] = owe_all(uow, [owed], board_id="surrey-children", now=clock.now())
        uow.commit()
    return row_id


def test_a_message_slack_took_before_the_connection_dropped_is_found_not_sent_again(
    sender, uow_factory, clock, slack_api, no_sdk_sleep
):
    row_id = owe_dm(uow_factory, clock)
    slack_api.fail_next("chat.postMessage", accept_then_drop=True)
    first = sender.drain()
    assert (first.sent, first.deferred) == (0, 1)
    with uow_factory() as uow:
        row = uow.outbox.get(row_id)
        assert (row.sent_at, row.uncertain) == (None, True)
        retry_at = row.next_attempt_at
    clock.set(retry_at)
    second = sender.drain()
    assert second.sent == 1
    assert len(slack_api.calls_to("chat.postMessage")) == 1  # looked up, not posted again
    history = slack_api.last("conversations.history").args
    assert history["channel"] == dm_channel(BEN)
    assert str(history["include_all_metadata"]).lower() in ("1", "true")
    [message] = slack_api.messages_in(dm_channel(BEN))
    assert message["metadata"] == outbox_metadata(row_id)
    with uow_factory() as uow:
        row = uow.outbox.get(row_id)
        assert (row.channel, row.ts, row.uncertain) == (dm_channel(BEN), message["ts"], False)


def test_a_sender_that_died_after_slack_took_the_message_leaves_it_found_by_the_next(
    sender, uow_factory, clock, slack_api
):
    row_id = owe_dm(uow_factory, clock, PRIYA)
    with uow_factory() as uow:  # a sender leases it, posts it, and is killed before recording
        row = uow.outbox.get(row_id)
        assert uow.outbox.lease(row_id, seen=row.next_attempt_at, until=clock.now() + LEASE,
                                claimed_by="killed:1")  # fmt: skip
        uow.commit()
    sender.gateway.send_dm(PRIYA, MESSAGE["text"], metadata=outbox_metadata(row_id))
    assert sender.drain().sent == 0  # leased: not due until the lease ends
    clock.advance(LEASE + timedelta(seconds=1))
    assert sender.drain().sent == 1
    assert len(slack_api.calls_to("chat.postMessage")) == 1
    assert len(slack_api.messages_in(dm_channel(PRIYA))) == 1


def test_a_message_the_dead_sender_never_posted_is_sent_once_after_the_lease(
    sender, uow_factory, clock, slack_api
):
    row_id = owe_dm(uow_factory, clock, PRIYA)
    with uow_factory() as uow:  # leased, then the process died before calling Slack
        row = uow.outbox.get(row_id)
        uow.outbox.lease(row_id, seen=row.next_attempt_at, until=clock.now() + LEASE,
                         claimed_by="killed:1")  # fmt: skip
        uow.commit()
    clock.advance(LEASE + timedelta(seconds=1))
    assert sender.drain().sent == 1
    assert slack_api.methods().count("conversations.history") == 1  # looked, found nothing
    [message] = slack_api.messages_in(dm_channel(PRIYA))
    assert message["metadata"] == outbox_metadata(row_id)
