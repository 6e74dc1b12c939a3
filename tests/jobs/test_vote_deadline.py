"""Vote reminders: eligible members who have not voted are reminded before the vote deadline."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from bot.domain.cases import CaseState
from bot.jobs import run_once
from bot.services.cases import SetCaseCard, set_case_card
from bot.services.common import SYSTEM
from store.models import AuditEventRow, BoardRow, OutboxRow
from tests.fakes.slack_api import dm_channel
from tests.jobs.conftest import PRIYA, SUBJECT, SURREY, posted

TOM = "U0TOM00003"
GRACE = "U0GRA00005"  # decision-maker


def test_members_yet_to_vote_are_reminded_once_and_voters_are_not(
    voting_case, run_sweep, slack_api, dispatches
):
    reference = voting_case(voted=(PRIYA,))

    first = run_sweep()
    second = run_sweep()

    messages = posted(slack_api)
    channels = [m["channel"] for m in messages]
    assert dm_channel(PRIYA) not in channels
    assert channels.count(dm_channel(TOM)) == 1
    assert len(channels) == len(set(channels)) == first.sent
    assert (second.claimed, second.sent) == (0, 0)
    [tom] = [m for m in messages if m["channel"] == dm_channel(TOM)]
    text = tom["text"]
    assert reference in text and "Child A" in text
    assert "Wed 4 Mar 2026" in text and "2 working days left" in text
    buttons = [
        e["action_id"] for b in tom["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == ["open_case"]
    assert SUBJECT not in json.dumps(tom)
    keys = {r.slot_key for r in dispatches()}
    assert f"vote:{TOM}:lead:2:2026-03-04" in keys
    assert not any(k.startswith(f"vote:{PRIYA}:") for k in keys)


def test_voting_closes_by_the_system_once_its_deadline_day_has_passed(
    voting_case, run_sweep, slack_api, uow_factory, at
):
    reference = voting_case(voted=(PRIYA,), auto_close=True)
    at(2026, 3, 4, 10)  # the due day: still open
    on_the_day = run_sweep()
    at(2026, 3, 5, 10)  # the next working day

    first = run_sweep()
    second = run_sweep()

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
    messages = posted(slack_api)
    [grace] = [m for m in messages if m["channel"] == dm_channel(GRACE)]
    assert reference in grace["text"]
    [notice] = [m for m in messages if m["channel"] == channel]
    assert reference in notice["text"] and SUBJECT not in json.dumps(notice)
    assert SUBJECT not in json.dumps(grace)


def test_closing_at_the_deadline_refreshes_every_members_home(
    voting_case, run_sweep, slack_api, uow_factory, at
):
    reference = voting_case(voted=(PRIYA,), auto_close=True)
    at(2026, 3, 5, 10)
    slack_api.fail_next("views.publish", error="internal_error")  # one home fails: logged only
    assert run_sweep().closed == 1
    with uow_factory() as uow:
        members = {m.slack_id for m in uow.members.of_board(SURREY)}
        assert uow.cases.by_reference(SURREY, reference).state is CaseState.AWAITING_DECISION
    calls = slack_api.calls_to("views.publish")
    assert sorted(c.args["user_id"] for c in calls) == sorted(members)
    for call in [c for c in calls if c.response["ok"]]:
        sections = [
            b["text"]["text"] for b in call.args["view"]["blocks"] if b["type"] == "section"
        ]
        assert sections[0] == "*Waiting for your vote* (0)"
        assert any(s.startswith(f"*{reference}* · Child A · awaiting a decision") for s in sections)
        assert SUBJECT not in json.dumps(call.args["view"])


def test_without_auto_close_the_vote_stays_open_after_its_deadline(
    voting_case, run_sweep, uow_factory, at
):
    reference = voting_case(auto_close=False)
    at(2026, 3, 5, 10)

    assert run_sweep().closed == 0
    with uow_factory() as uow:
        assert uow.cases.by_reference(SURREY, reference).state is CaseState.VOTING


CARD_TS = "1767000000.000100"


def _with_card(uow_factory, clock, reference: str) -> str:
    with uow_factory() as uow:
        channel = uow.session.get(BoardRow, SURREY).channel_id
        set_case_card(SetCaseCard(SURREY, reference, channel, CARD_TS), uow=uow, now=clock.now())
    return channel


def test_the_close_at_the_deadline_redraws_the_card_closed_with_its_counts(
    voting_case, run_sweep, slack_api, uow_factory, clock, at
):
    reference = voting_case(voted=(PRIYA, TOM), auto_close=True)
    channel = _with_card(uow_factory, clock, reference)
    at(2026, 3, 5, 10)

    assert run_sweep().closed == 1

    [update] = [c.args for c in slack_api.calls_to("chat.update") if c.response["ok"]]
    assert (update["channel"], update["ts"]) == (channel, CARD_TS)
    assert update["text"] == (
        f"{reference} (Child A): Serious Case Review, awaiting a decision. "
        "No further action 2 (2 of 4 voted)."
    )
    assert update["blocks"][0]["text"]["text"].endswith("· awaiting a decision")
    buttons = [
        e["action_id"] for b in update["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == ["record_decision"]  # the vote buttons are gone
    assert SUBJECT not in json.dumps(update)
    with uow_factory() as uow:
        rows = list(uow.session.exec(select(OutboxRow).order_by(OutboxRow.id)))
    assert [(r.kind, r.sent_at is not None, r.payload) for r in rows][-1] == ("card", True, None)


def test_a_close_at_the_deadline_slack_refused_is_sent_by_a_later_tick(
    voting_case, slack_api, uow_factory, gateway, clock, at, no_sdk_sleep
):
    reference = voting_case(voted=(PRIYA,), auto_close=True)
    channel = _with_card(uow_factory, clock, reference)
    at(2026, 3, 5, 10)
    slack_api.fail_next("chat.postMessage", status=503, times=20)
    slack_api.fail_next("chat.update", status=503, times=2)

    closed = run_once(uow_factory=uow_factory, gateway=gateway, clock=clock, instance_id="a")
    with uow_factory() as uow:
        assert uow.cases.by_reference(SURREY, reference).state is CaseState.AWAITING_DECISION
        owed = list(uow.session.exec(select(OutboxRow).order_by(OutboxRow.id)))
    assert [(r.kind, r.recipient, r.sent_at) for r in owed] == [
        ("dm", GRACE, None),
        ("dm", PRIYA, None),
        ("channel", channel, None),
        ("card", channel, None),
    ]
    slack_api.reset()
    clock.advance(timedelta(minutes=2))
    later = run_once(uow_factory=uow_factory, gateway=gateway, clock=clock, instance_id="b")

    assert (closed.closed, closed.delivered, later.delivered) == (1, 0, 4)
    owed_posts = [m for m in posted(slack_api) if not m["text"].startswith("Deadlines for")]
    assert [m["channel"] for m in owed_posts] == [dm_channel(GRACE), dm_channel(PRIYA), channel]
    assert "Priya Raman: No further action" in owed_posts[0]["text"]
    [update] = [c.args for c in slack_api.calls_to("chat.update")]
    assert (update["channel"], update["ts"]) == (channel, CARD_TS)
    assert "awaiting a decision. No further action 1 (1 of 4 voted)." in update["text"]
