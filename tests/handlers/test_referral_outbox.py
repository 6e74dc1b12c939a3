"""A referral owes its card and messages in the outbox: a Slack failure never loses them.

The card, the referrer's reference and the business managers' notice are owed with the case, in
its transaction; Slack refusing one (the bot not in the channel, a 500, a manager who has left
Slack) neither fails the referral nor holds up the others, and the referrer is never led to
refer again. Source: PRODUCT.md §Users and what each does (the referrer "gets the reference
number back"), §Deadlines and reminders ("not lost if Slack is down"), §Confidentiality.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.domain.boards import Role
from bot.notify.sender import Sender
from bot.slack.client import make_web_client
from bot.slack.gateway import SlackGateway
from messages.ids import ActionId, BlockId
from store.models import AuditEventRow, CaseRow, MemberRoleRow, OutboxRow
from tests.fakes.signing import CHANNEL_ID
from tests.fakes.slack_api import dm_channel
from tests.handlers.interactions import BEN, PRIYA, TOM, body_of, opened_view, submit
from tests.handlers.test_referral import command, form, refer

pytestmark = pytest.mark.usefixtures("no_sdk_sleep")

ACK = "Referred: RR-2026-001 (Child B), a Rapid Review."
NOTICE = "New referral RR-2026-001 (Child B), a Rapid Review, from <@U0TOM00003>."
IDENTIFYING = ("Zebedee", "Quillfeather", "Larkspur", "2019-05-04", "Injuries noticed")
SUMMARY = "*RR-2026-001* · Child B\nRapid Review · referred"


@pytest.fixture
def later(uow_factory, slack_settings, clock):
    """Send what is due now, as the sender's next pass would: a process with its own gateway."""
    gateway = SlackGateway(
        make_web_client(slack_settings), sleep=lambda s: None, min_interval_per_channel=0
    )
    return lambda: Sender(uow_factory, gateway, clock, instance_id="later").drain()


def the_case(uow_factory) -> CaseRow:
    with uow_factory() as uow:
        [case] = uow.session.exec(select(CaseRow)).all()
        return case


def outbox(uow_factory) -> list[OutboxRow]:
    with uow_factory() as uow:
        return list(uow.session.exec(select(OutboxRow).order_by(OutboxRow.id)))


def referral_event_id(uow_factory) -> int:
    with uow_factory() as uow:
        query = select(AuditEventRow.id).where(AuditEventRow.action == "case_referred")
        return uow.session.exec(query).one()


def messages(uow_factory) -> list[tuple[str, str, str]]:
    """The referral's own rows (not the homes): (kind, template, recipient), in order."""
    return [(r.kind, r.template, r.recipient) for r in outbox(uow_factory) if r.kind != "home"]


def accepted(slack_api, channel: str) -> list[dict]:
    """The messages Slack took in ``channel`` (a DM channel or the board's)."""
    return [
        c.args
        for c in slack_api.calls_to("chat.postMessage")
        if c.status == 200 and c.response["ok"] and c.args["channel"] == channel
    ]


def cards(slack_api) -> list[dict]:
    """The case cards Slack took in the board's channel."""
    return [
        m
        for m in accepted(slack_api, CHANNEL_ID)
        if m["blocks"][0]["block_id"] == BlockId.CASE_SUMMARY
    ]


def card_ts(slack_api) -> str:
    """The ts Slack gave the one card it took."""
    [call] = [
        c
        for c in slack_api.calls_to("chat.postMessage")
        if c.args["channel"] == CHANNEL_ID and c.response.get("ok")
    ]
    return call.response["ts"]


def make_business_manager(uow_factory, slack_id: str) -> None:
    with uow_factory() as uow:
        member = uow.members.find("surrey-children", slack_id)
        uow.session.add(MemberRoleRow(member_id=member.id, role=Role.BUSINESS_MANAGER))
        uow.commit()


def test_a_card_slack_refuses_with_a_500_is_owed_and_posted_by_a_later_pass(
    app, slack_api, uow_factory, clock, later, caplog
):
    # once: the client does not resend a post Slack may have taken
    slack_api.fail_next("chat.postMessage", status=500, when={"channel": CHANNEL_ID})
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
    assert messages(uow_factory) == [
        ("post_card", "case_card", CHANNEL_ID),
        ("dm", "referral_ack", TOM),
        ("dm", "bm_notice", BEN),
    ]
    card_row, *dms = [r for r in outbox(uow_factory) if r.kind != "home"]
    assert {r.change_id for r in (card_row, *dms)} == {referral_event_id(uow_factory)}
    assert (card_row.sent_at, card_row.attempts, card_row.last_error) == (None, 1, "http_500")
    assert card_row.uncertain  # Slack may have posted it: looked for before it is posted again
    assert card_row.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert [(r.sent_at, r.payload) for r in dms] == [(clock.now(), None)] * 2

    assert later().sent == 0  # not yet due
    assert slack_api.calls_to("conversations.history") == []
    clock.advance(timedelta(seconds=31))
    assert later().sent == 1
    [lookup] = slack_api.calls_to("conversations.history")  # not found there: posted
    assert lookup.args["channel"] == CHANNEL_ID
    [card] = cards(slack_api)
    assert card["blocks"][0]["text"]["text"] == SUMMARY
    assert "working days left" in json.dumps(card["blocks"])
    chair = card["blocks"][-1]["elements"][0]
    assert (chair["action_id"], chair["value"]) == (ActionId.OPEN_VOTING, "RR-2026-001")
    case = the_case(uow_factory)
    assert (case.card_channel, case.card_ts) == (CHANNEL_ID, card_ts(slack_api))

    clock.advance(timedelta(minutes=5))
    assert later().sent == 0
    assert len(cards(slack_api)) == 1
    assert not any(word in caplog.text for word in IDENTIFYING)
    assert not any(
        word in r.payload for r in outbox(uow_factory) if r.payload for word in IDENTIFYING
    )


def test_a_card_the_bot_may_not_post_tells_the_business_manager_and_the_referral_stands(
    app, slack_api, uow_factory, clock, later
):
    slack_api.fail_next("chat.postMessage", error="not_in_channel", when={"channel": CHANNEL_ID})
    refer(app, slack_api)

    case = the_case(uow_factory)
    assert (case.reference, case.card_ts) == ("RR-2026-001", None)
    assert [m["text"] for m in accepted(slack_api, dm_channel(TOM))] == [ACK]
    ack, told = accepted(slack_api, dm_channel(BEN))  # the notice, then what Slack refused
    assert ack["text"] == NOTICE
    assert told["text"] == (
        f"I could not deliver the case card update in <#{CHANNEL_ID}> on RR-2026-001 (Child B). "
        "Slack refused it for good (not_in_channel). `/review status RR-2026-001` shows the "
        "current state."
    )
    assert not any(word in json.dumps(told) for word in IDENTIFYING)
    card_row = outbox(uow_factory)[0]
    assert (card_row.kind, card_row.sent_at, card_row.next_attempt_at, card_row.last_error) == (
        "post_card",
        None,
        None,
        "not_in_channel",
    )
    [notice] = [r for r in outbox(uow_factory) if r.about_id is not None]
    assert (notice.about_id, notice.template, notice.recipient) == (
        card_row.id,
        "undelivered_notice",
        BEN,
    )
    assert notice.sent_at is not None

    clock.advance(timedelta(hours=1))
    assert later().sent == 0  # failed for good: never retried, and told once
    assert len(accepted(slack_api, dm_channel(BEN))) == 2


def test_a_card_never_posted_is_posted_by_the_next_step_once_the_bot_may_post(
    app, slack_api, uow_factory, clock, later
):
    slack_api.fail_next("chat.postMessage", error="not_in_channel", when={"channel": CHANNEL_ID})
    refer(app, slack_api)
    assert cards(slack_api) == []
    # The bot is invited to the channel; the chair opens voting by command (there is no card).
    command(app, slack_api, "open RR-2026-001", PRIYA)

    [card] = cards(slack_api)
    case = the_case(uow_factory)
    assert (case.card_channel, case.card_ts) == (CHANNEL_ID, card_ts(slack_api))
    assert (
        card["blocks"][0]["text"]["text"]
        == "*RR-2026-001* · Child B\nRapid Review · open for votes"
    )
    actions = json.dumps(card["blocks"])
    assert ActionId.DECLARE_CONFLICT.value in actions  # drawn now: voting is open
    assert ActionId.OPEN_VOTING.value not in actions
    assert not any(word in json.dumps(card) for word in IDENTIFYING)
    [redraw] = [r for r in outbox(uow_factory) if r.kind == "card"]
    assert (redraw.channel, redraw.ts) == (CHANNEL_ID, case.card_ts)

    clock.advance(timedelta(minutes=5))
    assert later().sent == 0
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
    notice, told = accepted(slack_api, dm_channel(PRIYA))
    assert notice["text"] == NOTICE
    assert told["text"] == (
        f"I could not deliver a message to <@{BEN}> on RR-2026-001 (Child B). Slack refused it "
        "for good (user_not_found). Please pass it on another way, and check their entry in the "
        "board file."
    )
    assert accepted(slack_api, dm_channel(BEN)) == []
    rows = {(r.template, r.recipient): r for r in outbox(uow_factory)}
    refused = rows["bm_notice", BEN]
    assert (refused.sent_at, refused.next_attempt_at, refused.last_error) == (
        None,
        None,
        "user_not_found",
    )
    assert rows["bm_notice", PRIYA].sent_at is not None
    assert rows["referral_ack", TOM].sent_at is not None
    assert rows["undelivered_notice", PRIYA].about_id == refused.id


def test_a_redelivered_submission_owes_nothing_twice_and_one_card_is_posted(
    app, slack_api, uow_factory, clock, later
):
    command(app, slack_api, "refer", TOM)
    opened = opened_view(slack_api)
    # once: the client does not resend a post Slack may have taken
    slack_api.fail_next("chat.postMessage", status=500, when={"channel": CHANNEL_ID})
    first = submit(app, opened, form(), TOM)
    again = submit(app, opened, form(), TOM)  # Slack delivers the submission again
    assert body_of(again) == body_of(first)  # the same reference shown both times
    assert body_of(again)["response_action"] == "update"

    owed = outbox(uow_factory)
    assert messages(uow_factory) == [
        ("post_card", "case_card", CHANNEL_ID),
        ("dm", "referral_ack", TOM),
        ("dm", "bm_notice", BEN),
    ]
    assert sorted(r.recipient for r in owed if r.kind == "home") == [BEN, TOM]
    assert [m["text"] for m in accepted(slack_api, dm_channel(TOM))] == [ACK]
    assert [m["text"] for m in accepted(slack_api, dm_channel(BEN))] == [NOTICE]

    clock.advance(timedelta(seconds=31))
    assert later().sent == 1
    submit(app, opened, form(), TOM)  # and once more, after the card went out
    clock.advance(timedelta(minutes=5))
    assert later().sent == 0
    assert len(cards(slack_api)) == 1
    # the 500 left the one card row uncertain: looked for once, before its one post
    [lookup] = slack_api.calls_to("conversations.history")
    assert lookup.args["channel"] == CHANNEL_ID
    assert len(outbox(uow_factory)) == len(owed)
    assert the_case(uow_factory).card_ts == card_ts(slack_api)
