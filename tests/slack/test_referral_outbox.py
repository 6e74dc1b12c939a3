"""A referral owes its card and messages in the outbox: a Slack failure never loses them.

The card, the referrer's reference and the business managers' notice are written with the case;
Slack refusing one (the bot not in the channel, a 500, a manager who has left Slack) neither
fails the referral nor holds up the others, and the referrer is never led to refer again.
Source: PRODUCT.md §Users and what each does (the referrer "gets the reference number back"),
§Deadlines and reminders ("not lost if Slack is down"), §Confidentiality.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.jobs import run_once
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from messages.ids import ActionId, BlockId
from store.models import CaseRow, MemberRoleRow, MemberRow, OutboxRow
from tests.fakes.signing import CHANNEL_ID
from tests.fakes.slack_api import dm_channel
from tests.slack.interactions import BEN, PRIYA, TOM, body_of, opened_view, submit
from tests.slack.test_referral import command, form, refer

pytestmark = pytest.mark.usefixtures("no_sdk_sleep")

ACK = "Referred: RR-2026-001 (Child B), a Rapid Review."
NOTICE = "New referral RR-2026-001 (Child B), a Rapid Review, from <@U0TOM00003>."
IDENTIFYING = ("Zebedee", "Quillfeather", "Larkspur", "2019-05-04", "Injuries noticed")


@pytest.fixture
def tick(uow_factory, slack_settings, clock):
    """Run one scheduler tick with a gateway of its own on the fake (as ``casedesk run`` does)."""
    gateway = SlackGateway(
        make_web_client(slack_settings), sleep=lambda s: None, min_interval_per_channel=0
    )
    return lambda: run_once(uow_factory=uow_factory, gateway=gateway, clock=clock, instance_id="t")


def the_case(uow_factory) -> CaseRow:
    with uow_factory() as uow:
        [case] = uow.session.exec(select(CaseRow)).all()
        return case


def outbox(uow_factory) -> list[OutboxRow]:
    with uow_factory() as uow:
        return list(uow.session.exec(select(OutboxRow).order_by(OutboxRow.id)))


def accepted(slack_api, channel: str) -> list[dict]:
    """The messages Slack took in ``channel`` (a DM channel or the board's)."""
    return [
        c.args
        for c in slack_api.calls_to("chat.postMessage")
        if c.status == 200 and c.response["ok"] and c.args["channel"] == channel
    ]


def is_card(args: dict) -> bool:
    """Whether a channel message is a case card (the channel gets the daily digest too)."""
    return (
        args["channel"] == CHANNEL_ID and args["blocks"][0].get("block_id") == BlockId.CASE_SUMMARY
    )


def cards(slack_api) -> list[dict]:
    """The case cards Slack took."""
    return [m for m in accepted(slack_api, CHANNEL_ID) if is_card(m)]


def card_ts(slack_api) -> str:
    """The ts Slack gave the one card it took."""
    [call] = [
        c
        for c in slack_api.calls_to("chat.postMessage")
        if is_card(c.args) and c.response.get("ok")
    ]
    return call.response["ts"]


def make_business_manager(uow_factory, slack_id: str) -> None:
    with uow_factory() as uow:
        member = uow.session.exec(
            select(MemberRow).where(
                MemberRow.board_id == "surrey-children", MemberRow.slack_id == slack_id
            )
        ).one()
        uow.session.add(MemberRoleRow(member_id=member.id, role="business_manager"))
        uow.commit()


def test_a_card_slack_refuses_with_a_500_is_owed_and_posted_on_a_later_tick(
    app, slack_api, uow_factory, clock, tick, caplog
):
    slack_api.fail_next("chat.postMessage", status=500, times=2, when={"channel": CHANNEL_ID})
    with caplog.at_level(logging.INFO):
        response = refer(app, slack_api)

    case = the_case(uow_factory)  # referred once, and the referrer was not told it failed
    assert body_of(response)["view"]["blocks"][0]["text"]["text"].startswith(
        ":white_check_mark: Referred. The reference is *RR-2026-001* (Child B)"
    )
    assert (case.reference, case.card_channel, case.card_ts) == ("RR-2026-001", None, None)
    assert [m["text"] for m in accepted(slack_api, dm_channel(TOM))] == [ACK]
    assert [m["text"] for m in accepted(slack_api, dm_channel(BEN))] == [NOTICE]
    assert cards(slack_api) == []
    card_row, *dms = outbox(uow_factory)
    assert (card_row.kind, card_row.recipient, card_row.dedupe_key) == (
        "post_card",
        CHANNEL_ID,
        f"referred:{case.id}:card",
    )
    assert (card_row.sent_at, card_row.attempts, card_row.last_error) == (None, 1, "http_500")
    assert card_row.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert [(r.dedupe_key, r.sent_at is not None) for r in dms] == [
        (f"referred:{case.id}:ack", True),
        (f"referred:{case.id}:bm:{BEN}", True),
    ]

    clock.advance(timedelta(seconds=31))
    assert tick().delivered == 1
    [card] = cards(slack_api)
    assert card["blocks"][0]["text"]["text"] == "*RR-2026-001* · Child B\nRapid Review · referred"
    assert "working days left" in json.dumps(card["blocks"])
    chair = card["blocks"][-1]["elements"][0]
    assert (chair["action_id"], chair["value"]) == (ActionId.OPEN_VOTING, "RR-2026-001")
    case = the_case(uow_factory)
    assert (case.card_channel, case.card_ts) == (CHANNEL_ID, card_ts(slack_api))

    clock.advance(timedelta(minutes=5))
    assert tick().delivered == 0
    assert len(cards(slack_api)) == 1
    assert not any(word in caplog.text for word in IDENTIFYING)
    assert not any(
        word in r.payload for r in outbox(uow_factory) if r.payload for word in IDENTIFYING
    )


def test_a_card_the_bot_may_not_post_tells_the_business_manager_and_the_referral_stands(
    app, slack_api, uow_factory, clock, tick
):
    slack_api.fail_next("chat.postMessage", error="not_in_channel", when={"channel": CHANNEL_ID})
    refer(app, slack_api)

    case = the_case(uow_factory)
    assert case.card_ts is None
    assert [m["text"] for m in accepted(slack_api, dm_channel(TOM))] == [ACK]
    assert [m["text"] for m in accepted(slack_api, dm_channel(BEN))] == [NOTICE]
    card_row = outbox(uow_factory)[0]
    assert (card_row.kind, card_row.sent_at, card_row.next_attempt_at, card_row.last_error) == (
        "post_card",
        None,
        None,
        "not_in_channel",
    )

    assert tick().delivered == 1  # the business manager is told the card was not posted
    told = accepted(slack_api, dm_channel(BEN))[-1]
    assert "RR-2026-001" in told["text"] and "not_in_channel" in json.dumps(told["blocks"])
    assert not any(word in json.dumps(told) for word in IDENTIFYING)


def test_a_card_never_posted_is_posted_by_the_next_step_once_the_bot_may_post(
    app, slack_api, uow_factory, clock, tick
):
    slack_api.fail_next("chat.postMessage", error="not_in_channel", when={"channel": CHANNEL_ID})
    refer(app, slack_api)
    assert cards(slack_api) == []
    # The bot is invited to the channel; the chair opens voting by command (there is no card).
    command(app, slack_api, "open RR-2026-001", PRIYA)
    tick()

    [card] = cards(slack_api)
    case = the_case(uow_factory)
    assert (case.card_channel, case.card_ts) == (CHANNEL_ID, card_ts(slack_api))
    actions = json.dumps(card["blocks"])
    assert ActionId.DECLARE_CONFLICT.value in actions  # drawn now: voting is open
    assert ActionId.OPEN_VOTING.value not in actions
    assert not any(word in json.dumps(card) for word in IDENTIFYING)
    tick()
    assert len(cards(slack_api)) == 1 and slack_api.calls_to("chat.update") == []


def test_a_business_manager_slack_no_longer_knows_does_not_stop_the_others_being_told(
    app, slack_api, uow_factory, clock
):
    make_business_manager(uow_factory, PRIYA)
    slack_api.fail_next("conversations.open", error="user_not_found", when={"users": BEN})
    response = refer(app, slack_api)

    case = the_case(uow_factory)
    assert (case.card_channel, case.card_ts) == (CHANNEL_ID, card_ts(slack_api))
    assert "*RR-2026-001*" in json.dumps(body_of(response)["view"])
    assert [m["text"] for m in accepted(slack_api, dm_channel(TOM))] == [ACK]
    assert [m["text"] for m in accepted(slack_api, dm_channel(PRIYA))] == [NOTICE]
    assert accepted(slack_api, dm_channel(BEN)) == []
    rows = {r.dedupe_key: r for r in outbox(uow_factory)}
    refused = rows[f"referred:{case.id}:bm:{BEN}"]
    assert (refused.sent_at, refused.next_attempt_at, refused.last_error) == (
        None,
        None,
        "user_not_found",
    )
    assert rows[f"referred:{case.id}:bm:{PRIYA}"].sent_at is not None
    assert rows[f"referred:{case.id}:ack"].sent_at is not None


def test_a_redelivered_submission_owes_nothing_twice_and_one_card_is_posted(
    app, slack_api, uow_factory, clock, tick
):
    command(app, slack_api, "refer", TOM)
    opened = opened_view(slack_api)
    slack_api.fail_next("chat.postMessage", status=500, times=2, when={"channel": CHANNEL_ID})
    first = submit(app, opened, form(), TOM)
    again = submit(app, opened, form(), TOM)  # Slack delivers the submission again
    assert body_of(again) == body_of(first)  # the same reference shown both times
    assert body_of(again)["response_action"] == "update"

    case = the_case(uow_factory)
    keys = [r.dedupe_key for r in outbox(uow_factory)]
    assert keys == [f"referred:{case.id}:{k}" for k in ("card", "ack", f"bm:{BEN}")]
    assert [m["text"] for m in accepted(slack_api, dm_channel(TOM))] == [ACK]
    assert [m["text"] for m in accepted(slack_api, dm_channel(BEN))] == [NOTICE]

    clock.advance(timedelta(seconds=31))
    assert tick().delivered == 1
    submit(app, opened, form(), TOM)  # and once more, after the card went out
    clock.advance(timedelta(minutes=5))
    assert tick().delivered == 0
    assert len(cards(slack_api)) == 1
    assert len(outbox(uow_factory)) == 3
    assert the_case(uow_factory).card_ts == card_ts(slack_api)
