"""The reminder sweep: each reminder sent once, retried when Slack fails, never out of hours."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from bot.clock import LONDON
from bot.jobs import LEASE
from tests.fakes.slack_api import dm_channel
from tests.jobs.conftest import BEN, SUBJECT, posted


def test_sweeping_twice_sends_the_due_reminder_once(make_case, run_sweep, slack_api, dispatches):
    reference, deadline_id = make_case(date(2026, 3, 9))  # lead 5 falls on Mon 2 Mar, today

    first = run_sweep()
    second = run_sweep()

    assert (first.claimed, first.sent, second.claimed, second.sent) == (1, 1, 0, 0)
    [message] = posted(slack_api)
    assert message["channel"] == dm_channel(BEN)
    text = message["text"]
    assert reference in text and "Child A" in text and "Rapid review sent" in text
    assert "Mon 9 Mar 2026" in text and "5 working days left" in text
    buttons = [
        e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == ["mark_done", "extend", "open_case"]
    assert SUBJECT not in json.dumps(message)
    [row] = dispatches()
    assert (row.deadline_id, row.slot_key, row.lead) == (deadline_id, "lead:5:2026-03-09", 5)
    assert row.sent_at is not None and row.next_attempt_at is None and row.attempts == 1


def test_a_rate_limited_reminder_is_sent_once_on_a_later_sweep(
    make_case, run_sweep, slack_api, dispatches, clock, ticker
):
    make_case(date(2026, 3, 9))
    slack_api.fail_next("chat.postMessage", status=429, headers={"Retry-After": "1"}, times=2)

    failed = run_sweep()
    again_at_once = run_sweep()
    clock.advance(timedelta(minutes=2))
    ticker.at += 120
    later = run_sweep()
    after = run_sweep()

    assert (failed.deferred, failed.sent) == (1, 0)
    assert (again_at_once.sent, again_at_once.claimed) == (0, 0)
    assert (later.retried, later.sent) == (1, 1)
    assert after.sent == 0
    assert len(posted(slack_api)) == 1
    [row] = dispatches()
    assert row.sent_at is not None and row.attempts == 2 and row.last_error is None


def test_a_reminder_slack_failed_with_a_500_is_sent_once_after_the_clock_advances(
    make_case, run_sweep, slack_api, dispatches, clock
):
    make_case(date(2026, 3, 9))
    slack_api.fail_next("chat.postMessage", status=500, times=2)

    failed = run_sweep()
    clock.advance(timedelta(minutes=2))
    later = run_sweep()

    assert (failed.deferred, later.sent) == (1, 1)
    assert len(posted(slack_api)) == 1
    [row] = dispatches()
    assert row.sent_at is not None and row.attempts == 2


def test_after_a_days_downtime_each_deadline_gets_one_catch_up_reminder(
    make_case, run_sweep, slack_api, dispatches, at
):
    at(2026, 3, 2, 10)
    make_case(date(2026, 3, 9), pseudonym="Child A")
    make_case(date(2026, 3, 10), pseudonym="Child B")
    at(2026, 3, 6, 10)  # Friday: nothing ran Monday to Thursday

    result = run_sweep()

    assert result.sent == 2
    assert len(posted(slack_api)) == 2
    assert sorted(r.slot_key for r in dispatches()) == ["lead:1:2026-03-09", "lead:2:2026-03-10"]


def test_no_reminder_is_sent_on_a_bank_holiday_or_outside_sending_hours(
    make_case, run_sweep, slack_api, dispatches, at
):
    at(2026, 3, 30, 10)
    make_case(date(2026, 4, 7))  # lead 2 falls on Thu 2 Apr; Fri 3 Apr is Good Friday
    at(2026, 4, 3, 10)
    holiday = run_sweep()
    at(2026, 4, 6, 10)  # Easter Monday, also a bank holiday in England
    easter_monday = run_sweep()
    at(2026, 4, 7, 7, 59)
    early = run_sweep()
    at(2026, 4, 7, 18, 0)
    late = run_sweep()

    assert [holiday.sent, easter_monday.sent, early.sent, late.sent] == [0, 0, 0, 0]
    assert posted(slack_api) == []
    assert dispatches() == []


def test_an_extended_deadline_is_reminded_again_at_the_same_lead_for_its_new_date(
    make_case, run_sweep, slack_api, dispatches, uow_factory, clock, at
):
    from bot.services.deadlines import ExtendDeadline, extend_deadline

    _, deadline_id = make_case(date(2026, 3, 9))
    run_sweep()  # lead 5 for 9 Mar, on Mon 2 Mar
    with uow_factory() as uow:
        extend_deadline(
            ExtendDeadline(deadline_id, BEN, date(2026, 3, 16), "Police asked for time"),
            uow=uow,
            now=clock.now(),
        )
    at(2026, 3, 9, 10)  # lead 5 for 16 Mar
    result = run_sweep()

    assert result.sent == 1
    assert [r.slot_key for r in dispatches()] == ["lead:5:2026-03-09", "lead:5:2026-03-16"]
    assert [r.lead for r in dispatches()] == [5, 5]
    assert "Mon 16 Mar 2026" in posted(slack_api)[1]["text"]


def test_a_reminder_claimed_by_a_sweeper_that_died_is_sent_once_after_the_lease(
    make_case, run_sweep, slack_api, dispatches, uow_factory, clock
):
    from bot.jobs import LEASE

    _, deadline_id = make_case(date(2026, 3, 9))
    with uow_factory() as uow:  # claimed, then the process died before sending
        uow.dispatches.claim(
            deadline_id, "lead:5:2026-03-09", lead=5, now=clock.now(), retry_at=clock.now() + LEASE
        )
        uow.commit()

    during_lease = run_sweep()
    clock.advance(LEASE + timedelta(minutes=1))
    after_lease = run_sweep()

    assert (during_lease.sent, after_lease.retried, after_lease.sent) == (0, 1, 1)
    assert len(posted(slack_api)) == 1
    [row] = dispatches()
    assert row.sent_at is not None


def test_a_reminder_slack_refuses_for_good_is_recorded_and_not_retried(
    make_case, run_sweep, slack_api, dispatches, clock
):
    make_case(date(2026, 3, 9))
    slack_api.fail_next("conversations.open", error="user_not_found")

    failed = run_sweep()
    clock.advance(timedelta(hours=1))
    later = run_sweep()

    assert (failed.failed, later.retried, later.sent) == (1, 0, 0)
    assert posted(slack_api) == []
    [row] = dispatches()
    assert row.sent_at is None and row.next_attempt_at is None
    assert row.last_error == f"{BEN}: user_not_found"


def test_a_deadline_overdue_past_the_escalation_point_is_sent_to_the_owner_and_the_chair(
    make_case, run_sweep, slack_api, dispatches, at
):
    from tests.jobs.conftest import PRIYA

    at(2026, 2, 23, 10)
    reference, _ = make_case(date(2026, 2, 24))
    at(2026, 3, 2, 10)  # four working days overdue

    result = run_sweep()

    assert result.sent == 1
    messages = posted(slack_api)
    assert sorted(m["channel"] for m in messages) == sorted([dm_channel(BEN), dm_channel(PRIYA)])
    assert all("Overdue, escalated" in m["text"] and reference in m["text"] for m in messages)
    assert all("4 working days overdue" in m["text"] for m in messages)
    assert [r.slot_key for r in dispatches()] == ["overdue:2026-03-02"]


def test_a_reminder_whose_lease_runs_out_after_hours_waits_for_the_next_working_morning(
    make_case, run_sweep, slack_api, dispatches, uow_factory, clock, at
):
    """Nothing is sent outside sending hours, a crash-recovered reminder included (PRODUCT.md)."""
    at(2026, 3, 6, 17, 55)  # Friday, five minutes before the example board's hours end
    _, deadline_id = make_case(date(2026, 3, 13))
    with uow_factory() as uow:  # claimed, then the process died before sending
        uow.dispatches.claim(
            deadline_id, "lead:5:2026-03-13", lead=5, now=clock.now(), retry_at=clock.now() + LEASE
        )
        uow.commit()

    at(2026, 3, 6, 18, 30)  # the lease has run out, after hours
    evening = run_sweep()
    [row] = dispatches()
    deferred = (row.next_attempt_at, row.attempts, row.sent_at)
    at(2026, 3, 7, 10, 0)  # Saturday
    weekend = run_sweep()
    at(2026, 3, 9, 8, 0)  # Monday, the hours begin
    monday = run_sweep()

    assert (evening.sent, weekend.sent) == (0, 0)
    assert deferred == (datetime(2026, 3, 9, 8, 0, tzinfo=LONDON), 0, None)
    assert (monday.retried, monday.sent) == (1, 1)
    assert len(posted(slack_api)) == 1
    [row] = dispatches()
    assert row.sent_at == datetime(2026, 3, 9, 8, 0, tzinfo=LONDON)


def test_a_reminder_the_installation_refuses_stays_owed_and_goes_once_the_app_is_fixed(
    make_case, run_sweep, slack_api, dispatches, clock, caplog
):
    """A revoked token or missing scope never loses a reminder: it is retried with backoff."""
    make_case(date(2026, 3, 9))
    slack_api.fail_next("conversations.open", error="missing_scope")

    refused = run_sweep()
    [row] = dispatches()
    owed = (row.sent_at, row.attempts, row.last_error, row.next_attempt_at)
    clock.advance(timedelta(minutes=5))
    fixed = run_sweep()

    assert (refused.sent, refused.deferred, refused.failed) == (0, 1, 0)
    assert owed[:3] == (None, 1, f"{BEN}: missing_scope")
    assert owed[3] is not None and owed[3] > clock.now() - timedelta(minutes=5)
    assert (fixed.retried, fixed.sent) == (1, 1)
    [dm] = posted(slack_api)
    assert dm["channel"] == dm_channel(BEN) and SUBJECT not in dm["text"]
    assert "fix its token or scopes" in caplog.text
