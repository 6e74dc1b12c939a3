"""The chair's close owes its messages in the outbox: a Slack failure delays them, never loses them.

Source: PRODUCT.md §Voting (the recommendation goes to the decision-maker), §Deadlines and
reminders ("not lost if Slack is down or rate-limits"), §Confidentiality.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.domain.cases import CaseState
from bot.jobs import run_once
from bot.notify.owed import owing
from bot.notify.sender import Sender
from bot.slack.client import make_web_client
from bot.slack.gateway import SlackGateway
from messages.ids import ActionId
from store.models import AuditEventRow, CaseRow, OutboxRow
from tests.fakes.signing import CHANNEL_ID
from tests.fakes.slack_api import dm_channel
from tests.handlers.interactions import ANA, BEN, CARD_TS, GRACE, PRIYA, SUBJECT, TOM, click
from tests.handlers.test_voting import vote

pytestmark = pytest.mark.usefixtures("no_sdk_sleep")

MEMBERS = sorted([BEN, PRIYA, TOM, ANA, GRACE, "U0SAM00006"])  # Surrey's active members
CLOSE_OWES = [  # (kind, template, recipient) of what a close owes, before the homes
    ("dm", "recommendation_dm", GRACE),  # the decision-maker, with "Record decision"
    ("dm", "recommendation_dm", PRIYA),  # the chair
    ("channel", "voting_closed", CHANNEL_ID),
    ("card", "case_card", CHANNEL_ID),
]


@pytest.fixture
def voting(app, slack_api, ref) -> str:
    """A case with a card, voting open, three votes cast; the Slack calls so far forgotten."""
    click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)
    vote(app, slack_api, ref, BEN, rationale="Criteria met.")
    vote(app, slack_api, ref, PRIYA, rationale="Serious harm, agencies involved.")
    vote(app, slack_api, ref, ANA, ActionId.VOTE_NFA, "Already learned from.")
    slack_api.reset()
    return ref


@pytest.fixture
def tick(uow_factory, slack_settings, clock):
    """Run one scheduler tick, then its sender's pass, in a process of its own (``casedesk run``).

    The tick owes what is due (the day's digests among it) and the pass sends every due row.
    """
    gateway = SlackGateway(
        make_web_client(slack_settings), sleep=lambda s: None, min_interval_per_channel=0
    )
    sender = Sender(uow_factory, gateway, clock, instance_id="tick")
    owes = owing(uow_factory, clock, sender.wake)
    return lambda: run_once(uow_factory=owes, sender=sender, clock=clock)


def change_ids(uow_factory, action: str) -> list[int]:
    """The audit events a step wrote, oldest first: what its owed rows are keyed by."""
    with uow_factory() as uow:
        query = select(AuditEventRow.id).where(AuditEventRow.action == action)
        return list(uow.session.exec(query.order_by(col(AuditEventRow.id))))


def outbox(uow_factory, action: str = "voting_closed") -> list[OutboxRow]:
    """The rows owed by the step ``action`` (its audit events), in the order owed."""
    ids = change_ids(uow_factory, action)
    with uow_factory() as uow:
        query = select(OutboxRow).where(col(OutboxRow.change_id).in_(ids))
        return list(uow.session.exec(query.order_by(col(OutboxRow.id))))


def owes(rows: list[OutboxRow]) -> list[tuple[str, str, str]]:
    """What rows owe, homes apart: (kind, template, recipient)."""
    return [(r.kind, r.template, r.recipient) for r in rows if r.kind != "home"]


def accepted(slack_api, method: str = "chat.postMessage") -> list[dict]:
    """The calls Slack took (for messages, the day's digest left out)."""
    calls = [c.args for c in slack_api.calls_to(method) if c.status == 200 and c.response["ok"]]
    return [a for a in calls if not a.get("text", "").startswith("Deadlines for")]


def case_state(uow_factory) -> CaseState:
    with uow_factory() as uow:
        return uow.session.exec(select(CaseRow)).one().state


def close_while_slack_answers_500(app, slack_api, ref: str, caplog) -> None:
    """Close the vote as the chair while Slack answers 500 to each of its 3 messages, once."""
    # 3 messages, each failed once: the client does not resend a post Slack may have taken
    slack_api.fail_next("chat.postMessage", status=500, times=3)
    with caplog.at_level(logging.INFO):  # slack_sdk bodies (DEBUG) are floored by bot.logs
        click(app, slack_api, ActionId.CLOSE_VOTING, ref, PRIYA)


def assert_every_vote_by_name_with_record_decision(to_grace: dict) -> None:
    """Assert the decision-maker's DM names every voter and rationale and offers the decision."""
    sections = [b["text"]["text"] for b in to_grace["blocks"] if b["type"] == "section"]
    assert sections[1:4] == [
        "*Ben Okafor* (Surrey County Council): Statutory review\nCriteria met.",
        "*Priya Raman* (Surrey Police): Statutory review\nSerious harm, agencies involved.",
        "*Ana Kowalski* (Surrey County Council Children's Services): No further action "
        "(dissent)\nAlready learned from.",
    ]
    assert to_grace["blocks"][-1]["elements"][0]["action_id"] == ActionId.RECORD_DECISION


def test_a_close_slack_answers_500_is_kept_and_a_later_tick_sends_each_message_once(
    app, slack_api, voting, uow_factory, clock, tick, caplog
):
    close_while_slack_answers_500(app, slack_api, voting, caplog)
    assert "Slack chat.postMessage to D0GRA00005 failed: http_500" in caplog.text
    assert [word for word in (SUBJECT, "Okafor", "Criteria met") if word in caplog.text] == []

    assert case_state(uow_factory) is CaseState.AWAITING_DECISION
    assert accepted(slack_api) == []
    owed = outbox(uow_factory)
    assert owes(owed) == CLOSE_OWES
    assert {r.change_id for r in owed} == set(change_ids(uow_factory, "voting_closed"))
    assert sorted(r.recipient for r in owed if r.kind == "home") == MEMBERS
    waiting, done = owed[:3], owed[3:]
    assert {(r.sent_at, r.attempts, r.last_error) for r in waiting} == {(None, 1, "http_500")}
    assert all(r.uncertain for r in waiting)  # Slack may have posted them: look before posting
    assert {r.next_attempt_at for r in waiting} == {clock.now() + timedelta(seconds=30)}
    assert all(r.sent_at == clock.now() for r in done)  # the card and homes went at once
    [card] = accepted(slack_api, "chat.update")
    assert (card["channel"], card["ts"]) == (CHANNEL_ID, CARD_TS)
    assert "Ben Okafor" in waiting[0].payload  # kept, to be sent, until Slack takes it

    early = tick()  # 30 s have not passed: nothing is retried yet (the day's digests go)
    assert accepted(slack_api) == []
    assert slack_api.calls_to("conversations.history") == []  # nor looked for
    slack_api.reset()
    clock.advance(timedelta(seconds=31))
    first, second = tick(), tick()

    assert (early.sent, early.digests) == (2, 2)  # early: only the two boards' digests
    assert (first.sent, second.sent) == (3, 0)
    # each looked for in its conversation first (not found there), then posted once
    assert [c.args["channel"] for c in slack_api.calls_to("conversations.history")] == [
        dm_channel(GRACE),
        dm_channel(PRIYA),
        CHANNEL_ID,
    ]
    to_grace, to_priya, notice = accepted(slack_api)
    assert [m["channel"] for m in (to_grace, to_priya, notice)] == [
        dm_channel(GRACE),
        dm_channel(PRIYA),
        CHANNEL_ID,
    ]
    assert_every_vote_by_name_with_record_decision(to_grace)
    assert ActionId.RECORD_DECISION not in json.dumps(to_priya)
    assert notice["text"] == (
        f"Voting on {voting} (Child A) has closed: Statutory review, 3 of 4 voted."
    )
    channel_text = json.dumps(notice)
    assert "Okafor" not in channel_text and "Criteria met" not in channel_text
    assert SUBJECT not in json.dumps([c.args for c in slack_api.calls])
    sent = outbox(uow_factory)
    assert all(r.sent_at is not None and r.payload is None for r in sent)
    assert [r.attempts for r in sent[:4]] == [2, 2, 2, 1]


def test_a_close_rate_limited_with_retry_after_is_not_retried_before_that_time(
    app, slack_api, voting, uow_factory, clock, tick
):
    slack_api.fail_next(
        "chat.postMessage", status=429, headers={"Retry-After": "120"}, times=2
    )  # the DM to the decision-maker, and the client's one retry
    click(app, slack_api, ActionId.CLOSE_VOTING, voting, PRIYA)

    to_grace, *others = outbox(uow_factory)
    assert (to_grace.recipient, to_grace.sent_at, to_grace.last_error) == (
        GRACE,
        None,
        "ratelimited",
    )
    assert to_grace.next_attempt_at == clock.now() + timedelta(seconds=120)
    assert all(r.sent_at is not None for r in others)
    assert [m["channel"] for m in accepted(slack_api)] == [dm_channel(PRIYA), CHANNEL_ID]
    slack_api.reset()
    clock.advance(timedelta(seconds=90))  # past the 30 s backoff, not past Retry-After
    too_soon = tick()
    assert accepted(slack_api) == []  # (the day's digests went out on that tick)
    clock.advance(timedelta(seconds=31))
    in_time, again = tick(), tick()

    assert (too_soon.sent, too_soon.digests) == (2, 2)  # only the two boards' digests
    assert (in_time.sent, again.sent) == (1, 0)
    [dm] = accepted(slack_api)
    assert dm["channel"] == dm_channel(GRACE) and "Ben Okafor" in dm["text"]
    assert outbox(uow_factory)[0].attempts == 2


def test_the_same_close_delivered_twice_owes_and_sends_each_message_once(
    app, slack_api, voting, uow_factory, tick, clock
):
    click(app, slack_api, ActionId.CLOSE_VOTING, voting, PRIYA)
    click(app, slack_api, ActionId.CLOSE_VOTING, voting, PRIYA)  # Slack's retry of the click
    clock.advance(timedelta(minutes=5))
    later = tick()
    assert later.sent == later.digests == 2  # the digests: the close's went at once

    assert len(change_ids(uow_factory, "voting_closed")) == 1
    assert owes(outbox(uow_factory)) == CLOSE_OWES
    channels = [m["channel"] for m in accepted(slack_api)]
    assert channels == [dm_channel(GRACE), dm_channel(PRIYA), CHANNEL_ID]
    [card] = accepted(slack_api, "chat.update")
    assert (card["channel"], card["ts"]) == (CHANNEL_ID, CARD_TS)
    assert (
        card["blocks"][0]["text"]["text"]
        == f"*{voting}* · Child A\nSerious Case Review · awaiting a decision"
    )
    assert sorted(c["user_id"] for c in accepted(slack_api, "views.publish")) == MEMBERS
    refusal = slack_api.last("chat.postEphemeral").args
    assert (refusal["user"], refusal["text"].split(",")[0]) == (
        PRIYA,
        "This case is awaiting a decision",
    )


def test_a_vote_reopened_and_closed_again_owes_its_messages_afresh(
    app, slack_api, voting, uow_factory
):
    click(app, slack_api, ActionId.CLOSE_VOTING, voting, PRIYA)
    with uow_factory() as uow:  # as if the decision-maker sent it back for more votes
        case = uow.session.exec(select(CaseRow)).one()
        case.state = CaseState.GATHERING
        uow.commit()
    click(app, slack_api, ActionId.OPEN_VOTING, voting, PRIYA)
    for user in (BEN, PRIYA, ANA):
        vote(app, slack_api, voting, user, rationale="Second round.")
    click(app, slack_api, ActionId.CLOSE_VOTING, voting, PRIYA)

    first, second = change_ids(uow_factory, "voting_closed")
    rows = outbox(uow_factory)
    assert owes([r for r in rows if r.change_id == first]) == CLOSE_OWES
    assert owes([r for r in rows if r.change_id == second]) == CLOSE_OWES
    to_grace = [m for m in accepted(slack_api) if m["channel"] == dm_channel(GRACE)]
    assert len(to_grace) == 2
    assert "Second round." not in json.dumps(to_grace[0])  # each drawn from its own round
    assert "Second round." in json.dumps(to_grace[1])
