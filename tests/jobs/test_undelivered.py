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

from bot.domain.boards import Role
from bot.notify.kinds import Kind
from store.models import MemberRoleRow
from tests.fakes.slack_api import dm_channel
from tests.jobs.conftest import (
    BEN,
    GRACE,
    PRIYA,
    SUBJECT,
    TOM,
    dms_to,
    outbox_rows,
    owe_grace,
    posted,
    surrey_member,
)

NOTICE = "I could not deliver"
NOTICE_TEMPLATE = "undelivered_notice"


@pytest.fixture
def tick(run_tick, clock):
    """Run one scheduler tick (owe, then send), two minutes after the last."""

    def _tick():
        result = run_tick()
        clock.advance(timedelta(minutes=2))
        return result

    return _tick


def notices_to(slack_api, user: str) -> list[dict]:
    """Return the notices Slack accepted for ``user``."""
    return [m for m in dms_to(slack_api, user) if m["text"].startswith(NOTICE)]


def notice_rows(uow_factory) -> list:
    """Return the notice rows of the outbox, oldest first."""
    return [r for r in outbox_rows(uow_factory) if r.template == NOTICE_TEMPLATE]


def make_business_manager(uow_factory, slack_id: str) -> None:
    with uow_factory() as uow:
        member = surrey_member(uow, slack_id)
        uow.session.add(MemberRoleRow(member_id=member.id, role="business_manager"))
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
    later = [tick(), tick()]  # the notice went out with the close's tick; later send nothing

    assert [(r.sent, r.failed) for r in later] == [(0, 0), (0, 0)]
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
    [grace] = [r for r in outbox_rows(uow_factory, Kind.DM) if r.recipient == GRACE]
    assert (grace.template, grace.sent_at, grace.next_attempt_at, grace.last_error) == (
        "recommendation_dm",
        None,
        None,
        "user_not_found",
    )
    assert (grace.attempts, grace.payload) == (1, None)  # nobody will read it: not kept
    [told] = notice_rows(uow_factory)
    assert (told.about_id, told.recipient, told.kind, told.case_id) == (
        grace.id,
        BEN,
        Kind.DM,
        grace.case_id,
    )
    assert told.sent_at is not None and told.payload is None


def test_a_reminder_recipient_who_is_gone_is_told_once_and_the_others_are_still_reminded(
    make_case, at, slack_api, uow_factory, reminders, tick, no_sdk_sleep
):
    at(2026, 2, 23, 10)
    reference, _ = make_case(date(2026, 2, 24))  # four working days overdue on Mon 2 Mar
    at(2026, 3, 2, 10)
    slack_api.fail_next(
        "conversations.open", error="user_not_found", when={"users": PRIYA}, times=2
    )
    # Ben's reminder fails once (a post is not resent by the client: Slack may have taken it)
    slack_api.fail_next("chat.postMessage", status=500, when={"channel": dm_channel(BEN)})

    first = tick()  # Ben must wait (500), and is told Priya is gone for good
    second = tick()  # Ben's DM looked in for the reminder, then reached; Priya's not tried again
    third = tick()

    assert (first.claimed, first.deferred, first.failed, first.sent - first.digests) == (1, 1, 1, 1)
    assert (second.claimed, second.sent, second.failed) == (0, 1, 0)
    assert (third.sent, third.failed) == (0, 0)
    lookups = [c.args["channel"] for c in slack_api.calls_to("conversations.history")]
    assert lookups == [dm_channel(BEN)]  # once, before the reminder was posted again
    to_ben = [m["text"] for m in dms_to(slack_api, BEN)]
    assert len(to_ben) == 2  # the reminder, once, and the notice, once
    assert [t for t in to_ben if t.startswith("Overdue, escalated: ")] != []
    [notice] = notices_to(slack_api, BEN)
    assert notice["text"] == (
        f"I could not deliver a reminder to <@{PRIYA}> on {reference} (Child A): "
        "Rapid review sent, due Tue 24 Feb 2026. Slack refused it for good (user_not_found). "
        "Please pass it on another way, and check their entry in the board file."
    )
    owner, chair = reminders()
    assert (owner.recipient, owner.sent_at is not None, owner.attempts) == (BEN, True, 2)
    assert (chair.recipient, chair.sent_at, chair.last_error) == (PRIYA, None, "user_not_found")
    [owed] = notice_rows(uow_factory)
    assert (owed.about_id, owed.recipient, owed.sent_at is not None) == (chair.id, BEN, True)


def test_a_notice_that_fails_for_good_tells_nobody_of_it(
    board, slack_api, uow_factory, sender, clock, caplog
):
    make_business_manager(uow_factory, TOM)  # so a notice of a failed notice would have a reader
    grace_id = owe_grace(uow_factory, clock, template="recommendation_dm")
    slack_api.fail_next("conversations.open", error="user_not_found", when={"users": GRACE})
    slack_api.fail_next("conversations.open", error="user_disabled", when={"users": BEN})

    with caplog.at_level(logging.WARNING):
        drains = [sender.drain() for _ in range(2)]

    # Grace's fails (notices owed to Ben and Tom); Ben's notice fails, Tom's is sent
    assert [(d.sent, d.failed) for d in drains] == [(1, 2), (0, 0)]
    assert notices_to(slack_api, BEN) == []
    [to_tom] = notices_to(slack_api, TOM)  # of Grace's recommendation, not of Ben's notice
    assert to_tom["text"].startswith(
        f"{NOTICE} the recommendation to the decision-maker <@{GRACE}>."
    )
    grace, *told = outbox_rows(uow_factory)
    assert grace.id == grace_id and grace.last_error == "user_not_found"
    assert [(r.about_id, r.recipient, r.sent_at is None, r.last_error) for r in told] == [
        (grace_id, BEN, True, "user_disabled"),
        (grace_id, TOM, False, None),
    ]
    assert f"outbox {told[0].id} (dm) failed for good: user_disabled" in caplog.text


def test_with_no_other_business_manager_a_warning_is_logged_and_nothing_owed(
    make_case, slack_api, uow_factory, reminders, tick, caplog
):
    make_case(date(2026, 3, 9))  # Ben alone owns it: the 5-day reminder is due Mon 2 Mar
    slack_api.fail_next("conversations.open", error="user_not_found", when={"users": BEN})

    with caplog.at_level(logging.WARNING):
        result = tick()

    assert result.failed == 1
    [row] = reminders()
    assert (row.sent_at, row.last_error) == (None, "user_not_found")
    assert notice_rows(uow_factory) == []
    assert (
        f"outbox:{row.id} (reminder) failed for good: user_not_found; "
        "no other business manager to tell"
    ) in caplog.text


def test_a_message_without_a_case_is_told_generically(board, slack_api, uow_factory, sender, clock):
    grace_id = owe_grace(uow_factory, clock)
    slack_api.fail_next("conversations.open", error="user_not_found", when={"users": GRACE})

    first = sender.drain()
    second = sender.drain()

    assert (first.failed, first.sent, second.sent) == (1, 1, 0)
    [notice] = notices_to(slack_api, BEN)
    assert notice["text"] == (
        f"I could not deliver a message to <@{GRACE}>. Slack refused it for good "
        "(user_not_found). Please pass it on another way, and check their entry in the board file."
    )
    [told] = notice_rows(uow_factory)
    assert (told.about_id, told.recipient, told.case_id) == (grace_id, BEN, None)


def test_a_notice_that_cannot_be_owed_leaves_the_failure_recorded(
    board, slack_api, uow_factory, sender, clock, monkeypatch, caplog
):
    def broken(uow, failure):
        uow.session.add(MemberRoleRow(member_id=10_000, role="chair"))  # a write that fails
        uow.session.flush()

    monkeypatch.setattr("bot.notify.outbox.notices", broken)
    owe_grace(uow_factory, clock)
    slack_api.fail_next("conversations.open", error="user_not_found", when={"users": GRACE})

    with caplog.at_level(logging.ERROR):
        result = sender.drain()

    assert (result.sent, result.failed) == (0, 1)
    [row] = outbox_rows(uow_factory)
    assert (row.next_attempt_at, row.last_error, row.attempts) == (None, "user_not_found", 1)
    assert f"outbox:{row.id} (message): notice not owed: IntegrityError" in caplog.text


def test_no_notice_names_the_subject_in_slack_or_in_the_logs(
    voting_case, at, slack_api, tick, caplog
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
    make_case, at, slack_api, uow_factory, reminders, tick
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
    third = tick()

    assert (first.claimed, first.sent - first.digests) == (1, 1)  # the notice
    assert (second.claimed, second.sent - second.digests) == (1, 0)  # owed, but told already
    assert (third.claimed, third.sent) == (0, 0)
    rows = reminders()
    assert [(r.recipient, r.slot, r.last_error) for r in rows] == [
        ("", "lead:5:2026-03-09", "no_owner"),
        ("", "lead:2:2026-03-09", "no_owner"),
    ]
    assert all(r.sent_at is None and r.next_attempt_at is None for r in rows)
    dms = [m["channel"] for m in posted(slack_api) if m["channel"].startswith("D")]
    assert dms == [dm_channel(BEN)]  # the notice only: no reminder went to anyone
    [notice] = dms_to(slack_api, BEN)
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
    [owed] = notice_rows(uow_factory)
    assert (owed.deadline_id, owed.slot, owed.recipient, owed.kind) == (
        deadline_id,
        "no_owner:decision_maker",
        BEN,
        Kind.DM,
    )
    assert owed.sent_at is not None
