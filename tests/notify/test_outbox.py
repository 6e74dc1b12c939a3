"""Owing Slack messages: each owed once per key, leased to one sender, notices owed once.

The sending itself (deliver_due, the sender) is tested in ``tests/notify/test_delivery.py``.
Source: PRODUCT.md §Deadlines and reminders ("sent once: not twice after a restart, not twice
when two instances run against one PostgreSQL database"); §Confidentiality (a message nobody
will read is not kept).
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from sqlmodel import select

from bot.domain.boards import Role
from bot.notify.kinds import Kind, Owed
from bot.notify.outbox import owe_all, tell_business_managers
from bot.notify.undelivered import of_row
from store.models import MemberRoleRow, OutboxRow

SURREY, CHANNEL = "surrey-children", "C0CASEREV01"
BEN, PRIYA, TOM, GRACE = "U0BEN00001", "U0PRI00002", "U0TOM00003", "U0GRA00005"
RATIONALE = "Zebedee's school raised it twice."  # stands in for anything private in a payload


def message(n: int) -> dict:
    text = f"Recommendation {n}: {RATIONALE}"
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def change(uow, clock) -> int:
    """Append an audit event, as a use case does for its change; return its id."""
    event = uow.audit.append(
        at=clock.now(), actor=PRIYA, action="voting_closed", entity="case", board_id=SURREY
    )
    return event.id


def owe(uow, clock, change_id: int, owed: list[Owed]) -> list[int]:
    return owe_all(uow, owed, board_id=SURREY, now=clock.now(), change_id=change_id)


def rows(uow_factory) -> list[OutboxRow]:
    with uow_factory() as uow:
        return list(uow.session.exec(select(OutboxRow).order_by(OutboxRow.id)))


def test_one_change_owes_each_message_once_however_often_it_is_owed(uow_factory, clock, board):
    to_grace = Owed(Kind.DM, "recommendation_dm", GRACE, message(0))
    card = Owed(Kind.CARD, "case_card", CHANNEL)
    with uow_factory() as uow:
        change_id = change(uow, clock)
        first = owe(uow, clock, change_id, [to_grace, card])
        again = owe(uow, clock, change_id, [to_grace, card])  # a retried commit hook, a replay
        uow.commit()

    assert len(first) == 2 and again == []
    dm, redraw = rows(uow_factory)
    assert (dm.change_id, dm.kind, dm.template, dm.recipient, dm.board_id) == (
        change_id,
        "dm",
        "recommendation_dm",
        GRACE,
        SURREY,
    )
    assert json.loads(dm.payload) == message(0)
    assert (dm.attempts, dm.sent_at, dm.claimed_by) == (0, None, "")
    assert dm.next_attempt_at == dm.created_at == clock.now()  # due at once
    assert (redraw.kind, redraw.recipient, redraw.payload) == ("card", CHANNEL, None)  # drawn later


def test_another_template_recipient_or_change_is_another_message(uow_factory, clock, board):
    with uow_factory() as uow:
        one, two = change(uow, clock), change(uow, clock)
        owed = [
            owe(uow, clock, one, [Owed(Kind.DM, "recommendation_dm", GRACE, message(0))]),
            owe(uow, clock, one, [Owed(Kind.DM, "recommendation_dm", PRIYA, message(0))]),
            owe(uow, clock, one, [Owed(Kind.DM, "notifications_due", GRACE, message(1))]),
            owe(uow, clock, two, [Owed(Kind.DM, "recommendation_dm", GRACE, message(2))]),
        ]
        uow.commit()

    assert all(len(ids) == 1 for ids in owed)
    keys = [(r.change_id, r.template, r.recipient) for r in rows(uow_factory)]
    assert keys == [
        (one, "recommendation_dm", GRACE),
        (one, "recommendation_dm", PRIYA),
        (one, "notifications_due", GRACE),
        (two, "recommendation_dm", GRACE),
    ]


def test_rows_owed_in_a_transaction_that_rolls_back_are_not_owed(uow_factory, clock, board):
    with uow_factory() as uow:
        owe(uow, clock, change(uow, clock), [Owed(Kind.DM, "bm_notice", BEN, message(0))])
        # leaving without commit: the change did not happen, so nothing is owed

    assert rows(uow_factory) == []


def test_of_two_senders_that_saw_the_same_due_row_only_one_leases_it(uow_factory, clock, board):
    with uow_factory() as uow:
        [row_id] = owe(
            uow, clock, change(uow, clock), [Owed(Kind.DM, "bm_notice", BEN, message(0))]
        )
        uow.commit()
    until = clock.now() + timedelta(minutes=10)

    with uow_factory() as uow:
        [due] = uow.outbox.due(clock.now())
        seen = due.next_attempt_at
        won = uow.outbox.lease(row_id, seen=seen, until=until, claimed_by="a")
        uow.commit()
    with uow_factory() as uow:
        lost = uow.outbox.lease(row_id, seen=seen, until=until, claimed_by="b")
        still_due = uow.outbox.due(clock.now() + timedelta(minutes=9))
        uow.commit()

    assert (won, lost, still_due) == (True, False, [])
    [row] = rows(uow_factory)
    assert (row.claimed_by, row.next_attempt_at, row.attempts) == ("a", until, 0)
    assert row.uncertain  # until its outcome is recorded: looked for before it is sent again
    with uow_factory() as uow:  # a sender that died holding it: due again once the lease ends
        assert [r.id for r in uow.outbox.due(until)] == [row_id]
        assert uow.outbox.next_due() == until


def test_a_retry_keeps_the_message_and_a_failure_for_good_clears_it(uow_factory, clock, board):
    with uow_factory() as uow:
        owed = [Owed(Kind.DM, "bm_notice", u, message(0)) for u in (BEN, TOM)]
        retried_id, failed_id = owe(uow, clock, change(uow, clock), owed)
        retry_at = clock.now() + timedelta(seconds=30)
        uow.outbox.mark_failed(uow.outbox.get(retried_id), error="http_500", retry_at=retry_at)
        uow.outbox.mark_failed(uow.outbox.get(failed_id), error="user_disabled", retry_at=None)
        uow.commit()

    retried, failed = rows(uow_factory)
    assert (retried.attempts, retried.last_error, retried.next_attempt_at) == (
        1,
        "http_500",
        retry_at,
    )
    assert json.loads(retried.payload) == message(0)  # to be sent: kept
    assert (failed.attempts, failed.last_error, failed.next_attempt_at) == (
        1,
        "user_disabled",
        None,
    )
    assert failed.payload is None  # nobody will read it: not kept
    with uow_factory() as uow:  # never due again
        assert [r.id for r in uow.outbox.due(clock.now() + timedelta(days=365))] == [retried.id]


def failed_recommendation(uow_factory, clock) -> int:
    """Owe Grace a recommendation and record that Slack refused it for good; return its id."""
    with uow_factory() as uow:
        owed = [Owed(Kind.DM, "recommendation_dm", GRACE, message(0))]
        [row_id] = owe(uow, clock, change(uow, clock), owed)
        uow.outbox.mark_failed(uow.outbox.get(row_id), error="user_disabled", retry_at=None)
        uow.commit()
    return row_id


def make_business_manager(uow_factory, slack_id: str) -> None:
    with uow_factory() as uow:
        member = uow.members.find(SURREY, slack_id)
        uow.session.add(MemberRoleRow(member_id=member.id, role=Role.BUSINESS_MANAGER))
        uow.commit()


def tell(uow_factory, clock, row_id: int) -> int:
    with uow_factory() as uow:
        failure = of_row(uow, uow.outbox.get(row_id), "user_disabled")
        told = tell_business_managers(uow, failure, now=clock.now(), about_id=row_id)
        uow.commit()
    return told


def test_a_failure_is_told_to_each_other_business_manager_once(uow_factory, clock, board, caplog):
    make_business_manager(uow_factory, TOM)
    row_id = failed_recommendation(uow_factory, clock)

    with caplog.at_level(logging.WARNING):
        first = tell(uow_factory, clock, row_id)
        again = tell(uow_factory, clock, row_id)  # a re-run of the same record

    assert (first, again) == (2, 0)
    notices = [r for r in rows(uow_factory) if r.about_id == row_id]
    assert [(r.template, r.kind, r.recipient, r.change_id) for r in notices] == [
        ("undelivered_notice", "dm", BEN, None),
        ("undelivered_notice", "dm", TOM, None),
    ]
    text = json.loads(notices[0].payload)["text"]
    assert text.startswith(
        f"I could not deliver the recommendation to the decision-maker <@{GRACE}>"
    )
    assert "Zebedee" not in text and "Recommendation 0" not in text
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_the_same_notice_owed_twice_is_owed_once_without_an_error(uow_factory, clock, board):
    row_id = failed_recommendation(uow_factory, clock)
    notice = {"board_id": SURREY, "kind": Kind.DM, "template": "undelivered_notice"}
    with uow_factory() as uow:
        first = uow.outbox.owe(now=clock.now(), recipient=BEN, about_id=row_id, **notice)
        uow.commit()
    with uow_factory() as uow:
        again = uow.outbox.owe(now=clock.now(), recipient=BEN, about_id=row_id, **notice)
        uow.commit()

    assert first is not None and again is None  # "None when its key is owed already"
    assert [r.recipient for r in rows(uow_factory) if r.about_id == row_id] == [BEN]


def test_with_no_other_business_manager_nothing_is_owed_and_a_warning_names_the_failure(
    uow_factory, clock, board, caplog
):
    with uow_factory() as uow:
        owed = [Owed(Kind.DM, "recommendation_dm", BEN, message(0))]  # Ben: the only manager
        [row_id] = owe(uow, clock, change(uow, clock), owed)
        uow.outbox.mark_failed(uow.outbox.get(row_id), error="user_disabled", retry_at=None)
        uow.commit()

    with caplog.at_level(logging.WARNING):
        told = tell(uow_factory, clock, row_id)

    assert told == 0 and [r.id for r in rows(uow_factory)] == [row_id]
    assert caplog.messages == [
        f"outbox:{row_id} (recommendation) failed for good: user_disabled; "
        "no other business manager to tell"
    ]
    assert "Zebedee" not in caplog.text
