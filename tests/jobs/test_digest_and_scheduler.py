"""The daily digest (once per working day, reference and pseudonym only) and the scheduler."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime

import pytest
from sqlmodel import select

from bot.clock import LONDON
from bot.jobs import start_scheduler, sweep
from bot.outbox import deliver
from store.models import BoardDispatchRow, OutboxRow
from tests.conftest import pg_url
from tests.fakes.slack_api import dm_channel
from tests.jobs.conftest import BEN, SUBJECT, posted


def test_the_digest_lists_due_soon_and_overdue_cases_by_reference_and_pseudonym_only(
    make_case, run_digest, slack_api, uow_factory, at
):
    at(2026, 3, 2, 8, 30)
    soon, _ = make_case(date(2026, 3, 4), pseudonym="Child A", label="Rapid review sent")
    late, _ = make_case(date(2026, 2, 27), pseudonym="Child B", label="Panel report")
    run_digest()
    before_time = surrey_digests(slack_api)
    at(2026, 3, 2, 9, 5)
    run_digest()
    run_digest()

    assert before_time == []
    [digest] = surrey_digests(slack_api)
    body = json.dumps(digest["blocks"])
    overdue, due_soon = (b["text"]["text"] for b in digest["blocks"][1:3])
    assert late in overdue and "Child B" in overdue and "1 working days overdue" in overdue
    assert soon in due_soon and "Child A" in due_soon and "2 working days left" in due_soon
    assert SUBJECT not in body and SUBJECT not in digest["text"]
    assert "Quartermain" not in body
    with uow_factory() as uow:
        rows = list(uow.session.exec(select(BoardDispatchRow)))
    assert sorted((r.board_id, r.slot_key, r.sent_at is not None) for r in rows) == [
        ("stockport-adults", "digest:2026-03-02", True),
        ("surrey-children", "digest:2026-03-02", True),
    ]


def surrey_digests(slack_api) -> list[dict]:
    """Return the digests posted to Surrey's channel (digest_time 09:00)."""
    return [m for m in posted(slack_api) if m["channel"] == "C0CASEREV01"]


def test_no_digest_is_posted_on_a_bank_holiday(run_digest, slack_api, board, at):
    at(2026, 4, 3, 9, 30)  # Good Friday
    assert run_digest() == 0
    assert posted(slack_api) == []


def test_a_digest_slack_rate_limited_is_posted_by_a_later_run_the_same_day(
    make_case, run_digest, slack_api, at, ticker
):
    at(2026, 3, 2, 9, 5)
    make_case(date(2026, 3, 4))
    # both boards' digests are due at 09:05: each gets a 429, and the client's one retry another
    slack_api.fail_next("chat.postMessage", status=429, headers={"Retry-After": "1"}, times=4)
    run_digest()
    assert surrey_digests(slack_api) == []
    ticker.at += 60
    run_digest()
    run_digest()
    assert len(surrey_digests(slack_api)) == 1


CLAIMED = datetime(2026, 3, 2, 9, 5, tzinfo=LONDON)


def test_a_digest_whose_sender_died_after_claiming_it_is_posted_once_the_claim_lapses(
    make_case, run_digest, slack_api, uow_factory, at
):
    at(2026, 3, 2, 9, 5)
    make_case(date(2026, 3, 4))
    with uow_factory() as uow:  # an instance claims Surrey's digest, then dies before posting
        claim = uow.dispatches.claim_board(
            "surrey-children", "digest:2026-03-02", now=CLAIMED, claimed_by="dead"
        )
        uow.commit()
    assert claim is not None

    run_digest()  # 09:05: the claim is still the dead instance's
    at(2026, 3, 2, 9, 14)
    run_digest()
    held = surrey_digests(slack_api)
    at(2026, 3, 2, 9, 16)  # more than ten minutes after the claim
    run_digest()
    run_digest()

    assert held == []
    assert len(surrey_digests(slack_api)) == 1
    with uow_factory() as uow:
        rows = [
            r for r in uow.session.exec(select(BoardDispatchRow)) if r.board_id == "surrey-children"
        ]
    assert [(r.claimed_by != "dead", r.sent_at is not None) for r in rows] == [(True, True)]


def test_a_digest_refused_for_good_is_told_to_the_business_managers_once(
    make_case, run_digest, slack_api, uow_factory, gateway, clock, at
):
    at(2026, 3, 2, 9, 5)
    make_case(date(2026, 3, 4))
    slack_api.fail_next("chat.postMessage", error="is_archived", when={"channel": "C0CASEREV01"})
    run_digest()
    run_digest()
    deliver(uow_factory, gateway, now=clock.now())  # the outbox sends the owed notice

    assert surrey_digests(slack_api) == []  # refused once, not tried again the same day
    [notice] = [m for m in posted(slack_api) if m["channel"] == dm_channel(BEN)]
    assert notice["text"] == (
        "I could not deliver today's digest in <#C0CASEREV01>. Slack refused it for good "
        "(is_archived). Please pass it on another way, and check the board's channel in the "
        "board file."
    )
    with uow_factory() as uow:
        [claim] = [
            r for r in uow.session.exec(select(BoardDispatchRow)) if r.board_id == "surrey-children"
        ]
        owed = list(uow.session.exec(select(OutboxRow)))
    assert claim.last_error == "is_archived"
    assert [r.dedupe_key for r in owed] == [f"undelivered:digest:surrey-children:2026-03-02:{BEN}"]


@pytest.mark.skipif(pg_url() is None, reason="CASEDESK_TEST_DATABASE_URL is not set")
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_two_sweeps_in_parallel_against_postgresql_send_each_reminder_once(
    make_case, uow_factory, gateway, clock, slack_api
):
    for n in range(20):
        make_case(date(2026, 3, 9), pseudonym=f"Child {n}")
    results = []

    def run(name: str) -> None:
        results.append(
            sweep(uow_factory=uow_factory, gateway=gateway, clock=clock, instance_id=name)
        )

    threads = [threading.Thread(target=run, args=(f"sweeper-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sum(r.sent for r in results) == 20
    assert len([m for m in posted(slack_api) if m["channel"] == dm_channel(BEN)]) == 20


def test_the_scheduler_runs_in_london_time_every_sweep_period_and_shuts_down(
    uow_factory, gateway, clock
):
    scheduler = start_scheduler(
        uow_factory=uow_factory,
        gateway=gateway,
        clock=clock,
        instance_id="test",
        sweep_seconds=3600,
    )
    try:
        [job] = scheduler.get_jobs()
        assert str(scheduler.timezone) == "Europe/London"
        assert job.trigger.interval.total_seconds() == 3600
    finally:
        scheduler.shutdown(wait=True)
    assert not scheduler.running
