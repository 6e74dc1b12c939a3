"""Vote reminders to the eligible members yet to vote; the vote closed at its deadline, with the
recommendation, the channel notice, the card and every member's home owed by the close.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from bot.domain.cases import CaseState
from bot.notify.kinds import Kind
from bot.services.cases import SetCaseCard, set_case_card
from bot.services.common import SYSTEM
from store.models import AuditEventRow, BoardRow
from tests.fakes.slack_api import dm_channel
from tests.jobs.conftest import (
    ANA,
    BEN,
    GRACE,
    PRIYA,
    SUBJECT,
    SURREY,
    TOM,
    buttons,
    cast_ballot,
    dms_to,
    outbox_rows,
    posted,
)

CARD_TS = "1767000000.000100"


def test_members_yet_to_vote_are_reminded_once_and_voters_are_not(
    voting_case, run_tick, slack_api, reminders
):
    reference = voting_case(voted=(PRIYA,))

    first = run_tick()
    second = run_tick()

    dms = [m for m in posted(slack_api) if m["channel"].startswith("D")]
    assert sorted(m["channel"] for m in dms) == sorted(dm_channel(u) for u in (BEN, TOM, ANA))
    assert (first.claimed, first.sent - first.digests) == (3, 3)
    assert (second.claimed, second.sent) == (0, 0)
    [tom] = dms_to(slack_api, TOM)
    text = tom["text"]
    assert reference in text and "Child A" in text
    assert "Wed 4 Mar 2026" in text and "2 working days left" in text
    assert buttons(tom) == ["open_case"]
    assert SUBJECT not in json.dumps(tom)
    rows = reminders()
    assert sorted((r.recipient, r.slot, r.template) for r in rows) == sorted(
        (u, f"vote:{u}:lead:2:2026-03-04", "vote_reminder_dm") for u in (BEN, TOM, ANA)
    )
    assert all(r.sent_at is not None for r in rows)


def test_a_member_who_votes_before_the_reminder_is_sent_is_not_sent_it(
    voting_case, run_sweep, run_tick, slack_api, reminders, uow_factory, clock
):
    reference = voting_case(voted=(PRIYA,))
    run_sweep()  # owed to Ben, Tom and Ana
    with uow_factory() as uow:  # Tom votes before the sender draws his reminder
        cast_ballot(uow, uow.cases.by_reference(SURREY, reference).id, TOM, clock.now())
        uow.commit()

    result = run_tick()

    assert dms_to(slack_api, TOM) == []
    assert len(dms_to(slack_api, BEN)) == len(dms_to(slack_api, ANA)) == 1
    assert result.sent == 4  # Ben's, Ana's and the digests
    [toms] = [r for r in reminders() if r.recipient == TOM]
    assert toms.sent_at is not None and toms.last_error == "vote no longer awaited"
    assert (toms.channel, toms.ts) == (None, None)


def test_voting_closes_by_the_system_once_its_deadline_day_has_passed(
    voting_case, run_tick, slack_api, uow_factory, reminders, at
):
    reference = voting_case(voted=(PRIYA,), auto_close=True)
    at(2026, 3, 4, 10)  # the due day: still open
    on_the_day = run_tick()
    [on_the_day_to_ben] = [m["text"] for m in dms_to(slack_api, BEN)]
    at(2026, 3, 5, 10)  # the next working day

    first = run_tick()
    second = run_tick()

    assert (on_the_day.closed, first.closed, second.closed) == (0, 1, 0)
    with uow_factory() as uow:
        case = uow.cases.by_reference(SURREY, reference)
        assert case.state is CaseState.AWAITING_DECISION
        [event] = uow.session.exec(
            select(AuditEventRow).where(
                AuditEventRow.case_id == case.id, AuditEventRow.action == "voting_closed"
            )
        ).all()
        assert event.actor == SYSTEM
        channel = uow.session.get(BoardRow, SURREY).channel_id
    [grace] = dms_to(slack_api, GRACE)
    assert reference in grace["text"] and "Priya Raman: No further action" in grace["text"]
    assert buttons(grace) == ["record_decision"]
    [chair] = dms_to(slack_api, PRIYA)  # the chair is told too, without the button
    assert reference in chair["text"] and buttons(chair) == []
    [notice] = [m for m in posted(slack_api) if m["channel"] == channel and reference in m["text"]]
    assert SUBJECT not in json.dumps(notice) and SUBJECT not in json.dumps(grace)
    owed = [r for r in outbox_rows(uow_factory) if r.change_id == event.id]
    assert sorted((r.kind, r.template, r.recipient) for r in owed if r.kind != Kind.HOME) == [
        (Kind.CARD, "case_card", channel),
        (Kind.CHANNEL, "voting_closed", channel),
        (Kind.DM, "recommendation_dm", GRACE),
        (Kind.DM, "recommendation_dm", PRIYA),
    ]
    assert all(r.sent_at is not None and r.payload is None for r in owed)
    # the owner's overdue reminder, owed by the sweep that closed it, no longer applies
    [overdue] = [r for r in reminders() if r.template == "reminder_dm"]
    assert (overdue.recipient, overdue.slot) == (BEN, "overdue:2026-03-05")
    assert overdue.last_error == "deadline no longer running"
    assert on_the_day_to_ben.startswith(f"Your vote is awaited: {reference}")
    assert on_the_day_to_ben.endswith("closes today.")
    assert [m["text"] for m in dms_to(slack_api, BEN)] == [on_the_day_to_ben]  # nothing since


def test_closing_at_the_deadline_refreshes_every_members_home(
    voting_case, run_tick, slack_api, uow_factory, clock, at, no_sdk_sleep
):
    reference = voting_case(voted=(PRIYA,), auto_close=True)
    at(2026, 3, 5, 10)
    slack_api.fail_next("views.publish", error="internal_error")  # one home must wait

    closing = run_tick()
    published_then = {c.args["user_id"] for c in slack_api.calls_to("views.publish")}
    clock.advance(timedelta(minutes=2))
    later = run_tick()

    with uow_factory() as uow:
        members = {m.slack_id for m in uow.members.of_board(SURREY)}
        assert uow.cases.by_reference(SURREY, reference).state is CaseState.AWAITING_DECISION
    assert (closing.closed, closing.deferred, later.sent) == (1, 1, 1)
    assert published_then == members
    calls = slack_api.calls_to("views.publish")
    ok = [c for c in calls if c.response["ok"]]
    assert sorted(c.args["user_id"] for c in ok) == sorted(members)  # each once, in the end
    for call in ok:
        sections = [
            b["text"]["text"] for b in call.args["view"]["blocks"] if b["type"] == "section"
        ]
        assert sections[0] == "*Waiting for your vote* (0)"
        assert any(s.startswith(f"*{reference}* · Child A · awaiting a decision") for s in sections)
        assert SUBJECT not in json.dumps(call.args["view"])
    homes = outbox_rows(uow_factory, Kind.HOME)
    assert sorted(r.recipient for r in homes) == sorted(members)
    assert all(r.sent_at is not None for r in homes)


def test_without_auto_close_the_vote_stays_open_after_its_deadline(
    voting_case, run_tick, uow_factory, at
):
    reference = voting_case(auto_close=False)
    at(2026, 3, 5, 10)

    assert run_tick().closed == 0
    with uow_factory() as uow:
        assert uow.cases.by_reference(SURREY, reference).state is CaseState.VOTING
    assert [r for r in outbox_rows(uow_factory) if r.change_id is not None] == []


def _with_card(uow_factory, clock, reference: str) -> str:
    with uow_factory() as uow:
        channel = uow.session.get(BoardRow, SURREY).channel_id
        set_case_card(SetCaseCard(SURREY, reference, channel, CARD_TS), uow=uow, now=clock.now())
    return channel


def test_the_close_at_the_deadline_redraws_the_card_closed_with_its_counts(
    voting_case, run_tick, slack_api, uow_factory, clock, at
):
    reference = voting_case(voted=(PRIYA, TOM), auto_close=True)
    channel = _with_card(uow_factory, clock, reference)
    at(2026, 3, 5, 10)

    assert run_tick().closed == 1

    [update] = [c.args for c in slack_api.calls_to("chat.update") if c.response["ok"]]
    assert (update["channel"], update["ts"]) == (channel, CARD_TS)
    assert update["text"] == (
        f"{reference} (Child A): Serious Case Review, awaiting a decision. "
        "No further action 2 (2 of 4 voted)."
    )
    assert update["blocks"][0]["text"]["text"].endswith("· awaiting a decision")
    assert buttons(update) == ["record_decision"]  # the vote buttons are gone
    assert SUBJECT not in json.dumps(update)
    [card] = outbox_rows(uow_factory, Kind.CARD)
    assert (card.recipient, card.sent_at is not None, card.payload) == (channel, True, None)
    assert (card.channel, card.ts) == (channel, CARD_TS)


def test_a_close_at_the_deadline_slack_refused_is_sent_by_a_later_tick(
    voting_case, run_tick, slack_api, uow_factory, clock, at, no_sdk_sleep
):
    reference = voting_case(voted=(PRIYA,), auto_close=True)
    channel = _with_card(uow_factory, clock, reference)
    at(2026, 3, 5, 10)
    slack_api.fail_next("chat.postMessage", status=503, times=20)
    slack_api.fail_next("chat.update", status=503, times=2)

    closed = run_tick()
    with uow_factory() as uow:
        assert uow.cases.by_reference(SURREY, reference).state is CaseState.AWAITING_DECISION
    owed = [r for r in outbox_rows(uow_factory) if r.change_id is not None]
    unsent = [(r.kind, r.recipient, r.attempts, r.last_error) for r in owed if r.sent_at is None]
    homes = [r for r in owed if r.kind == Kind.HOME]
    slack_api.reset()
    clock.advance(timedelta(minutes=2))
    later = run_tick()

    assert closed.closed == 1
    assert sorted(unsent) == [
        (Kind.CARD, channel, 1, "http_503"),
        (Kind.CHANNEL, channel, 1, "http_503"),
        (Kind.DM, GRACE, 1, "http_503"),
        (Kind.DM, PRIYA, 1, "http_503"),
    ]
    assert homes and all(r.sent_at is not None for r in homes)  # views.publish did not fail
    assert (later.closed, later.sent) == (0, 6)  # the four, and both boards' digests
    grace, priya = dms_to(slack_api, GRACE), dms_to(slack_api, PRIYA)
    assert len(grace) == len(priya) == 1
    assert "Priya Raman: No further action" in grace[0]["text"]
    [notice] = [m for m in posted(slack_api) if m["channel"] == channel and reference in m["text"]]
    assert SUBJECT not in json.dumps(notice)
    [update] = [c.args for c in slack_api.calls_to("chat.update")]
    assert (update["channel"], update["ts"]) == (channel, CARD_TS)
    assert "awaiting a decision. No further action 1 (1 of 4 voted)." in update["text"]
    assert all(r.sent_at is not None for r in outbox_rows(uow_factory) if r.change_id)
