"""The outbox: owed once per key, sent once per row however many deliverers, payload cleared.

Source: PRODUCT.md §Deadlines and reminders ("not twice when two instances run against one
PostgreSQL database, and not lost if Slack is down or rate-limits"); §Confidentiality (logs).
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.domain.boards import ReviewType
from bot.outbox import CARD, DM, POST_CARD, deliver, owe
from bot.services.cases import ReferCase, refer_case
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from store.models import CaseRow, MemberRow, OutboxRow
from tests.fakes.slack_api import dm_channel

SURREY = "surrey-children"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
RATIONALE = "Zebedee's school raised it twice."  # stands in for anything private in a payload


def message(n: int) -> dict:
    text = f"Recommendation {n}: {RATIONALE}"
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


@pytest.fixture
def make_gateway(slack_settings):
    return lambda: SlackGateway(
        make_web_client(slack_settings), sleep=lambda s: None, min_interval_per_channel=0
    )


def owe_dms(uow_factory, clock, users: list[str]) -> list[int]:
    """Owe each user a DM about the Surrey board, making them a member of it if they are not."""
    with uow_factory() as uow:
        for user in users:
            if uow.members.find(SURREY, user) is None:
                uow.members.add(
                    MemberRow(board_id=SURREY, slack_id=user, name=f"Member {user}", joined_at=NOW)
                )
        ids = [
            owe(
                uow,
                board_id=SURREY,
                case_id=None,
                key=f"test:dm:{user}",
                kind=DM,
                recipient=user,
                now=clock.now(),
                message=message(n),
            )
            for n, user in enumerate(users)
        ]
        uow.commit()
    return ids


def rows(uow_factory) -> list[OutboxRow]:
    with uow_factory() as uow:
        return list(uow.session.exec(select(OutboxRow).order_by(OutboxRow.id)))


def test_owing_the_same_key_twice_owes_it_once(uow_factory, clock, board):
    first = owe_dms(uow_factory, clock, ["U0GRA00005"])
    again = owe_dms(uow_factory, clock, ["U0GRA00005"])

    assert first[0] is not None and again == [None]
    [row] = rows(uow_factory)
    assert (row.dedupe_key, row.kind, row.recipient, row.attempts) == (
        "test:dm:U0GRA00005",
        "dm",
        "U0GRA00005",
        0,
    )
    assert json.loads(row.payload) == message(0)
    assert row.next_attempt_at == row.created_at == clock.now()


def test_a_sent_row_has_its_payload_cleared_and_is_not_sent_again(
    uow_factory, clock, board, slack_api, make_gateway
):
    owe_dms(uow_factory, clock, ["U0GRA00005"])
    gateway = make_gateway()

    first = deliver(uow_factory, gateway, now=clock.now(), instance_id="a")
    clock.advance(timedelta(hours=2))
    second = deliver(uow_factory, gateway, now=clock.now(), instance_id="a")

    assert (first.sent, second.sent) == (1, 0)
    [call] = slack_api.calls_to("chat.postMessage")
    assert call.args["channel"] == dm_channel("U0GRA00005")
    assert call.args["text"] == message(0)["text"]
    [row] = rows(uow_factory)
    assert row.payload is None and row.sent_at is not None and row.attempts == 1
    assert (row.claimed_by, row.next_attempt_at, row.last_error) == ("a", None, None)


def test_a_permanent_failure_is_not_retried_and_its_log_names_no_details(
    uow_factory, clock, board, slack_api, make_gateway, caplog
):
    owe_dms(uow_factory, clock, ["U0GONE0001"])
    slack_api.fail_next("chat.postMessage", error="user_disabled")
    gateway = make_gateway()

    with caplog.at_level(logging.INFO):
        result = deliver(uow_factory, gateway, now=clock.now())
    clock.advance(timedelta(days=1))
    later = deliver(uow_factory, gateway, now=clock.now())

    assert (result.failed, later.sent, later.failed) == (1, 1, 0)  # later: the manager's notice
    refused, notice = slack_api.calls_to("chat.postMessage")
    assert refused.args["channel"] == dm_channel("U0GONE0001")
    assert notice.args["channel"] == dm_channel("U0BEN00001")
    assert "Zebedee" not in notice.args["text"] and "Recommendation" not in notice.args["text"]
    row, told = rows(uow_factory)
    assert (row.sent_at, row.next_attempt_at, row.last_error) == (None, None, "user_disabled")
    assert row.payload is None  # failed for good: the message is not kept
    assert told.dedupe_key == f"undelivered:outbox:{row.id}:U0BEN00001"
    assert f"outbox {row.id} (dm) failed for good: user_disabled" in caplog.text
    assert "Zebedee" not in caplog.text and "Recommendation" not in caplog.text


def test_a_dm_to_someone_who_has_left_the_board_is_not_sent_and_the_manager_is_told(
    uow_factory, clock, board, slack_api, make_gateway
):
    owe_dms(uow_factory, clock, ["U0GRA00005", "U0PRI00002"])
    with uow_factory() as uow:  # Grace leaves the board while her DM is still owed
        uow.members.find(SURREY, "U0GRA00005").active = False
        uow.commit()
    gateway = make_gateway()

    first = deliver(uow_factory, gateway, now=clock.now())
    then = deliver(uow_factory, gateway, now=clock.now())

    assert (first.sent, first.failed, then.sent) == (1, 1, 1)  # Priya's; then Ben's notice
    to = [c.args["channel"] for c in slack_api.calls_to("chat.postMessage")]
    assert to == [dm_channel("U0PRI00002"), dm_channel("U0BEN00001")]
    assert [c.args["users"] for c in slack_api.calls_to("conversations.open")] == [
        "U0PRI00002",
        "U0BEN00001",
    ]  # Grace was never even looked up
    grace, _, told = rows(uow_factory)
    assert (grace.sent_at, grace.next_attempt_at, grace.last_error) == (None, None, "not_a_member")
    assert grace.payload is None  # a message nobody will read is not kept
    assert told.recipient == "U0BEN00001"
    notice = slack_api.calls_to("chat.postMessage")[-1].args["text"]
    assert notice == (
        "I could not deliver a message to <@U0GRA00005>. They are no longer an active member of "
        "the board, so I did not send it. Please pass it on another way, and check their entry "
        "in the board file."
    )
    assert "Zebedee" not in notice


def test_an_installation_failure_keeps_the_message_owed_and_stops_the_pass(
    uow_factory, clock, board, slack_api, make_gateway
):
    owe_dms(uow_factory, clock, ["U0GRA00005", "U0PRI00002"])
    slack_api.fail_next("conversations.open", error="token_revoked")

    result = deliver(uow_factory, make_gateway(), now=clock.now())

    assert (result.sent, result.deferred, result.failed) == (0, 1, 0)
    held, untouched = rows(uow_factory)
    assert (held.last_error, held.next_attempt_at) == (
        "token_revoked",
        clock.now() + timedelta(seconds=30),
    )
    assert (untouched.attempts, untouched.next_attempt_at) == (0, clock.now())
    assert slack_api.calls_to("chat.postMessage") == []


def test_a_card_owed_for_a_case_without_one_is_settled_without_a_call(
    uow_factory, clock, board, slack_api, make_gateway
):
    with uow_factory() as uow:
        owe(uow, board_id=SURREY, case_id=None, key="test:card", kind=CARD, recipient="C0X",
            now=clock.now())  # fmt: skip
        uow.commit()

    assert deliver(uow_factory, make_gateway(), now=clock.now()).sent == 1
    assert slack_api.calls == []


def referred_case_id(uow_factory, clock) -> int:
    """Refer a Surrey case (no card posted: nothing owes it) and return its row id."""
    with uow_factory() as uow:
        referred = refer_case(
            ReferCase(
                board_id=SURREY,
                actor="U0TOM00003",
                review_type=ReviewType.RAPID_REVIEW,
                pseudonym="Child B",
                subject_name="Zebedee Quillfeather",
            ),
            uow=uow,
            now=clock.now(),
        )
    with uow_factory() as uow:
        case = uow.cases.by_reference(SURREY, referred.case.reference)
        assert case is not None and case.id is not None
        return case.id


def owe_card_post(uow_factory, clock, case_id: int, key: str) -> int | None:
    with uow_factory() as uow:
        row_id = owe(uow, board_id=SURREY, case_id=case_id, key=key, kind=POST_CARD,
                     recipient="C0CASEREV01", now=clock.now())  # fmt: skip
        uow.commit()
    return row_id


def test_a_card_post_is_drawn_when_sent_and_remembered_on_the_case(
    uow_factory, clock, board, slack_api, make_gateway
):
    case_id = referred_case_id(uow_factory, clock)
    owe_card_post(uow_factory, clock, case_id, "test:post")

    assert deliver(uow_factory, make_gateway(), now=clock.now()).sent == 1

    [call] = slack_api.calls_to("chat.postMessage")
    assert call.args["channel"] == "C0CASEREV01"
    assert (
        call.args["blocks"][0]["text"]["text"] == "*RR-2026-001* · Child B\nRapid Review · referred"
    )
    assert "Zebedee" not in json.dumps(call.args)
    with uow_factory() as uow:
        case = uow.session.get(CaseRow, case_id)
        assert (case.card_channel, case.card_ts) == ("C0CASEREV01", call.response["ts"])
    [row] = rows(uow_factory)
    assert row.sent_at is not None and row.payload is None


def test_a_card_post_for_a_case_that_has_a_card_sends_nothing(
    uow_factory, clock, board, slack_api, make_gateway
):
    case_id = referred_case_id(uow_factory, clock)
    owe_card_post(uow_factory, clock, case_id, "test:post:1")
    deliver(uow_factory, make_gateway(), now=clock.now())
    owe_card_post(uow_factory, clock, case_id, "test:post:2")

    assert deliver(uow_factory, make_gateway(), now=clock.now()).sent == 1

    assert len(slack_api.calls_to("chat.postMessage")) == 1
    with uow_factory() as uow:
        case = uow.session.get(CaseRow, case_id)
        assert case.card_ts == slack_api.last("chat.postMessage").response["ts"]
    assert all(r.sent_at is not None for r in rows(uow_factory))


def test_two_deliverers_at_once_send_each_row_once(
    uow_factory, clock, board, slack_api, make_gateway, backend
):
    users = [f"U0PAR{n:05d}" for n in range(12)]
    owe_dms(uow_factory, clock, users)
    start = threading.Barrier(2)
    results = {}

    def run(name: str) -> None:
        gateway = make_gateway()
        start.wait()
        results[name] = deliver(uow_factory, gateway, now=clock.now(), instance_id=name)

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
