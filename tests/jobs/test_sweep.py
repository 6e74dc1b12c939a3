"""The reminder sweep: each reminder owed once and sent once, retried when Slack fails, never out
of hours. The sweep owes (one outbox row per slot and recipient); the sender sends.

A tick at 10:00 on a working day also owes both boards' digests (Surrey's at 09:00, Stockport's at
08:30): the results count them (``digests``, and in ``sent``), and the reminders are asserted
apart, by their DMs and rows.
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta

from bot.clock import LONDON
from bot.notify.delivery import LEASE
from tests.fakes.slack_api import dm_channel
from tests.jobs.conftest import (
    BEN,
    PRIYA,
    STOCKPORT_CHANNEL,
    SUBJECT,
    SURREY_CHANNEL,
    buttons,
    dms_to,
    lease_as,
    posted,
)

BEN_DM = {"channel": dm_channel(BEN)}


def test_sweeping_twice_sends_the_due_reminder_once(make_case, run_tick, slack_api, reminders):
    reference, deadline_id = make_case(date(2026, 3, 9))  # lead 5 falls on Mon 2 Mar, today

    first = run_tick()
    second = run_tick()

    assert (first.claimed, first.digests, first.sent) == (1, 2, 3)
    assert (second.claimed, second.digests, second.sent) == (0, 0, 0)
    [message] = dms_to(slack_api, BEN)
    text = message["text"]
    assert reference in text and "Child A" in text and "Rapid review sent" in text
    assert "Mon 9 Mar 2026" in text and "5 working days left" in text
    assert buttons(message) == ["mark_done", "extend", "open_case"]
    assert SUBJECT not in json.dumps(message)
    [row] = reminders()
    assert (row.deadline_id, row.slot, row.lead, row.recipient, row.template) == (
        deadline_id,
        "lead:5:2026-03-09",
        5,
        BEN,
        "reminder_dm",
    )
    assert (row.attempts, row.next_attempt_at, row.last_error, row.payload) == (1, None, None, None)
    assert (row.sent_at, row.channel, row.claimed_by) == (
        datetime(2026, 3, 2, 10, tzinfo=LONDON),
        dm_channel(BEN),
        "test",
    )


def test_the_sweep_owes_the_reminder_and_only_the_sender_sends_it(
    make_case, run_sweep, slack_api, reminders, sender
):
    make_case(date(2026, 3, 9))

    swept = run_sweep()
    owed = reminders()
    before_sending = posted(slack_api)
    sent = sender.drain()

    assert (swept.claimed, swept.digests, swept.sent) == (1, 2, 0)
    assert [(r.recipient, r.slot, r.sent_at, r.attempts) for r in owed] == [
        (BEN, "lead:5:2026-03-09", None, 0)
    ]
    assert before_sending == []
    assert (sent.sent, sent.deferred, sent.failed) == (3, 0, 0)
    assert sorted(m["channel"] for m in posted(slack_api)) == sorted(
        [dm_channel(BEN), SURREY_CHANNEL, STOCKPORT_CHANNEL]
    )
    assert reminders()[0].sent_at is not None


def test_a_rate_limited_reminder_waits_for_slacks_retry_after_then_is_sent_once(
    make_case, run_tick, slack_api, reminders, clock, ticker, no_sdk_sleep
):
    make_case(date(2026, 3, 9))
    # the client's own retry is the second; Slack asks for 90 s, longer than the 30 s backoff
    slack_api.fail_next(
        "chat.postMessage", status=429, headers={"Retry-After": "90"}, times=2, when=BEN_DM
    )

    failed = run_tick()
    [row] = reminders()
    waiting = (row.next_attempt_at, row.attempts, row.last_error, row.sent_at)
    clock.advance(timedelta(seconds=60))
    ticker.at += 60
    too_soon = run_tick()
    clock.advance(timedelta(seconds=60))
    ticker.at += 60
    later = run_tick()
    after = run_tick()

    assert (failed.claimed, failed.deferred, failed.sent - failed.digests) == (1, 1, 0)
    assert waiting == (datetime(2026, 3, 2, 10, 1, 30, tzinfo=LONDON), 1, "ratelimited", None)
    assert (too_soon.claimed, too_soon.sent) == (0, 0)
    assert (later.claimed, later.sent, after.sent) == (0, 1, 0)
    assert len(dms_to(slack_api, BEN)) == 1
    [row] = reminders()
    assert (row.attempts, row.last_error, row.next_attempt_at) == (2, None, None)
    assert row.sent_at == datetime(2026, 3, 2, 10, 2, tzinfo=LONDON)


def test_a_reminder_slack_failed_with_a_500_is_retried_after_its_backoff_and_sent_once(
    make_case, run_tick, slack_api, reminders, clock, no_sdk_sleep
):
    make_case(date(2026, 3, 9))
    slack_api.fail_next("chat.postMessage", status=500, when=BEN_DM)  # not resent by the client

    failed = run_tick()
    [row] = reminders()
    backing_off = (row.next_attempt_at, row.attempts, row.last_error, row.uncertain)
    clock.advance(timedelta(seconds=20))
    too_soon = run_tick()
    lookups_too_soon = len(slack_api.calls_to("conversations.history"))
    clock.advance(timedelta(minutes=2))
    later = run_tick()

    assert (failed.deferred, too_soon.sent, later.sent) == (1, 0, 1)
    # Slack may have posted it with its 500: looked for in Ben's DM, not found, then posted
    assert backing_off == (datetime(2026, 3, 2, 10, 0, 30, tzinfo=LONDON), 1, "http_500", True)
    assert lookups_too_soon == 0
    assert [c.args["channel"] for c in slack_api.calls_to("conversations.history")] == [
        BEN_DM["channel"]
    ]
    assert len(dms_to(slack_api, BEN)) == 1
    [row] = reminders()
    assert row.sent_at is not None and row.attempts == 2 and row.last_error is None


def test_after_a_days_downtime_each_deadline_gets_one_catch_up_reminder(
    make_case, run_tick, slack_api, reminders, at
):
    at(2026, 3, 2, 10)
    make_case(date(2026, 3, 9), pseudonym="Child A")
    make_case(date(2026, 3, 10), pseudonym="Child B")
    at(2026, 3, 6, 10)  # Friday: nothing ran Monday to Thursday

    result = run_tick()

    assert (result.claimed, result.sent - result.digests) == (2, 2)
    texts = sorted(m["text"] for m in dms_to(slack_api, BEN))
    assert len(texts) == 2
    assert "Child A" in texts[0] and "1 working days left" in texts[0]
    assert "Child B" in texts[1] and "2 working days left" in texts[1]
    assert sorted((r.slot, r.lead, r.recipient) for r in reminders()) == [
        ("lead:1:2026-03-09", 1, BEN),
        ("lead:2:2026-03-10", 2, BEN),
    ]


def test_no_reminder_is_owed_on_a_bank_holiday_or_outside_sending_hours(
    make_case, run_tick, slack_api, reminders, at
):
    at(2026, 3, 30, 10)
    make_case(date(2026, 4, 7))  # lead 2 falls on Thu 2 Apr; Fri 3 Apr is Good Friday
    at(2026, 4, 3, 10)
    holiday = run_tick()
    at(2026, 4, 6, 10)  # Easter Monday, also a bank holiday in England
    easter_monday = run_tick()
    at(2026, 4, 7, 7, 59)
    early = run_tick()
    at(2026, 4, 7, 18, 0)
    late = run_tick()

    runs = [holiday, easter_monday, early, late]
    assert [(r.claimed, r.digests, r.sent) for r in runs] == [(0, 0, 0)] * 4
    assert posted(slack_api) == []
    assert reminders() == []


def test_an_extended_deadline_is_reminded_again_at_the_same_lead_for_its_new_date(
    make_case, run_tick, slack_api, reminders, uow_factory, clock, at
):
    from bot.services.deadlines import ExtendDeadline, extend_deadline

    _, deadline_id = make_case(date(2026, 3, 9))
    run_tick()  # lead 5 for 9 Mar, on Mon 2 Mar
    with uow_factory() as uow:
        extend_deadline(
            ExtendDeadline(deadline_id, BEN, date(2026, 3, 16), "Police asked for time"),
            uow=uow,
            now=clock.now(),
        )
    at(2026, 3, 9, 10)  # lead 5 for 16 Mar
    result = run_tick()

    assert (result.claimed, result.sent - result.digests) == (1, 1)
    assert [(r.slot, r.lead, r.recipient, r.sent_at is not None) for r in reminders()] == [
        ("lead:5:2026-03-09", 5, BEN, True),
        ("lead:5:2026-03-16", 5, BEN, True),
    ]
    first, second = dms_to(slack_api, BEN)
    assert "Mon 9 Mar 2026" in first["text"] and "Mon 16 Mar 2026" in second["text"]


def test_a_reminder_still_owed_for_the_old_due_date_is_not_sent_once_the_deadline_is_extended(
    make_case, run_tick, slack_api, reminders, uow_factory, clock, no_sdk_sleep
):
    """bot/notify/drawn.py: a reminder "extended to a later slot" no longer applies."""
    from bot.services.deadlines import ExtendDeadline, extend_deadline

    _, deadline_id = make_case(date(2026, 3, 9))
    slack_api.fail_next("chat.postMessage", status=500, when=BEN_DM)  # not resent by the client
    run_tick()  # lead 5 for 9 Mar owed; Slack must be tried again
    with uow_factory() as uow:
        extend_deadline(
            ExtendDeadline(deadline_id, BEN, date(2026, 3, 16), "Police asked for time"),
            uow=uow,
            now=clock.now(),
        )
    clock.advance(timedelta(minutes=2))

    run_tick()

    assert dms_to(slack_api, BEN) == []  # not "due Mon 16 Mar 2026, 10 working days left"
    [lookup] = slack_api.calls_to("conversations.history")  # the 500: had Slack posted it?
    assert lookup.args["channel"] == BEN_DM["channel"]
    [row] = reminders()
    assert row.slot == "lead:5:2026-03-09" and row.sent_at is not None
    assert (row.channel, row.ts, row.last_error) == (None, None, "deadline moved")


def test_a_reminder_leased_by_a_sender_that_died_is_sent_once_after_the_lease(
    make_case, run_sweep, run_tick, slack_api, reminders, uow_factory, clock
):
    make_case(date(2026, 3, 9))
    run_sweep()
    [owed] = reminders()
    lease_as(uow_factory, owed.id, clock.now())  # leased, then the process died before sending

    during_lease = run_tick()
    dms_during_lease = dms_to(slack_api, BEN)
    clock.advance(LEASE + timedelta(minutes=1))
    after_lease = run_tick()

    assert (during_lease.claimed, during_lease.sent, during_lease.deferred) == (0, 2, 0)  # digests
    assert dms_during_lease == []
    assert (after_lease.claimed, after_lease.sent) == (0, 1)
    assert len(dms_to(slack_api, BEN)) == 1
    [row] = reminders()
    assert (row.claimed_by, row.attempts) == ("test", 1)
    assert row.sent_at == datetime(2026, 3, 2, 10, 11, tzinfo=LONDON)


def test_a_reminder_slack_refuses_for_good_is_recorded_and_not_retried(
    make_case, run_tick, slack_api, reminders, clock
):
    make_case(date(2026, 3, 9))
    slack_api.fail_next("conversations.open", error="user_not_found")

    failed = run_tick()
    clock.advance(timedelta(hours=1))
    later = run_tick()

    assert (failed.claimed, failed.failed, failed.deferred) == (1, 1, 0)
    assert (later.claimed, later.sent, later.failed) == (0, 0, 0)
    assert dms_to(slack_api, BEN) == []
    [row] = reminders()
    assert (row.recipient, row.sent_at, row.next_attempt_at) == (BEN, None, None)
    assert (row.attempts, row.last_error) == (1, "user_not_found")


def test_a_deadline_overdue_past_the_escalation_point_is_owed_to_the_owner_and_the_chair(
    make_case, run_tick, slack_api, reminders, at
):
    at(2026, 2, 23, 10)
    reference, deadline_id = make_case(date(2026, 2, 24))
    at(2026, 3, 2, 10)  # four working days overdue

    result = run_tick()

    assert (result.claimed, result.sent - result.digests) == (1, 2)  # one slot, two recipients
    messages = dms_to(slack_api, BEN) + dms_to(slack_api, PRIYA)
    assert len(messages) == 2
    assert all("Overdue, escalated" in m["text"] and reference in m["text"] for m in messages)
    assert all("4 working days overdue" in m["text"] for m in messages)
    rows = reminders()
    assert [(r.deadline_id, r.slot, r.lead, r.recipient) for r in rows] == [
        (deadline_id, "overdue:2026-03-02", -4, BEN),
        (deadline_id, "overdue:2026-03-02", -4, PRIYA),
    ]
    assert all(r.sent_at is not None for r in rows)


def test_a_reminder_whose_lease_runs_out_after_hours_waits_for_the_next_working_morning(
    make_case, run_sweep, run_tick, slack_api, reminders, sender, uow_factory, at, clock
):
    """Nothing is sent outside sending hours, a crash-recovered reminder included (PRODUCT.md)."""
    at(2026, 3, 6, 17, 55)  # Friday, five minutes before the example board's hours end
    make_case(date(2026, 3, 13))
    run_sweep()
    [owed] = reminders()
    lease_as(uow_factory, owed.id, clock.now())  # leased, then the process died before sending
    sender.drain()  # the day's digests, owed with it, go in the hours

    at(2026, 3, 6, 18, 30)  # the lease has run out, after hours
    evening = run_tick()
    [row] = reminders()
    deferred = (row.next_attempt_at, row.attempts, row.sent_at)
    at(2026, 3, 7, 10, 0)  # Saturday
    weekend = run_tick()
    at(2026, 3, 9, 8, 0)  # Monday, the hours begin
    monday = run_tick()

    assert (evening.sent, evening.deferred, weekend.sent, weekend.deferred) == (0, 1, 0, 0)
    assert deferred == (datetime(2026, 3, 9, 8, 0, tzinfo=LONDON), 0, None)
    assert (monday.claimed, monday.sent) == (0, 1)
    [dm] = dms_to(slack_api, BEN)
    assert "Fri 13 Mar 2026" in dm["text"] and "4 working days left" in dm["text"]  # drawn Monday
    [row] = reminders()
    assert (row.sent_at, row.attempts) == (datetime(2026, 3, 9, 8, 0, tzinfo=LONDON), 1)


def test_a_reminder_the_installation_refuses_stays_owed_and_goes_once_the_app_is_fixed(
    make_case, run_tick, slack_api, reminders, clock, caplog
):
    """A revoked token or missing scope never loses a reminder: it is retried with backoff.

    Every other call would fail the same way, so the pass stops at the first such failure.
    """
    make_case(date(2026, 3, 9), pseudonym="Child A")
    make_case(date(2026, 3, 9), pseudonym="Child B")
    slack_api.fail_next("conversations.open", error="missing_scope")

    with caplog.at_level(logging.ERROR):
        refused = run_tick()
    calls_refused = slack_api.methods()
    first, second = reminders()
    owed = [(r.sent_at, r.attempts, r.last_error, r.next_attempt_at) for r in (first, second)]
    clock.advance(timedelta(minutes=5))
    fixed = run_tick()

    assert (refused.claimed, refused.digests) == (2, 2)
    assert (refused.sent, refused.deferred, refused.failed) == (0, 1, 0)
    assert calls_refused == ["conversations.open"]  # nothing else was tried, digests included
    assert owed == [
        (None, 1, "missing_scope", datetime(2026, 3, 2, 10, 0, 30, tzinfo=LONDON)),
        (None, 0, None, datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)),
    ]
    assert (fixed.claimed, fixed.sent) == (0, 4)
    dms = dms_to(slack_api, BEN)
    assert sorted("Child A" in m["text"] for m in dms) == [False, True]
    assert all(SUBJECT not in m["text"] for m in dms)
    assert "Slack refused the app (missing_scope): fix its token or scopes" in caplog.text
