"""Per-recipient delivery: a slot's DM reaches each recipient once, however often it is retried."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from bot.clock import LONDON
from bot.jobs import LEASE, sweep
from bot.slack_gateway import SlackGateway
from tests.fakes.slack_api import dm_channel
from tests.jobs.conftest import BEN, PRIYA, SUBJECT, posted

ESCALATED_KEY = "overdue:2026-03-02"


@pytest.fixture
def escalated(make_case, at) -> str:
    """A deadline four working days overdue on Mon 2 Mar, 10:00: owner (Ben) and chair (Priya)."""
    at(2026, 2, 23, 10)
    reference, _ = make_case(date(2026, 2, 24))
    at(2026, 3, 2, 10)
    return reference


def dms_to(slack_api, user: str) -> list[dict]:
    """Return the DMs Slack accepted for ``user``."""
    return [m for m in posted(slack_api) if m["channel"] == dm_channel(user)]


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500, "times": 2},  # the client's own retry is the second
        {"status": 429, "headers": {"Retry-After": "1"}, "times": 2},
    ],
    ids=["500", "429"],
)
def test_an_escalation_the_chair_could_not_take_is_retried_for_the_chair_only(
    escalated, run_sweep, slack_api, dispatches, clock, ticker, failure
):
    slack_api.fail_next("chat.postMessage", when={"channel": dm_channel(PRIYA)}, **failure)

    first = run_sweep()
    [row] = dispatches()
    after_first = (row.delivered_to, row.sent_at, row.attempts, row.last_error)
    owner_then, chair_then = len(dms_to(slack_api, BEN)), len(dms_to(slack_api, PRIYA))
    clock.advance(timedelta(minutes=2))
    ticker.at += 120
    later = run_sweep()
    again = run_sweep()

    assert (first.claimed, first.sent, first.deferred) == (1, 0, 1)
    expected_error = "http_500" if failure["status"] == 500 else "ratelimited"
    assert after_first == (BEN, None, 1, f"{PRIYA}: {expected_error}")
    assert (owner_then, chair_then) == (1, 0)
    assert (later.retried, later.sent, again.retried, again.sent) == (1, 1, 0, 0)
    [owner_dm], [chair_dm] = dms_to(slack_api, BEN), dms_to(slack_api, PRIYA)
    for dm in (owner_dm, chair_dm):
        assert escalated in dm["text"] and "Overdue, escalated" in dm["text"]
        assert "4 working days overdue" in dm["text"]
        assert SUBJECT not in json.dumps(dm)
    [row] = dispatches()
    assert row.slot_key == ESCALATED_KEY
    assert row.delivered_to == f"{BEN} {PRIYA}"
    assert row.sent_at is not None and row.sent_at == clock.now()
    assert (row.attempts, row.last_error, row.next_attempt_at) == (2, None, None)


def test_a_chair_slack_refuses_for_good_does_not_hold_up_the_owners_escalation(
    escalated, run_sweep, slack_api, dispatches, clock
):
    slack_api.fail_next("conversations.open", error="user_not_found", when={"users": PRIYA})

    first = run_sweep()
    clock.advance(timedelta(hours=1))
    later = run_sweep()

    assert (first.sent, first.failed, first.deferred) == (1, 0, 0)
    assert (later.retried, later.sent) == (0, 0)
    assert len(dms_to(slack_api, BEN)) == 1 and dms_to(slack_api, PRIYA) == []
    [row] = dispatches()
    assert row.delivered_to == BEN
    assert row.sent_at is not None and row.next_attempt_at is None and row.attempts == 1
    assert row.last_error == f"{PRIYA}: user_not_found"


def test_a_chair_waiting_on_slack_then_refused_for_good_leaves_the_slot_sent(
    escalated, run_sweep, slack_api, dispatches, clock
):
    chair = {"channel": dm_channel(PRIYA)}
    slack_api.fail_next("chat.postMessage", status=503, times=2, when=chair)
    run_sweep()
    slack_api.fail_next("chat.postMessage", error="is_archived", when=chair)
    clock.advance(timedelta(minutes=2))

    later = run_sweep()

    assert (later.retried, later.sent, later.failed) == (1, 1, 0)
    assert len(dms_to(slack_api, BEN)) == 1 and dms_to(slack_api, PRIYA) == []
    [row] = dispatches()
    assert (row.delivered_to, row.attempts) == (BEN, 2)
    assert row.sent_at is not None and row.last_error == f"{PRIYA}: is_archived"


class DiesOnTheChair(SlackGateway):
    """A gateway whose process dies (an exception) when it comes to DM the chair."""

    def send_dm(self, user, text, blocks=None, *, attempt=1):  # noqa: D102
        if user == PRIYA:
            raise SystemExit("killed")
        return super().send_dm(user, text, blocks, attempt=attempt)


def test_the_owner_reached_is_committed_before_the_chair_is_tried_so_a_crash_repeats_nothing(
    escalated, slack_settings, uow_factory, run_sweep, slack_api, dispatches, clock
):
    from bot.slack_client import make_web_client

    dying = DiesOnTheChair(make_web_client(slack_settings), min_interval_per_channel=0)
    with pytest.raises(SystemExit):
        sweep(uow_factory=uow_factory, gateway=dying, clock=clock, instance_id="dies")
    [row] = dispatches()
    after_crash = (row.delivered_to, row.sent_at, row.attempts, row.claimed_by)
    clock.advance(LEASE + timedelta(minutes=1))

    later = run_sweep()

    assert after_crash == (BEN, None, 0, "dies")
    assert (later.retried, later.sent) == (1, 1)
    assert len(dms_to(slack_api, BEN)) == 1 and len(dms_to(slack_api, PRIYA)) == 1
    [row] = dispatches()
    assert row.delivered_to == f"{BEN} {PRIYA}" and row.sent_at is not None


def test_a_retry_after_everyone_was_reached_sends_nothing_and_marks_the_slot_sent(
    make_case, run_sweep, slack_api, dispatches, uow_factory, clock
):
    _, deadline_id = make_case(date(2026, 3, 9))
    with uow_factory() as uow:  # the owner was reached, then the sweeper died before recording
        row = uow.dispatches.claim(
            deadline_id, "lead:5:2026-03-09", lead=5, now=clock.now(), retry_at=clock.now() + LEASE
        )
        uow.dispatches.add_delivered(row, [BEN])
        uow.commit()
    clock.advance(LEASE + timedelta(minutes=1))

    result = run_sweep()

    assert (result.retried, result.sent) == (1, 1)
    assert posted(slack_api) == []
    [row] = dispatches()
    assert (row.delivered_to, row.attempts, row.last_error) == (BEN, 1, None)
    assert row.sent_at == datetime(2026, 3, 2, 10, 11, tzinfo=LONDON)
