"""What Slack refuses for good is told to the board's business managers, once, and never loops.

Source: PRODUCT.md §Deadlines and reminders ("not lost if Slack is down or rate-limits"), §Voting
(the recommendation "goes to the decision-maker"), §Confidentiality; SPEC.md §Who does what (the
business manager "sends letters and notifications").
"""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta

import pytest
from sqlmodel import select

from bot.domain.boards import Role
from bot.jobs import run_once
from bot.outbox import DM, deliver, owe
from store.models import MemberRoleRow, OutboxRow
from tests.fakes.slack_api import dm_channel
from tests.jobs.conftest import BEN, PRIYA, SUBJECT, SURREY, posted, surrey_member

GRACE = "U0GRA00005"  # decision-maker
TOM = "U0TOM00003"  # member; made a second business manager where a test needs one
NOTICE = "I could not deliver"


@pytest.fixture
def tick(uow_factory, gateway, clock):
    """Run one scheduler tick (sweep, digests, outbox), two minutes after the last."""

    def _tick():
        result = run_once(uow_factory=uow_factory, gateway=gateway, clock=clock, instance_id="t")
        clock.advance(timedelta(minutes=2))
        return result

    return _tick


def notices_to(slack_api, user: str) -> list[dict]:
    """Return the notices Slack accepted for ``user``."""
    return [
        m
        for m in posted(slack_api)
        if m["channel"] == dm_channel(user) and m["text"].startswith(NOTICE)
    ]


def outbox(uow_factory) -> list[OutboxRow]:
    with uow_factory() as uow:
        return list(uow.session.exec(select(OutboxRow).order_by(OutboxRow.id)))


def make_business_manager(uow_factory, slack_id: str) -> None:
    with uow_factory() as uow:
        member = surrey_member(uow, slack_id)
        uow.session.add(MemberRoleRow(member_id=member.id, role="business_manager"))
        uow.commit()


def owe_grace(uow_factory, clock, *, key: str = "test:dm") -> None:
    """Owe Grace a DM about no case (a payload that must never reach a notice)."""
    with uow_factory() as uow:
        message = {"text": "Priya Raman: no further action", "blocks": []}
        where = {"board_id": SURREY, "case_id": None, "now": clock.now()}
        owe(uow, key=key, kind=DM, recipient=GRACE, message=message, **where)
        uow.commit()


@pytest.fixture
def closed_without_grace(voting_case, slack_api, at, tick) -> str:
    """A vote closed at its deadline whose recommendation Slack refuses Grace for good."""
    reference = voting_case(voted=(PRIYA,), auto_close=True)
    at(2026, 3, 5, 10)
    slack_api.fail_next("conversations.open", error="user_not_found", when={"users": GRACE})
    assert tick().closed == 1
    return reference


def test_a_recommendation_slack_refuses_for_good_is_told_to_the_business_manager_once(
    closed_without_grace, slack_api, uow_factory, tick
):
    tick()  # the notice went out with the close's tick; later ticks send nothing more
    tick()

    [notice] = notices_to(slack_api, BEN)
    assert notice["text"] == (
        f"I could not deliver the recommendation to the decision-maker <@{GRACE}> on "
        f"{closed_without_grace} (Child A). Slack refused it for good (user_not_found). "
        "Please pass it on another way, and check their entry in the board file."
    )
    section, context = notice["blocks"]
    assert section["text"]["text"] == (
        f":warning: I could not deliver the recommendation to the decision-maker <@{GRACE}> on "
        f"*{closed_without_grace}* (Child A). Slack refused it for good (`user_not_found`)."
    )
    assert context["elements"][0]["text"].startswith("Please pass it on another way")
    assert "Priya Raman" not in json.dumps(notice)  # never the recommendation itself
    rows = {r.recipient: r for r in outbox(uow_factory) if r.kind == DM}
    grace = rows[GRACE]
    assert (grace.sent_at, grace.next_attempt_at, grace.last_error) == (
        None,
        None,
        "user_not_found",
    )
    assert grace.attempts == 1
    told = rows[BEN]
    assert told.dedupe_key == f"undelivered:outbox:{grace.id}:{BEN}"
    assert told.sent_at is not None and told.payload is None
    assert not slack_api.violations


def test_a_reminder_recipient_who_is_gone_is_told_once_and_the_others_are_still_reminded(
    make_case, at, slack_api, uow_factory, dispatches, tick
):
    at(2026, 2, 23, 10)
    reference, _ = make_case(date(2026, 2, 24))  # four working days overdue on Mon 2 Mar
    at(2026, 3, 2, 10)
    slack_api.fail_next(
        "conversations.open", error="user_not_found", when={"users": PRIYA}, times=2
    )
    slack_api.fail_next("chat.postMessage", status=500, times=2, when={"channel": dm_channel(BEN)})

    first = tick()  # Ben must wait (500): the slot is retried; Priya is gone
    second = tick()  # Ben reached; Priya gone again: no second notice
    tick()

    assert (first.deferred, second.retried, second.sent) == (1, 1, 1)
    to_ben = [m["text"] for m in posted(slack_api) if m["channel"] == dm_channel(BEN)]
    assert len(to_ben) == 2  # the reminder, once, and the notice, once
    assert [t for t in to_ben if t.startswith("Overdue, escalated: ")] != []
    [notice] = notices_to(slack_api, BEN)
    assert notice["text"] == (
        f"I could not deliver a reminder to <@{PRIYA}> on {reference} (Child A): "
        "Rapid review sent, due Tue 24 Feb 2026. Slack refused it for good (user_not_found). "
        "Please pass it on another way, and check their entry in the board file."
    )
    [row] = dispatches()
    assert (row.delivered_to, row.last_error) == (BEN, f"{PRIYA}: user_not_found")
    [owed] = outbox(uow_factory)
    assert owed.dedupe_key == f"undelivered:reminder:{row.id}:{PRIYA}:{BEN}"
    assert owed.sent_at is not None


def test_a_notice_that_fails_for_good_tells_nobody_of_it(
    board, slack_api, uow_factory, gateway, clock, caplog
):
    make_business_manager(uow_factory, TOM)  # so a notice of a failed notice would have a reader
    owe_grace(uow_factory, clock, key=f"voting_closed:1:1:dm:{GRACE}")
    slack_api.fail_next("conversations.open", error="user_not_found", when={"users": GRACE})
    slack_api.fail_next("conversations.open", error="user_disabled", when={"users": BEN})

    with caplog.at_level(logging.WARNING):
        passes = [deliver(uow_factory, gateway, now=clock.now()) for _ in range(3)]

    assert [(p.sent, p.failed) for p in passes] == [(0, 1), (1, 1), (0, 0)]
    assert notices_to(slack_api, BEN) == []
    [to_tom] = notices_to(slack_api, TOM)  # of Grace's recommendation, not of Ben's notice
    assert to_tom["text"].startswith(
        f"{NOTICE} the recommendation to the decision-maker <@{GRACE}>."
    )
    grace, *told = outbox(uow_factory)
    assert [(r.dedupe_key, r.sent_at is None, r.last_error) for r in told] == [
        (f"undelivered:outbox:{grace.id}:{BEN}", True, "user_disabled"),
        (f"undelivered:outbox:{grace.id}:{TOM}", False, None),
    ]
    assert f"outbox {told[0].id} (dm) failed for good: user_disabled" in caplog.text


def test_with_no_other_business_manager_a_warning_is_logged_and_nothing_owed(
    make_case, at, slack_api, uow_factory, dispatches, tick, caplog
):
    make_case(date(2026, 3, 9))  # Ben alone owns it: the 5-day reminder is due Mon 2 Mar
    slack_api.fail_next("conversations.open", error="user_not_found", when={"users": BEN})

    with caplog.at_level(logging.WARNING):
        result = tick()

    assert result.failed == 1
    [row] = dispatches()
    assert (row.sent_at, row.last_error) == (None, f"{BEN}: user_not_found")
    assert outbox(uow_factory) == []
    assert (
        f"reminder:{row.id}:{BEN} (reminder) failed for good: user_not_found; "
        "no other business manager to tell"
    ) in caplog.text


def test_a_message_without_a_case_is_told_generically(
    board, slack_api, uow_factory, gateway, clock
):
    owe_grace(uow_factory, clock)
    slack_api.fail_next("conversations.open", error="user_not_found", when={"users": GRACE})

    first = deliver(uow_factory, gateway, now=clock.now())
    second = deliver(uow_factory, gateway, now=clock.now())

    assert (first.failed, second.sent) == (1, 1)
    [notice] = notices_to(slack_api, BEN)
    assert notice["text"] == (
        f"I could not deliver a message to <@{GRACE}>. Slack refused it for good "
        "(user_not_found). Please pass it on another way, and check their entry in the board file."
    )


def test_a_notice_that_cannot_be_owed_leaves_the_failure_recorded(
    board, slack_api, uow_factory, gateway, clock, monkeypatch, caplog
):
    def broken(uow, failure):
        uow.session.add(MemberRoleRow(member_id=10_000, role="chair"))  # a write that fails
        uow.session.flush()

    monkeypatch.setattr("bot.outbox.notices", broken)
    owe_grace(uow_factory, clock)
    slack_api.fail_next("conversations.open", error="user_not_found", when={"users": GRACE})

    with caplog.at_level(logging.ERROR):
        result = deliver(uow_factory, gateway, now=clock.now())

    assert result.failed == 1
    [row] = outbox(uow_factory)
    assert (row.next_attempt_at, row.last_error, row.attempts) == (None, "user_not_found", 1)
    assert f"outbox:{row.id} (message): notice not owed: IntegrityError" in caplog.text


def test_no_notice_names_the_subject_in_slack_or_in_the_logs(
    voting_case, make_case, at, slack_api, uow_factory, tick, caplog
):
    caplog.set_level(logging.DEBUG)
    reference = voting_case(voted=(PRIYA,), auto_close=True)
    at(2026, 3, 5, 10)
    slack_api.fail_next("conversations.open", error="user_not_found", when={"users": GRACE})
    slack_api.fail_next("conversations.open", error="user_not_found", when={"users": PRIYA})

    tick()
    tick()

    notices = notices_to(slack_api, BEN)
    assert len(notices) == 2 and all(reference in n["text"] for n in notices)
    calls = json.dumps([c.args for c in slack_api.calls])
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    assert SUBJECT not in calls and "Zebedee" not in calls
    assert "Zebedee" not in logged and "found injured" not in logged
    assert any(r.levelno == logging.WARNING for r in caplog.records)


def test_a_reminder_nobody_holds_the_role_for_is_told_to_the_managers_once_per_deadline(
    make_case, at, slack_api, uow_factory, dispatches, tick
):
    at(2026, 3, 2, 10)
    reference, deadline_id = make_case(date(2026, 3, 9))  # lead 5 due now; lead 2 on Thu 5 Mar
    with uow_factory() as uow:
        uow.deadlines.get(deadline_id).owner_role = Role.DECISION_MAKER
        uow.members.set_roles(surrey_member(uow, GRACE).id, [])  # nobody is decision-maker now
        uow.commit()

    first = tick()
    at(2026, 3, 5, 10)
    second = tick()
    tick()

    assert (first.failed, second.failed) == (1, 1)
    assert [r.last_error for r in dispatches()] == ["no_owner", "no_owner"]
    dms = [m["channel"] for m in posted(slack_api) if m["channel"].startswith("D")]
    assert dms == [dm_channel(BEN)]  # the notice only: no reminder went to anyone
    [notice] = notices_to_any(slack_api, BEN)
    assert notice["text"] == (
        f"Nobody on the board is the decision-maker, so nobody was sent a reminder on "
        f"{reference} (Child A): Rapid review sent, due Mon 9 Mar 2026. Please name someone "
        "for that role in the board file, and pass the reminder on meanwhile."
    )
    [section, context] = notice["blocks"]
    assert section["text"]["text"] == (
        f":warning: Nobody on the board is the decision-maker, so nobody was sent a reminder on "
        f"*{reference}* (Child A): Rapid review sent, due Mon 9 Mar 2026."
    )
    assert context["elements"][0]["text"].startswith("Please name someone for that role")
    [owed] = outbox(uow_factory)
    assert owed.dedupe_key == f"undelivered:reminder:no_owner:{deadline_id}:decision_maker:{BEN}"
    assert not slack_api.violations


def notices_to_any(slack_api, user: str) -> list[dict]:
    """Return every DM Slack accepted for ``user`` (a notice may open with other words)."""
    return [m for m in posted(slack_api) if m["channel"] == dm_channel(user)]
