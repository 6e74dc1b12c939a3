"""The chair's close owes its messages in the outbox: a Slack failure delays them, never loses them.

Source: PRODUCT.md §Voting (the recommendation goes to the decision-maker), §Deadlines and
reminders ("not lost if Slack is down or rate-limits"), §Confidentiality.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.domain.cases import CaseState
from bot.jobs import run_once
from bot.services.cases import SetCaseCard, set_case_card
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from messages.ids import ActionId
from store.models import CaseRow, OutboxRow
from tests.fakes.signing import CHANNEL_ID
from tests.fakes.slack_api import dm_channel
from tests.slack.interactions import ANA, BEN, GRACE, PRIYA, SUBJECT, click, refer
from tests.slack.test_voting import vote

CARD_TS = "1767000000.000100"


pytestmark = pytest.mark.usefixtures("no_sdk_sleep")


@pytest.fixture
def voting(app, slack_api, uow_factory, clock) -> str:
    """A case with a card, voting open, three votes cast; the Slack calls so far forgotten."""
    ref = refer(uow_factory, clock)
    with uow_factory() as uow:
        set_case_card(
            SetCaseCard("surrey-children", ref, CHANNEL_ID, CARD_TS), uow=uow, now=clock.now()
        )
    click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)
    vote(app, slack_api, ref, BEN, rationale="Criteria met.")
    vote(app, slack_api, ref, PRIYA, rationale="Serious harm, agencies involved.")
    vote(app, slack_api, ref, ANA, ActionId.VOTE_NFA, "Already learned from.")
    slack_api.reset()
    return ref


@pytest.fixture
def tick(uow_factory, slack_settings, clock):
    """Run one scheduler tick with a gateway of its own on the fake (as ``casedesk run`` does)."""
    gateway = SlackGateway(
        make_web_client(slack_settings), sleep=lambda s: None, min_interval_per_channel=0
    )
    return lambda: run_once(uow_factory=uow_factory, gateway=gateway, clock=clock, instance_id="t")


def outbox(uow_factory, prefix: str = "voting_closed:") -> list[OutboxRow]:
    """Return the rows owed so far whose key starts with ``prefix`` (by default, the closes')."""
    with uow_factory() as uow:
        rows = uow.session.exec(select(OutboxRow).order_by(OutboxRow.id))
        return [r for r in rows if r.dedupe_key.startswith(prefix)]


def accepted(slack_api, method: str = "chat.postMessage") -> list[dict]:
    return [c.args for c in slack_api.calls_to(method) if c.status == 200 and c.response["ok"]]


def case_state(uow_factory) -> CaseState:
    with uow_factory() as uow:
        return uow.session.exec(select(CaseRow)).one().state


def test_a_close_slack_answers_500_is_kept_and_a_later_tick_sends_each_message_once(
    app, slack_api, voting, uow_factory, clock, tick, caplog
):
    slack_api.fail_next("chat.postMessage", status=500, times=6)  # 3 messages, each retried once
    with caplog.at_level(logging.INFO):  # slack_sdk bodies (DEBUG) are floored by bot.logs
        click(app, slack_api, ActionId.CLOSE_VOTING, voting, PRIYA)
    assert "chat.postMessage to D0GRA00005 failed: http_500" in caplog.text
    assert [word for word in (SUBJECT, "Okafor", "Criteria met") if word in caplog.text] == []

    assert case_state(uow_factory) is CaseState.AWAITING_DECISION
    assert accepted(slack_api) == []
    owed = outbox(uow_factory)
    assert [(r.kind, r.recipient, r.sent_at is None) for r in owed] == [
        ("dm", GRACE, True),
        ("dm", PRIYA, True),
        ("channel", CHANNEL_ID, True),
        ("card", CHANNEL_ID, False),  # chat.update went through at once
    ]
    assert [r.dedupe_key for r in owed][:3] == [
        f"voting_closed:{owed[0].case_id}:1:dm:{GRACE}",
        f"voting_closed:{owed[0].case_id}:1:dm:{PRIYA}",
        f"voting_closed:{owed[0].case_id}:1:notice",
    ]
    assert {(r.attempts, r.last_error) for r in owed[:3]} == {(1, "http_500")}
    assert {r.next_attempt_at for r in owed[:3]} == {clock.now() + timedelta(seconds=30)}
    assert "Ben Okafor" in owed[0].payload  # kept, to be sent, until Slack takes it

    early = tick()  # 30 s have not passed: nothing is retried yet (the day's digests go)
    assert all(m["text"].startswith("Deadlines for") for m in accepted(slack_api))
    slack_api.reset()
    clock.advance(timedelta(seconds=31))
    first, second = tick(), tick()

    assert (early.delivered, first.delivered, second.delivered) == (0, 3, 0)
    to_grace, to_priya, notice = accepted(slack_api)
    assert [m["channel"] for m in (to_grace, to_priya, notice)] == [
        dm_channel(GRACE),
        dm_channel(PRIYA),
        CHANNEL_ID,
    ]
    sections = [b["text"]["text"] for b in to_grace["blocks"] if b["type"] == "section"]
    assert sections[1:4] == [
        "*Ben Okafor* (Surrey County Council): Statutory review\nCriteria met.",
        "*Priya Raman* (Surrey Police): Statutory review\nSerious harm, agencies involved.",
        "*Ana Kowalski* (Surrey County Council Children's Services): No further action "
        "(dissent)\nAlready learned from.",
    ]
    assert to_grace["blocks"][-1]["elements"][0]["action_id"] == ActionId.RECORD_DECISION
    assert ActionId.RECORD_DECISION not in json.dumps(to_priya)
    assert notice["text"] == (
        f"Voting on {voting} (Child A) has closed: Statutory review, 3 of 4 voted."
    )
    channel_text = json.dumps(notice)
    assert "Okafor" not in channel_text and "Criteria met" not in channel_text
    assert SUBJECT not in json.dumps([c.args for c in slack_api.calls])
    sent = outbox(uow_factory)
    assert all(r.sent_at is not None and r.payload is None for r in sent)
    assert [r.attempts for r in sent] == [2, 2, 2, 1]


def test_a_close_rate_limited_with_retry_after_is_not_retried_before_that_time(
    app, slack_api, voting, uow_factory, clock, tick
):
    slack_api.fail_next(
        "chat.postMessage", status=429, headers={"Retry-After": "120"}, times=2
    )  # the DM to the decision-maker, and the client's one retry
    click(app, slack_api, ActionId.CLOSE_VOTING, voting, PRIYA)

    [to_grace, *others] = outbox(uow_factory)
    assert (to_grace.recipient, to_grace.sent_at, to_grace.last_error) == (
        GRACE,
        None,
        "ratelimited",
    )
    assert to_grace.next_attempt_at == clock.now() + timedelta(seconds=120)
    assert all(r.sent_at is not None for r in others)
    clock.advance(timedelta(seconds=90))  # past the 30 s backoff, not past Retry-After
    too_soon = tick()
    slack_api.reset()  # the day's digests went out on that tick
    clock.advance(timedelta(seconds=31))
    in_time, again = tick(), tick()

    assert (too_soon.delivered, in_time.delivered, again.delivered) == (0, 1, 0)
    [dm] = accepted(slack_api)
    assert dm["channel"] == dm_channel(GRACE) and "Ben Okafor" in dm["text"]


def test_the_same_close_delivered_twice_owes_and_sends_each_message_once(
    app, slack_api, voting, uow_factory, tick, clock
):
    click(app, slack_api, ActionId.CLOSE_VOTING, voting, PRIYA)
    click(app, slack_api, ActionId.CLOSE_VOTING, voting, PRIYA)  # Slack's retry of the click
    clock.advance(timedelta(minutes=5))
    assert tick().delivered == 0  # all went at once; nothing more is owed

    assert len(outbox(uow_factory)) == 4
    channels = [m["channel"] for m in accepted(slack_api) if "Deadlines for" not in m["text"]]
    assert channels == [dm_channel(GRACE), dm_channel(PRIYA), CHANNEL_ID]
    [card] = accepted(slack_api, "chat.update")
    assert (card["channel"], card["ts"]) == (CHANNEL_ID, CARD_TS)
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

    keys = [r.dedupe_key.split(":", 2)[2] for r in outbox(uow_factory)]
    assert keys == [
        f"1:dm:{GRACE}",
        f"1:dm:{PRIYA}",
        "1:notice",
        "1:card",
        f"2:dm:{GRACE}",
        f"2:dm:{PRIYA}",
        "2:notice",
        "2:card",
    ]
    assert [m["channel"] for m in accepted(slack_api)].count(dm_channel(GRACE)) == 2
