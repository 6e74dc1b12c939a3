"""The daily digest (owed once per working day, drawn when sent, by reference and pseudonym only,
settled unsent once its day is over) and the scheduler that owes it, with the reminders.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import date, datetime, timedelta

import pytest

from bot.clock import LONDON
from bot.jobs import owe_digests, run_once, start_scheduler, tick
from bot.notify.kinds import Kind
from bot.notify.sender import Sender
from bot.trouble import JobTrouble
from tests.conftest import pg_url
from tests.fakes.slack_api import dm_channel
from tests.jobs.conftest import (
    BEN,
    GRACE,
    SUBJECT,
    SURREY,
    SURREY_CHANNEL,
    dms_to,
    lease_as,
    outbox_rows,
    owe_grace,
    posted,
)

STOCKPORT = "stockport-adults"  # digest_time 08:30; Surrey's is 09:00


@pytest.fixture
def run_digest(uow_factory, sender, clock):
    """Owe the digests due now, then send what is due; return how many were owed."""

    def _run() -> int:
        owed = owe_digests(uow_factory, clock.now())
        sender.drain()
        return owed

    return _run


def surrey_digests(slack_api) -> list[dict]:
    """Return the digests posted to Surrey's channel."""
    return [m for m in posted(slack_api) if m["channel"] == SURREY_CHANNEL]


def digest_rows(uow_factory, board_id: str = SURREY) -> list:
    """Return the board's digest rows, oldest first."""
    return [r for r in outbox_rows(uow_factory, Kind.DIGEST) if r.board_id == board_id]


def test_the_digest_lists_due_soon_and_overdue_cases_by_reference_and_pseudonym_only(
    make_case, run_digest, slack_api, uow_factory, at
):
    at(2026, 3, 2, 8, 30)
    soon, _ = make_case(date(2026, 3, 4), pseudonym="Child A", label="Rapid review sent")
    late, _ = make_case(date(2026, 2, 27), pseudonym="Child B", label="Panel report")
    before_time = (run_digest(), surrey_digests(slack_api))  # Stockport's only
    at(2026, 3, 2, 9, 5)
    owed = [run_digest(), run_digest()]

    assert before_time == (1, [])
    assert owed == [1, 0]
    [digest] = surrey_digests(slack_api)
    assert digest["text"] == "Deadlines for Mon 2 Mar 2026: 1 overdue, 1 due soon."
    body = json.dumps(digest["blocks"])
    overdue, due_soon = (b["text"]["text"] for b in digest["blocks"][1:3])
    assert late in overdue and "Child B" in overdue and "1 working days overdue" in overdue
    assert soon in due_soon and "Child A" in due_soon and "2 working days left" in due_soon
    assert SUBJECT not in body and SUBJECT not in digest["text"]
    assert "Quartermain" not in body
    rows = outbox_rows(uow_factory, Kind.DIGEST)
    assert sorted((r.board_id, r.digest_on, r.recipient, r.template) for r in rows) == [
        (STOCKPORT, date(2026, 3, 2), "C0SARGRP02", "digest"),
        (SURREY, date(2026, 3, 2), SURREY_CHANNEL, "digest"),
    ]
    assert all(r.sent_at is not None and r.payload is None for r in rows)


def test_no_digest_is_owed_on_a_bank_holiday_or_once_the_sending_hours_are_over(
    run_digest, slack_api, uow_factory, board, at
):
    at(2026, 4, 3, 9, 30)  # Good Friday
    holiday = run_digest()
    at(2026, 4, 7, 18, 0)  # a working day, but after the hours: no catch-up today

    assert (holiday, run_digest()) == (0, 0)
    assert posted(slack_api) == []
    assert outbox_rows(uow_factory, Kind.DIGEST) == []


def test_a_digest_slack_rate_limited_is_posted_once_after_its_backoff_the_same_day(
    make_case, run_digest, slack_api, uow_factory, clock, at, ticker, no_sdk_sleep
):
    at(2026, 3, 2, 9, 5)
    make_case(date(2026, 3, 4))
    # both boards' digests are due at 09:05: each gets a 429, and the client's one retry another
    slack_api.fail_next("chat.postMessage", status=429, headers={"Retry-After": "1"}, times=4)
    run_digest()
    [waiting] = digest_rows(uow_factory)
    retry = (waiting.next_attempt_at, waiting.attempts, waiting.last_error)
    run_digest()
    at_once = surrey_digests(slack_api)
    clock.advance(timedelta(minutes=1))
    ticker.at += 60
    run_digest()
    run_digest()

    assert retry == (datetime(2026, 3, 2, 9, 5, 30, tzinfo=LONDON), 1, "ratelimited")
    assert at_once == []
    assert len(surrey_digests(slack_api)) == 1
    [row] = digest_rows(uow_factory)
    assert (row.attempts, row.last_error, row.next_attempt_at) == (2, None, None)
    assert row.sent_at == datetime(2026, 3, 2, 9, 6, tzinfo=LONDON)


def test_a_digest_whose_sender_died_after_leasing_it_is_posted_once_the_lease_lapses(
    make_case, run_digest, slack_api, uow_factory, clock, at
):
    at(2026, 3, 2, 9, 5)
    make_case(date(2026, 3, 4))
    assert owe_digests(uow_factory, clock.now()) == 2
    [owed] = digest_rows(uow_factory)
    lease_as(uow_factory, owed.id, clock.now())  # an instance leases it, then dies

    run_digest()  # 09:05: the lease is still the dead instance's
    at(2026, 3, 2, 9, 14)
    run_digest()
    held = surrey_digests(slack_api)
    at(2026, 3, 2, 9, 16)  # more than ten minutes after the lease
    run_digest()
    run_digest()

    assert held == []
    assert len(surrey_digests(slack_api)) == 1
    [row] = digest_rows(uow_factory)
    assert (row.claimed_by, row.attempts) == ("test", 1)
    assert row.sent_at == datetime(2026, 3, 2, 9, 16, tzinfo=LONDON)


def test_a_digest_refused_for_good_is_told_to_the_business_managers_once(
    make_case, run_digest, slack_api, uow_factory, at
):
    at(2026, 3, 2, 9, 5)
    make_case(date(2026, 3, 4))
    slack_api.fail_next("chat.postMessage", error="is_archived", when={"channel": SURREY_CHANNEL})
    run_digest()
    at(2026, 3, 2, 11, 0)

    assert run_digest() == 0  # owed once a day: not owed again, nor tried again
    assert surrey_digests(slack_api) == []
    [notice] = dms_to(slack_api, BEN)
    assert notice["text"] == (
        "I could not deliver today's digest in <#C0CASEREV01>. Slack refused it for good "
        "(is_archived). Please pass it on another way, and check the board's channel in the "
        "board file."
    )
    [digest] = digest_rows(uow_factory)
    assert (digest.sent_at, digest.next_attempt_at, digest.last_error) == (
        None,
        None,
        "is_archived",
    )
    [told] = [r for r in outbox_rows(uow_factory) if r.about_id is not None]
    assert (told.about_id, told.recipient, told.template) == (digest.id, BEN, "undelivered_notice")
    assert told.sent_at is not None


def test_a_digest_slack_could_not_take_on_its_day_is_settled_unsent_and_the_next_day_posted(
    make_case, run_digest, slack_api, uow_factory, at, no_sdk_sleep
):
    at(2026, 3, 2, 9, 5)
    make_case(date(2026, 3, 4))
    slack_api.fail_next("chat.postMessage", status=503, when={"channel": SURREY_CHANNEL})
    run_digest()  # Monday's must wait; then nothing runs until Tuesday
    at(2026, 3, 3, 9, 5)

    assert run_digest() == 2  # Tuesday's, for both boards
    # Slack may have posted Monday's with its 503: looked for (not found) before it is settled
    [lookup] = slack_api.calls_to("conversations.history")
    assert lookup.args["channel"] == SURREY_CHANNEL
    [digest] = surrey_digests(slack_api)
    assert digest["text"].startswith("Deadlines for Tue 3 Mar 2026:")
    monday, tuesday = digest_rows(uow_factory)
    assert (monday.digest_on, monday.last_error, monday.attempts) == (
        date(2026, 3, 2),
        "its day is over",
        2,
    )
    assert monday.sent_at is not None and (monday.channel, monday.ts) == (None, None)
    assert (tuesday.digest_on, tuesday.channel) == (date(2026, 3, 3), SURREY_CHANNEL)
    assert dms_to(slack_api, BEN) == []  # a day passed is not a failure to tell anyone of


@pytest.mark.skipif(pg_url() is None, reason="CASEDESK_TEST_DATABASE_URL is not set")
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_two_instances_in_parallel_against_postgresql_owe_and_send_each_reminder_once(
    make_case, uow_factory, owing_factory, gateway, clock, slack_api
):
    for n in range(20):
        make_case(date(2026, 3, 9), pseudonym=f"Child {n}")
    results = []

    def run(name: str) -> None:
        sender = Sender(uow_factory, gateway, clock, instance_id=name)
        results.append(run_once(uow_factory=owing_factory, sender=sender, clock=clock))

    threads = [threading.Thread(target=run, args=(f"instance-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(results) == 2
    assert sum(r.claimed for r in results) == 20 and sum(r.digests for r in results) == 2
    assert sum(r.sent for r in results) == 22
    texts = sorted(m["text"] for m in dms_to(slack_api, BEN))
    assert len(texts) == 20
    assert len({t.split(" (Child ")[1].split(")")[0] for t in texts}) == 20  # each case once
    rows = outbox_rows(uow_factory, Kind.REMINDER)
    assert len(rows) == 20 and {r.recipient for r in rows} == {BEN}
    assert all(r.sent_at is not None and r.attempts == 1 for r in rows)
    assert {r.claimed_by for r in rows} <= {"instance-0", "instance-1"}


def test_a_tick_owes_what_is_due_and_wakes_the_sender_without_sending(
    make_case, owing_factory, sender, slack_api, clock
):
    make_case(date(2026, 3, 9))

    result = tick(uow_factory=owing_factory, sender=sender, clock=clock)
    before = posted(slack_api)
    drained = sender.drain_if_woken()

    assert (result.claimed, result.digests, result.sent) == (1, 2, 0)
    assert before == []
    assert drained is not None and drained.sent == 3
    assert len(dms_to(slack_api, BEN)) == 1
    assert sender.drain_if_woken() is None  # nothing owed since


def test_a_tick_whose_sweep_fails_logs_it_and_still_wakes_the_sender(
    board, owing_factory, uow_factory, sender, slack_api, clock, monkeypatch, caplog
):
    owe_grace(uow_factory, clock)  # owed already, by an earlier change

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("bot.jobs.scheduler.sweep", broken)
    with caplog.at_level(logging.ERROR):
        result = tick(uow_factory=owing_factory, sender=sender, clock=clock)
    drained = sender.drain_if_woken()

    assert (result.claimed, result.closed, result.digests) == (0, 0, 0)
    [logged] = [r for r in caplog.records if r.name == "bot.trouble"]
    assert (logged.levelname, logged.getMessage()) == (
        "ERROR",
        "job 'reminder sweep' failed: builtins.RuntimeError",
    )
    assert logged.exc_info is not None and logged.exc_info[0] is RuntimeError  # not an outage
    assert drained is not None and drained.sent == 1
    assert [m["channel"] for m in posted(slack_api)] == [dm_channel(GRACE)]


def test_the_scheduler_runs_in_london_time_every_sweep_period_and_shuts_down(
    owing_factory, sender, clock
):
    scheduler = start_scheduler(
        uow_factory=owing_factory, sender=sender, clock=clock, sweep_seconds=3600
    )
    try:
        [job] = scheduler.get_jobs()
        assert str(scheduler.timezone) == "Europe/London"
        assert job.trigger.interval.total_seconds() == 3600
        assert job.func is tick
        trouble = job.kwargs["trouble"]
        assert isinstance(trouble, JobTrouble)  # the scheduler's own, shared by its ticks
        assert job.kwargs == {
            "uow_factory": owing_factory,
            "sender": sender,
            "clock": clock,
            "trouble": trouble,
        }
        assert job.max_instances == 1 and job.coalesce
    finally:
        scheduler.shutdown(wait=True)
    assert not scheduler.running
