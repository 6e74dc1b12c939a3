"""Sending the outbox: each due row leased to one sender, sent once, its outcome kept.

Source: PRODUCT.md §Deadlines and reminders ("not twice when two instances run against one
PostgreSQL database, and not lost if Slack is down or rate-limits"); §Confidentiality (logs, and
a message nobody will read is not kept).
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.domain.boards import ReviewType
from bot.notify.delivery import deliver_due
from bot.notify.kinds import Kind, Owed
from bot.notify.outbox import owe_all
from bot.notify.sender import Sender
from bot.services.cases import ReferCase, refer_case
from bot.slack.client import make_web_client
from bot.slack.gateway import SlackGateway
from store.models import CaseRow, MemberRow, OutboxRow
from tests.fakes.slack_api import dm_channel

pytestmark = pytest.mark.usefixtures("no_sdk_sleep")

SURREY, CHANNEL = "surrey-children", "C0CASEREV01"
BEN, PRIYA, GRACE = "U0BEN00001", "U0PRI00002", "U0GRA00005"
RATIONALE = "Zebedee's school raised it twice."  # stands in for anything private in a payload


def message(n: int) -> dict:
    text = f"Recommendation {n}: {RATIONALE}"
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


@pytest.fixture
def make_gateway(slack_settings):
    """A gateway of its own on the fake, unspaced (as each sender process has one)."""
    return lambda: SlackGateway(
        make_web_client(slack_settings), sleep=lambda s: None, min_interval_per_channel=0
    )


def owe(uow_factory, clock, owed: list[Owed]) -> list[int]:
    """Owe these messages as one change of the Surrey board (an audit event keys them)."""
    with uow_factory() as uow:
        event = uow.audit.append(
            at=clock.now(), actor=PRIYA, action="test", entity="case", board_id=SURREY
        )
        ids = owe_all(uow, owed, board_id=SURREY, now=clock.now(), change_id=event.id)
        uow.commit()
    return ids


def owe_dms(uow_factory, clock, users: list[str], template: str = "recommendation_dm") -> list[int]:
    """Owe each user a DM about the Surrey board, making them a member of it if they are not."""
    with uow_factory() as uow:
        for user in users:
            if uow.members.find(SURREY, user) is None:
                member = MemberRow(
                    board_id=SURREY, slack_id=user, name=f"Member {user}", joined_at=clock.now()
                )
                uow.members.add(member)
        uow.commit()
    owed = [Owed(Kind.DM, template, user, message(n)) for n, user in enumerate(users)]
    return owe(uow_factory, clock, owed)


def rows(uow_factory) -> list[OutboxRow]:
    with uow_factory() as uow:
        return list(uow.session.exec(select(OutboxRow).order_by(OutboxRow.id)))


def deliver(uow_factory, gateway, clock, instance_id: str = "a"):
    return deliver_due(uow_factory, gateway, now=clock.now(), instance_id=instance_id)


def test_a_sent_row_has_its_payload_cleared_and_is_not_sent_again(
    uow_factory, clock, board, slack_api, make_gateway
):
    owe_dms(uow_factory, clock, [GRACE])
    gateway = make_gateway()

    first = deliver(uow_factory, gateway, clock)
    sent_at = clock.now()
    clock.advance(timedelta(hours=2))
    second = deliver(uow_factory, gateway, clock)

    assert (first.sent, first.sent_kinds, second.sent) == (1, ["dm"], 0)
    [call] = slack_api.calls_to("chat.postMessage")
    assert call.args["channel"] == dm_channel(GRACE)
    assert (call.args["text"], call.args["blocks"]) == (message(0)["text"], message(0)["blocks"])
    [row] = rows(uow_factory)
    assert row.payload is None and row.attempts == 1
    assert (row.claimed_by, row.next_attempt_at, row.last_error) == ("a", None, None)
    assert (row.sent_at, row.channel, row.ts) == (sent_at, dm_channel(GRACE), call.response["ts"])


def test_a_permanent_failure_is_not_retried_its_log_names_no_details_and_a_manager_is_told(
    uow_factory, clock, board, slack_api, make_gateway, caplog
):
    owe_dms(uow_factory, clock, ["U0GONE0001"])
    slack_api.fail_next("chat.postMessage", error="user_disabled")
    gateway = make_gateway()

    with caplog.at_level(logging.INFO):
        result = deliver(uow_factory, gateway, clock)
    clock.advance(timedelta(days=1))
    later = deliver(uow_factory, gateway, clock)

    assert (result.failed, later.sent, later.failed) == (1, 1, 0)  # later: the manager's notice
    refused, notice = slack_api.calls_to("chat.postMessage")
    assert refused.args["channel"] == dm_channel("U0GONE0001")
    assert notice.args["channel"] == dm_channel(BEN)
    assert notice.args["text"] == (
        "I could not deliver the recommendation to <@U0GONE0001>. Slack refused it for good "
        "(user_disabled). Please pass it on another way, and check their entry in the board file."
    )
    row, told = rows(uow_factory)
    assert (row.sent_at, row.next_attempt_at, row.last_error) == (None, None, "user_disabled")
    assert row.payload is None  # failed for good: the message is not kept
    assert (told.template, told.about_id, told.recipient) == ("undelivered_notice", row.id, BEN)
    assert told.sent_at is not None and told.payload is None
    assert f"outbox {row.id} (dm) failed for good: user_disabled" in caplog.text
    assert "Zebedee" not in caplog.text + json.dumps(notice.args)
    assert "Recommendation" not in caplog.text + json.dumps(notice.args)


def test_a_dm_to_someone_who_has_left_the_board_is_not_sent_and_the_manager_is_told(
    uow_factory, clock, board, slack_api, make_gateway
):
    owe_dms(uow_factory, clock, [GRACE, PRIYA], template="bm_notice")
    with uow_factory() as uow:  # Grace leaves the board while her DM is still owed
        uow.members.find(SURREY, GRACE).active = False
        uow.commit()
    gateway = make_gateway()

    first = deliver(uow_factory, gateway, clock)
    then = deliver(uow_factory, gateway, clock)

    assert (first.sent, first.failed, then.sent) == (1, 1, 1)  # Priya's; then Ben's notice
    to = [c.args["channel"] for c in slack_api.calls_to("chat.postMessage")]
    assert to == [dm_channel(PRIYA), dm_channel(BEN)]
    opened = [c.args["users"] for c in slack_api.calls_to("conversations.open")]
    assert opened == [PRIYA, BEN]  # Grace was never even looked up
    grace, _, told = rows(uow_factory)
    assert (grace.sent_at, grace.next_attempt_at, grace.last_error) == (None, None, "not_a_member")
    assert grace.payload is None  # a message nobody will read is not kept
    assert (told.about_id, told.recipient) == (grace.id, BEN)
    notice = slack_api.calls_to("chat.postMessage")[-1].args["text"]
    assert notice == (
        f"I could not deliver a message to <@{GRACE}>. They are no longer an active member of "
        "the board, so I did not send it. Please pass it on another way, and check their entry "
        "in the board file."
    )


def test_an_installation_failure_keeps_the_message_owed_and_stops_the_pass(
    uow_factory, clock, board, slack_api, make_gateway
):
    owe_dms(uow_factory, clock, [GRACE, PRIYA])
    slack_api.fail_next("conversations.open", error="token_revoked")

    result = deliver(uow_factory, make_gateway(), clock)

    assert (result.sent, result.deferred, result.failed) == (0, 1, 0)
    held, untouched = rows(uow_factory)
    assert (held.sent_at, held.attempts, held.last_error) == (None, 1, "token_revoked")
    assert held.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert held.payload is not None  # still owed: its message is kept to be sent
    assert (untouched.attempts, untouched.next_attempt_at) == (0, clock.now())
    assert slack_api.calls_to("chat.postMessage") == []
    assert [r.about_id for r in rows(uow_factory)] == [None, None]  # nobody is told: not theirs

    clock.advance(timedelta(seconds=31))
    done = Sender(uow_factory, make_gateway(), clock).drain()  # the token is fixed

    assert done.sent == 2
    to = [c.args["channel"] for c in slack_api.calls_to("chat.postMessage")]
    assert to == [dm_channel(GRACE), dm_channel(PRIYA)]


def test_a_rate_limit_is_retried_no_sooner_than_slack_s_retry_after(
    uow_factory, clock, board, slack_api, make_gateway
):
    owe_dms(uow_factory, clock, [GRACE])
    owed_at = clock.now()
    slack_api.fail_next("chat.postMessage", status=429, headers={"Retry-After": "120"}, times=2)

    first = Sender(uow_factory, make_gateway(), clock).drain()  # the call and the client's retry
    [row] = rows(uow_factory)
    clock.advance(timedelta(seconds=90))  # past the 30 s backoff, not past Retry-After
    too_soon = Sender(uow_factory, make_gateway(), clock).drain()
    clock.advance(timedelta(seconds=31))
    in_time = Sender(uow_factory, make_gateway(), clock).drain()
    again = Sender(uow_factory, make_gateway(), clock).drain()

    assert (row.sent_at, row.attempts, row.last_error) == (None, 1, "ratelimited")
    assert row.next_attempt_at == owed_at + timedelta(seconds=120)
    assert (first.deferred, too_soon.sent, in_time.sent, again.sent) == (1, 0, 1, 0)
    statuses = [c.status for c in slack_api.calls_to("chat.postMessage")]
    assert statuses == [429, 429, 200]
    assert slack_api.last("chat.postMessage").args["text"] == message(0)["text"]
    [sent] = rows(uow_factory)
    assert (sent.attempts, sent.payload, sent.next_attempt_at) == (2, None, None)


def refer_surrey(uow_factory, clock) -> int:
    """Refer a Surrey case through the plain factory (nothing owed: no card) and return its id."""
    cmd = ReferCase(
        board_id=SURREY,
        actor="U0TOM00003",
        review_type=ReviewType.RAPID_REVIEW,
        pseudonym="Child B",
        subject_name="Zebedee Quillfeather",
    )
    with uow_factory() as uow:
        reference = refer_case(cmd, uow=uow, now=clock.now()).case.reference
    with uow_factory() as uow:
        return uow.cases.by_reference(SURREY, reference).id


def card(uow_factory, case_id: int) -> tuple[str | None, str | None]:
    with uow_factory() as uow:
        case = uow.session.get(CaseRow, case_id)
        return case.card_channel, case.card_ts


def test_a_card_post_is_drawn_when_sent_and_remembered_on_the_case(
    uow_factory, clock, board, slack_api, make_gateway
):
    case_id = refer_surrey(uow_factory, clock)
    owe(uow_factory, clock, [Owed(Kind.POST_CARD, "case_card", CHANNEL, None, case_id)])
    assert rows(uow_factory)[0].payload is None  # drawn when sent

    assert deliver(uow_factory, make_gateway(), clock).sent == 1

    [call] = slack_api.calls_to("chat.postMessage")
    assert call.args["channel"] == CHANNEL
    summary = call.args["blocks"][0]["text"]["text"]
    assert summary == "*RR-2026-001* · Child B\nRapid Review · referred"
    assert "Zebedee" not in json.dumps(call.args)
    assert card(uow_factory, case_id) == (CHANNEL, call.response["ts"])
    [row] = rows(uow_factory)
    assert (row.channel, row.ts, row.payload) == (CHANNEL, call.response["ts"], None)


def test_a_card_post_for_a_case_that_has_a_card_sends_nothing(
    uow_factory, clock, board, slack_api, make_gateway
):
    case_id = refer_surrey(uow_factory, clock)
    owe(uow_factory, clock, [Owed(Kind.POST_CARD, "case_card", CHANNEL, None, case_id)])
    deliver(uow_factory, make_gateway(), clock)
    owe(uow_factory, clock, [Owed(Kind.POST_CARD, "case_card", CHANNEL, None, case_id)])

    second = deliver(uow_factory, make_gateway(), clock)

    assert (second.sent, second.skipped) == (0, 1)
    [posted] = slack_api.calls_to("chat.postMessage")
    assert card(uow_factory, case_id) == (CHANNEL, posted.response["ts"])
    first, settled = rows(uow_factory)
    assert first.ts == posted.response["ts"]
    assert (settled.sent_at, settled.last_error) == (clock.now(), "the case has its card")


def test_a_redraw_of_a_case_with_no_card_posts_it_and_later_redraws_update_it(
    uow_factory, clock, board, slack_api, make_gateway
):
    case_id = refer_surrey(uow_factory, clock)
    owe(uow_factory, clock, [Owed(Kind.CARD, "case_card", CHANNEL, None, case_id)])
    deliver(uow_factory, make_gateway(), clock)
    owe(uow_factory, clock, [Owed(Kind.CARD, "case_card", CHANNEL, None, case_id)])
    deliver(uow_factory, make_gateway(), clock)

    [posted] = slack_api.calls_to("chat.postMessage")
    assert posted.args["channel"] == CHANNEL
    assert card(uow_factory, case_id) == (CHANNEL, posted.response["ts"])
    [updated] = slack_api.calls_to("chat.update")
    assert (updated.args["channel"], updated.args["ts"]) == (CHANNEL, posted.response["ts"])
    assert updated.args["blocks"] == posted.args["blocks"]


def test_due_redraws_of_one_card_and_one_home_are_each_settled_by_one_call(
    uow_factory, clock, board, slack_api, make_gateway
):
    case_id = refer_surrey(uow_factory, clock)
    owe(uow_factory, clock, [Owed(Kind.POST_CARD, "case_card", CHANNEL, None, case_id)])
    deliver(uow_factory, make_gateway(), clock)
    for _ in range(3):  # three steps, each owing the card and Ben's home, before a pass
        owe(
            uow_factory,
            clock,
            [Owed(Kind.CARD, "case_card", CHANNEL, None, case_id), Owed(Kind.HOME, "home", BEN)],
        )

    done = deliver(uow_factory, make_gateway(), clock)

    assert (done.sent, sorted(done.sent_kinds)) == (2, ["card", "home"])
    [update] = slack_api.calls_to("chat.update")
    assert update.args["blocks"][0]["text"]["text"].startswith("*RR-2026-001* · Child B")
    [home] = slack_api.calls_to("views.publish")
    assert (home.args["user_id"], home.args["view"]["type"]) == (BEN, "home")
    assert "RR-2026-001" in json.dumps(home.args["view"])
    redraws = [r for r in rows(uow_factory) if r.kind in ("card", "home")]
    assert all(r.sent_at == clock.now() for r in redraws)
    for kind in ("card", "home"):
        [sent] = [r for r in redraws if r.kind == kind and r.last_error is None]
        settled = [r.last_error for r in redraws if r.kind == kind and r is not sent]
        assert settled == [f"drawn with {sent.id}"] * 2


def test_a_card_for_a_case_that_is_gone_is_settled_without_a_call(
    uow_factory, clock, board, slack_api, make_gateway
):
    owe(uow_factory, clock, [Owed(Kind.CARD, "case_card", CHANNEL, None, None)])

    done = deliver(uow_factory, make_gateway(), clock)

    assert (done.sent, done.skipped) == (0, 1)
    assert slack_api.calls == []
    [row] = rows(uow_factory)
    assert (row.sent_at, row.last_error) == (clock.now(), "case no longer exists")


QUIET = {  # kind, template, Slack's error, the calls made, and whom the refused one was for
    "home": (Kind.HOME, "home", "user_not_found", ["views.publish"], ("user_id", GRACE)),
    "ephemeral": (
        Kind.EPHEMERAL, "vote_recorded", "user_not_in_channel", ["chat.postEphemeral"],
        ("user", GRACE),
    ),
    "notice": (
        Kind.DM, "undelivered_notice", "user_disabled", ["conversations.open", "chat.postMessage"],
        ("channel", dm_channel(GRACE)),
    ),
}  # fmt: skip


@pytest.mark.parametrize("quiet", QUIET.values(), ids=QUIET.keys())
def test_a_home_an_ephemeral_or_a_notice_failing_for_good_tells_nobody(
    uow_factory, clock, board, slack_api, make_gateway, quiet
):
    kind, template, error, methods, (arg, to) = quiet
    payload = None if kind is Kind.HOME else {**message(0), "channel": CHANNEL}
    owe(uow_factory, clock, [Owed(kind, template, GRACE, payload)])
    slack_api.fail_next(methods[-1], error=error)

    done = Sender(uow_factory, make_gateway(), clock).drain()

    assert (done.sent, done.failed) == (0, 1)
    assert slack_api.methods() == methods  # tried once, and no notice sent about it
    refused = slack_api.last(methods[-1])
    assert (refused.response["error"], refused.args[arg]) == (error, to)
    [row] = rows(uow_factory)  # nothing owed to anyone about it
    assert (row.template, row.next_attempt_at, row.last_error) == (template, None, error)
    assert row.sent_at is None


def test_two_senders_at_once_send_each_row_once(
    uow_factory, clock, board, slack_api, make_gateway, backend
):
    users = [f"U0PAR{n:05d}" for n in range(12)]
    owe_dms(uow_factory, clock, users)
    start = threading.Barrier(2)
    results = {}

    def run(name: str) -> None:
        sender = Sender(uow_factory, make_gateway(), clock, instance_id=name, batch=100)
        start.wait()
        results[name] = sender.drain()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    posted = [c.args["channel"] for c in slack_api.calls_to("chat.postMessage")]
    assert sorted(posted) == sorted(dm_channel(u) for u in users)  # each once
    assert results["a"].sent + results["b"].sent == len(users)
    sent = rows(uow_factory)
    assert all(r.sent_at is not None and r.payload is None and r.attempts == 1 for r in sent)
    assert {r.claimed_by for r in sent} <= {"a", "b"}
