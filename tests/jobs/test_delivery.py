"""Per-recipient delivery: a slot is one outbox row per recipient, each sent once however often it
is retried, so one recipient's trouble never holds up or repeats another's.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from bot.clock import LONDON
from bot.jobs import run_once
from bot.notify.delivery import LEASE
from bot.notify.sender import Sender
from bot.slack.gateway import SlackGateway
from tests.fakes.slack_api import dm_channel
from tests.jobs.conftest import BEN, PRIYA, SUBJECT, dms_to

ESCALATED_SLOT = "overdue:2026-03-02"
NOTICE = "I could not deliver"


@pytest.fixture
def escalated(make_case, at) -> str:
    """A deadline four working days overdue on Mon 2 Mar, 10:00: owner (Ben) and chair (Priya)."""
    at(2026, 2, 23, 10)
    reference, _ = make_case(date(2026, 2, 24))
    at(2026, 3, 2, 10)
    return reference


def by_recipient(rows) -> dict:
    """Return the reminder rows by recipient (one each)."""
    assert len({r.recipient for r in rows}) == len(rows)
    return {r.recipient: r for r in rows}


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500},  # a post is never resent by the client: Slack may have taken it
        {"status": 429, "headers": {"Retry-After": "1"}, "times": 2},  # the client's retry 2nd
    ],
    ids=["500", "429"],
)
def test_an_escalation_the_chair_could_not_take_is_retried_for_the_chair_only(
    escalated, run_tick, slack_api, reminders, clock, ticker, no_sdk_sleep, failure
):
    slack_api.fail_next("chat.postMessage", when={"channel": dm_channel(PRIYA)}, **failure)

    first = run_tick()
    rows = by_recipient(reminders())
    after_first = {u: (r.sent_at is None, r.attempts, r.last_error) for u, r in rows.items()}
    uncertain = {u: r.uncertain for u, r in rows.items()}
    owner_then, chair_then = len(dms_to(slack_api, BEN)), len(dms_to(slack_api, PRIYA))
    clock.advance(timedelta(minutes=2))
    ticker.at += 120
    later = run_tick()
    again = run_tick()

    assert (first.claimed, first.sent - first.digests, first.deferred) == (1, 1, 1)
    expected_error = "http_500" if failure["status"] == 500 else "ratelimited"
    assert after_first == {BEN: (False, 1, None), PRIYA: (True, 1, expected_error)}
    assert (owner_then, chair_then) == (1, 0)
    # After a 500 Slack may have posted it: the chair's DM is looked in before it is posted again.
    server_error = failure["status"] == 500
    assert uncertain == {BEN: False, PRIYA: server_error}
    lookups = [c.args["channel"] for c in slack_api.calls_to("conversations.history")]
    assert lookups == ([dm_channel(PRIYA)] if server_error else [])
    assert (later.claimed, later.sent, again.claimed, again.sent) == (0, 1, 0, 0)
    [owner_dm], [chair_dm] = dms_to(slack_api, BEN), dms_to(slack_api, PRIYA)
    for dm in (owner_dm, chair_dm):
        assert escalated in dm["text"] and "Overdue, escalated" in dm["text"]
        assert "4 working days overdue" in dm["text"]
        assert SUBJECT not in json.dumps(dm)
    rows = by_recipient(reminders())
    assert {r.slot for r in rows.values()} == {ESCALATED_SLOT}
    owner, chair = rows[BEN], rows[PRIYA]
    assert (owner.sent_at, owner.attempts) == (datetime(2026, 3, 2, 10, tzinfo=LONDON), 1)
    assert chair.sent_at == clock.now() == datetime(2026, 3, 2, 10, 2, tzinfo=LONDON)
    assert (chair.attempts, chair.last_error, chair.next_attempt_at) == (2, None, None)


def test_a_chair_slack_refuses_for_good_does_not_hold_up_the_owners_escalation(
    escalated, run_tick, slack_api, reminders, clock
):
    slack_api.fail_next("conversations.open", error="user_not_found", when={"users": PRIYA})

    first = run_tick()
    clock.advance(timedelta(hours=1))
    later = run_tick()

    # sent: the owner's reminder, then the notice the chair's failure owed him (and the digests)
    assert (first.claimed, first.sent - first.digests, first.failed, first.deferred) == (1, 2, 1, 0)
    assert (later.claimed, later.sent, later.failed) == (0, 0, 0)
    owner_dms = [m["text"] for m in dms_to(slack_api, BEN)]
    assert len(owner_dms) == 2
    assert owner_dms[0].startswith("Overdue, escalated") and owner_dms[1].startswith(NOTICE)
    assert dms_to(slack_api, PRIYA) == []
    rows = by_recipient(reminders())
    owner, chair = rows[BEN], rows[PRIYA]
    assert owner.sent_at is not None and owner.attempts == 1
    assert (chair.sent_at, chair.next_attempt_at, chair.attempts) == (None, None, 1)
    assert chair.last_error == "user_not_found"


def test_a_chair_waiting_on_slack_then_refused_for_good_leaves_the_owners_sent(
    escalated, run_tick, slack_api, reminders, clock, no_sdk_sleep
):
    chair = {"channel": dm_channel(PRIYA)}
    slack_api.fail_next("chat.postMessage", status=503, when=chair)  # not resent by the client
    run_tick()
    slack_api.fail_next("chat.postMessage", error="is_archived", when=chair)
    clock.advance(timedelta(minutes=2))

    later = run_tick()

    assert (later.claimed, later.sent, later.failed) == (0, 1, 1)  # the notice sent to Ben
    # the 503 left it unknown whether Slack posted it: looked for first, not found, then posted
    lookups = [c.args["channel"] for c in slack_api.calls_to("conversations.history")]
    assert lookups == [dm_channel(PRIYA)]
    to_chair = [
        c for c in slack_api.calls_to("chat.postMessage") if c.args["channel"] == chair["channel"]
    ]
    assert [(c.status, c.response["error"]) for c in to_chair] == [
        (503, "internal_error"),
        (200, "is_archived"),
    ]
    owner_dms = [m["text"] for m in dms_to(slack_api, BEN)]
    assert owner_dms[0].startswith("Overdue, escalated: ") and len(owner_dms) == 2
    assert owner_dms[1].startswith(f"{NOTICE} a reminder to <@{PRIYA}> on {escalated}")
    assert "(is_archived)" in owner_dms[1]
    assert dms_to(slack_api, PRIYA) == []
    rows = by_recipient(reminders())
    assert (rows[BEN].sent_at is not None, rows[BEN].attempts) == (True, 1)
    failed = rows[PRIYA]
    assert (failed.sent_at, failed.next_attempt_at, failed.attempts) == (None, None, 2)
    assert failed.last_error == "is_archived"


class DiesOnTheChair(SlackGateway):
    """A gateway whose process dies (an exception) when it comes to DM the chair."""

    def send_dm(self, user, text, blocks=None, *, attempt=1, **kwargs):  # noqa: D102
        if user == PRIYA:
            raise SystemExit("killed")
        return super().send_dm(user, text, blocks, attempt=attempt, **kwargs)


def test_the_owner_reached_is_recorded_before_the_chair_is_tried_so_a_crash_repeats_nothing(
    escalated, slack_settings, uow_factory, owing_factory, run_tick, slack_api, reminders, clock
):
    from bot.slack.client import make_web_client

    dying = DiesOnTheChair(make_web_client(slack_settings), min_interval_per_channel=0)
    dying_sender = Sender(uow_factory, dying, clock, instance_id="dies")
    with pytest.raises(SystemExit):
        run_once(uow_factory=owing_factory, sender=dying_sender, clock=clock)
    rows = by_recipient(reminders())
    after_crash = {u: (r.sent_at is not None, r.attempts, r.claimed_by) for u, r in rows.items()}
    leased_until = rows[PRIYA].next_attempt_at
    clock.advance(LEASE + timedelta(minutes=1))

    later = run_tick()

    assert after_crash == {BEN: (True, 1, "dies"), PRIYA: (False, 0, "dies")}
    assert leased_until == datetime(2026, 3, 2, 10, tzinfo=LONDON) + LEASE
    assert (later.claimed, later.sent) == (0, 3)  # the chair's, and the digests the dead one owed
    assert len(dms_to(slack_api, BEN)) == 1 and len(dms_to(slack_api, PRIYA)) == 1
    rows = by_recipient(reminders())
    assert all(r.sent_at is not None for r in rows.values())
    assert (rows[PRIYA].claimed_by, rows[PRIYA].attempts) == ("test", 1)


def test_a_slot_owed_by_a_sweeper_that_died_before_sending_is_sent_once_and_not_owed_again(
    escalated, run_sweep, run_tick, slack_api, reminders
):
    swept = run_sweep()  # committed what it owed, then the process died before its sender ran
    owed = [(r.recipient, r.sent_at) for r in reminders()]

    result = run_tick()  # another instance

    assert (swept.claimed, result.claimed) == (1, 0)
    assert owed == [(BEN, None), (PRIYA, None)]
    assert result.sent == 4  # both reminders, and the two digests the dead one owed
    assert len(dms_to(slack_api, BEN)) == 1 and len(dms_to(slack_api, PRIYA)) == 1
    assert [(r.recipient, r.attempts) for r in reminders() if r.sent_at] == [(BEN, 1), (PRIYA, 1)]


def test_a_reminder_slack_asks_to_retry_after_hours_is_retried_the_next_working_morning(
    make_case, run_tick, slack_api, reminders, at, no_sdk_sleep
):
    at(2026, 3, 6, 17, 59, 50)  # Friday, ten seconds before the hours end
    make_case(date(2026, 3, 13))
    slack_api.fail_next("chat.postMessage", status=500, when={"channel": dm_channel(BEN)})

    evening = run_tick()
    [row] = reminders()
    retry = (row.next_attempt_at, row.attempts, row.last_error)
    at(2026, 3, 7, 10)  # Saturday
    weekend = run_tick()
    at(2026, 3, 9, 8)
    monday = run_tick()

    assert (evening.claimed, evening.deferred) == (1, 1)
    assert retry == (datetime(2026, 3, 9, 8, tzinfo=LONDON), 1, "http_500")  # not 18:00:20
    assert (weekend.sent, monday.sent) == (0, 1)
    # Monday's attempt first looks for Friday's post, which Slack may have taken with its 500
    assert [c.args["channel"] for c in slack_api.calls_to("conversations.history")] == [
        dm_channel(BEN)
    ]
    [dm] = dms_to(slack_api, BEN)
    assert "Fri 13 Mar 2026" in dm["text"]


def test_a_reminder_to_someone_who_left_the_board_is_settled_unsent(
    make_case, run_sweep, run_tick, slack_api, reminders, uow_factory
):
    """A reminder follows the role: one owed to a member who has left since is not sent."""
    from tests.jobs.conftest import surrey_member

    make_case(date(2026, 3, 9))
    run_sweep()
    with uow_factory() as uow:
        surrey_member(uow, BEN).active = False
        uow.commit()

    result = run_tick()

    assert (result.sent, result.failed) == (2, 0)  # the digests only
    assert dms_to(slack_api, BEN) == []
    [row] = reminders()
    assert row.sent_at is not None and row.last_error == "no longer on the board"
    assert row.channel is None and row.ts is None
