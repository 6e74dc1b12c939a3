"""Migration 0005 carries every reminder dispatch, digest claim and owed message into the one
outbox: across the upgrade nothing owed is lost and nothing is sent twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from slack_sdk import WebClient
from sqlalchemy import bindparam, text
from sqlmodel import col, select

from bot.clock import LONDON, FixedClock
from bot.domain.board_file import load_board_file
from bot.domain.boards import ReviewType
from bot.notify.sender import Sender
from bot.services.boards import sync_boards
from bot.services.cases import ReferCase, refer_case
from bot.services.voting import OpenVoting, open_voting
from bot.slack.gateway import SlackGateway
from store.db import make_engine
from store.migrate import alembic_config, upgrade
from store.models import OutboxRow
from store.types import TZDateTime
from store.uow import make_uow_factory
from tests.conftest import EXAMPLE_BOARD
from tests.fakes.slack_api import dm_channel

T0 = datetime(2026, 3, 3, 10, 0, tzinfo=LONDON)  # Tuesday, in sending hours
BEN, PRIYA, TOM = "U0BEN00001", "U0PRI00002", "U0TOM00003"


def _at_0004(url: str) -> tuple[int, int, list[str], list[str]]:
    """Refer a case and downgrade to 0004; return its id, its first deadline's id, the holders of
    that deadline's owner role, and those with the chair (whom an escalation goes to).

    The case is written by today's code at head (its models are head's), then the database is
    taken down to 0004, as it was before the one outbox."""
    upgrade(url)
    engine = make_engine(url)
    uow_factory = make_uow_factory(engine)
    with uow_factory() as uow:
        sync_boards(load_board_file(EXAMPLE_BOARD), uow=uow, now=T0 - timedelta(days=1))
    cmd = ReferCase("surrey-children", BEN, ReviewType.SCR, "Child A", subject_name="Zed Q")
    with uow_factory() as uow:
        case_id = refer_case(cmd, uow=uow, now=T0 - timedelta(days=1)).case_id
    with uow_factory() as uow:  # Tom's vote is awaited: his vote reminder is still due
        open_voting(OpenVoting("SCR-2026-001", PRIYA), uow=uow, now=T0 - timedelta(days=1))
    holders = text(
        "SELECT DISTINCT m.slack_id, m.name FROM members m JOIN member_roles r "
        "ON r.member_id = m.id WHERE m.board_id = 'surrey-children' AND r.role IN :roles "
        "ORDER BY m.name, m.slack_id"
    ).bindparams(bindparam("roles", expanding=True))
    with engine.begin() as conn:
        deadline_id, role = conn.execute(
            text("SELECT id, owner_role FROM deadlines WHERE case_id = :c ORDER BY id LIMIT 1"),
            {"c": case_id},
        ).one()
        owners = [r[0] for r in conn.execute(holders, {"roles": [role]})]
        escalated = [r[0] for r in conn.execute(holders, {"roles": [role, "chair"]})]
        conn.execute(text("DELETE FROM outbox"))  # 0004's rows are the ones the test writes
    engine.dispose()
    command.downgrade(alembic_config(url), "0004")
    return case_id, deadline_id, owners, escalated


def _typed(sql: str):
    """Return ``sql`` with its time parameters bound as 0004 bound them (the store's type)."""
    times = [n for n in "cnt" if f":{n}," in sql or f":{n})" in sql]
    return text(sql).bindparams(*(bindparam(n, type_=TZDateTime()) for n in times))


def _insert_old_rows(url: str, case_id: int, deadline_id: int, first: str) -> None:
    engine = make_engine(url)
    past, lease_end, sent = (
        T0 + delta for delta in (-timedelta(minutes=1), timedelta(minutes=5), -timedelta(hours=2))
    )
    dispatches = [
        # slot, lead, next attempt, claimed by, error, sent, delivered
        ("lead:5:2026-03-10", 5, None, "a", None, sent, PRIYA),  # sent
        ("overdue:2026-03-03", -4, past, "a", "http_500", None, first),  # half sent, retry due
        ("lead:1:2026-03-10", 1, lease_end, "dead", None, None, ""),  # leased by a dead sweeper
        ("lead:0:2026-03-10", 0, None, "a", "user_not_found", None, ""),  # failed for good
        (f"vote:{TOM}:lead:1:2026-03-10", 1, past, "a", "http_500", None, ""),  # vote reminder
    ]
    with engine.begin() as conn:
        for slot, lead, nxt, by, err, sent_at, reached in dispatches:
            conn.execute(
                _typed(
                    "INSERT INTO reminder_dispatches (deadline_id, slot_key, lead, claimed_at, "
                    "claimed_by, attempts, next_attempt_at, last_error, sent_at, delivered_to) "
                    "VALUES (:d, :s, :l, :c, :b, 1, :n, :e, :t, :r)"
                ),
                dict(
                    d=deadline_id, s=slot, l=lead, c=sent, b=by, n=nxt, e=err, t=sent_at, r=reached
                ),
            )
        for slot, sent_at in (("digest:2026-03-02", sent), ("digest:2026-03-03", None)):
            conn.execute(
                _typed(
                    "INSERT INTO board_dispatches (board_id, slot_key, claimed_at, claimed_by, "
                    "attempts, sent_at) VALUES ('surrey-children', :s, :c, 'a', 0, :t)"
                ),
                dict(s=slot, c=T0 - timedelta(minutes=30), t=sent_at),
            )
        message = '{"text":"Now due","blocks":[]}'
        for key, kind, nxt, sent_at in (
            (f"decision:{case_id}:bm:{BEN}", "dm", past, None),  # owed, due
            (f"voting_closed:{case_id}:1:card", "card", None, sent),  # sent
            (f"referred:{case_id}:ack", "dm", None, None),  # failed for good
        ):
            conn.execute(
                _typed(
                    "INSERT INTO outbox (board_id, case_id, dedupe_key, kind, recipient, payload, "
                    "created_at, claimed_by, attempts, next_attempt_at, sent_at) VALUES "
                    "('surrey-children', :case, :k, :kind, :r, :p, :c, '', 0, :n, :t)"
                ),
                dict(case=case_id, k=key, kind=kind, r=BEN if kind == "dm" else "C0CASEREV01",
                     p=message if sent_at is None else None, c=sent, n=nxt, t=sent_at),
            )  # fmt: skip
    engine.dispose()


def test_upgrading_carries_every_dispatch_and_owed_message_into_the_outbox(
    empty_database_url, slack_api
):
    case_id, deadline_id, owners, escalated = _at_0004(empty_database_url)
    assert len(escalated) >= 2, "the half-sent escalation needs two recipients"
    _insert_old_rows(empty_database_url, case_id, deadline_id, escalated[0])
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    uow_factory = make_uow_factory(engine)
    with uow_factory() as uow:
        rows = list(uow.session.exec(select(OutboxRow).order_by(col(OutboxRow.id))))
    owed = sorted(
        (r.template, r.slot or "", r.recipient)
        for r in rows
        if r.sent_at is None and r.next_attempt_at
    )
    assert owed == sorted(
        [("notifications_due", "", BEN), ("digest", "", "C0CASEREV01")]
        + [("reminder_dm", "overdue:2026-03-03", u) for u in escalated[1:]]
        + [("reminder_dm", "lead:1:2026-03-10", u) for u in owners]
        + [("vote_reminder_dm", f"vote:{TOM}:lead:1:2026-03-10", TOM)]
    )
    sent = {(r.template, r.slot or "", r.recipient) for r in rows if r.sent_at is not None}
    assert sent == {
        ("reminder_dm", "lead:5:2026-03-10", PRIYA),
        ("reminder_dm", "overdue:2026-03-03", escalated[0]),
        ("case_card", "", "C0CASEREV01"),
        ("digest", "", "C0CASEREV01"),
    }
    failed = {
        (r.template, r.slot or "", r.last_error)
        for r in rows
        if r.sent_at is None and not r.next_attempt_at
    }
    assert failed == {
        ("reminder_dm", "lead:0:2026-03-10", "user_not_found"),
        ("referral_ack", "", None),
    }
    leased = {r.next_attempt_at.astimezone(UTC) for r in rows if r.slot == "lead:1:2026-03-10"}
    assert leased == {(T0 + timedelta(minutes=5)).astimezone(UTC)}  # due when the lease ends

    # The sender after the lease: each owed message once, none of those already sent.
    clock = FixedClock(T0 + timedelta(minutes=11))
    client = WebClient(token="xoxb-t", base_url=slack_api.base_url)
    sender = Sender(uow_factory, SlackGateway(client, min_interval_per_channel=0), clock)
    sender.drain()
    sender.drain()
    engine.dispose()
    posted = sorted(c.args["channel"] for c in slack_api.calls_to("chat.postMessage"))
    assert (
        posted
        == sorted(
            [dm_channel(BEN)]  # the owed decision DM
            + [dm_channel(u) for u in escalated[1:]]  # the half-sent escalation, to the rest
            + [dm_channel(u) for u in owners]  # the slot the dead sweeper leased
            + [dm_channel(TOM)]  # the vote reminder
            + ["C0CASEREV01"]  # the day's digest, claimed but never posted
        )
    )
