"""Fixtures for the scheduled jobs: the sender on the fake Slack API, a case with one deadline.

The sweep owes (writes outbox rows); the sender sends them. ``run_tick`` is what a scheduler tick
and the sender's pass do together (:func:`bot.jobs.run_once`): the result counts what the sweep
owed (``claimed``, ``closed``, ``digests``) and what the pass that followed sent (``sent``,
``deferred``, ``failed``). The units of work that close votes owe the close's messages
(:func:`bot.notify.owed.owing`); the plain ``uow_factory`` owes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.clock import LONDON, FixedClock
from bot.domain.boards import ReviewType, Role
from bot.domain.cases import CaseState
from bot.domain.deadlines import DeadlineStatus
from bot.domain.protocols import Event
from bot.domain.reminders import local_time
from bot.domain.votes import Recommendation
from bot.jobs import SweepResult, run_once, sweep
from bot.notify.delivery import LEASE
from bot.notify.kinds import Kind, Owed
from bot.notify.outbox import owe_all
from bot.notify.owed import owing
from bot.notify.sender import Sender
from bot.services.cases import ReferCase, refer_case
from bot.slack.client import make_web_client
from bot.slack.gateway import SlackGateway
from store.models import BallotRow, BoardRow, DeadlineRow, MemberRow, OutboxRow
from store.uow import UnitOfWork, UowFactory
from tests.fakes.slack_api import FakeSlackApi, dm_channel

BEN = "U0BEN00001"  # business manager and member of surrey-children
PRIYA = "U0PRI00002"  # chair
TOM = "U0TOM00003"  # member
ANA = "U0ANA00004"  # member
GRACE = "U0GRA00005"  # decision-maker
SURREY = "surrey-children"
SURREY_CHANNEL = "C0CASEREV01"
STOCKPORT_CHANNEL = "C0SARGRP02"
SUBJECT = "Zebedee Quartermain-Okonkwo"


class Ticker:
    """A monotonic clock the test moves, so the gateway's spacing never sleeps for real."""

    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def ticker() -> Ticker:
    """The gateway's monotonic clock."""
    return Ticker()


@pytest.fixture
def gateway(slack_settings, ticker) -> SlackGateway:
    """A gateway on the fake Slack API, as production builds it (one client retry)."""
    client: WebClient = make_web_client(slack_settings)
    return SlackGateway(client, monotonic=ticker, sleep=lambda s: None, min_interval_per_channel=0)


@pytest.fixture
def sender(uow_factory, gateway, clock) -> Sender:
    """The sender (its loop not started: tests drain it on their own thread), as ``test``."""
    return Sender(uow_factory, gateway, clock, instance_id="test")


@pytest.fixture
def owing_factory(uow_factory, clock, sender) -> UowFactory:
    """Units of work whose commits owe what their changes owe and wake ``sender``."""
    return owing(uow_factory, clock, sender.wake)


@pytest.fixture
def at(clock: FixedClock) -> Callable[..., None]:
    """Set the clock to a London wall time: ``at(2026, 3, 2, 10)``."""

    def _at(*parts: int) -> None:
        clock.set(datetime(*parts, tzinfo=LONDON))  # type: ignore[misc]

    return _at


def refer_with_deadline(
    uow_factory: UowFactory,
    now: datetime,
    due: date,
    *,
    pseudonym: str = "Child A",
    label: str = "Rapid review sent",
    reminders: tuple[int, ...] = (5, 2, 1, 0),
) -> tuple[str, int]:
    """Refer a Surrey case (subject :data:`SUBJECT`) whose only running deadline is due on ``due``.

    The business manager owns the deadline. Returns the case reference and the deadline's id.
    """
    with uow_factory() as uow:
        referred = refer_case(
            ReferCase(
                board_id=SURREY,
                actor=BEN,
                review_type=ReviewType.SCR,
                pseudonym=pseudonym,
                subject_name=SUBJECT,
                summary=f"{SUBJECT} was found injured.",
            ),
            uow=uow,
            now=now,
        )
    with uow_factory() as uow:
        case = uow.cases.by_reference(SURREY, referred.case.reference)
        for row in uow.deadlines.of_case(case.id):
            row.status = DeadlineStatus.CANCELLED
        deadline = DeadlineRow(
            case_id=case.id,
            rule_id="test-rule",
            label=label,
            event=Event.REFERRAL,
            event_date=local_time(now).date(),
            due_on=due,
            original_due_on=due,
            owner_role=Role.BUSINESS_MANAGER,
            reminders=list(reminders),
            status=DeadlineStatus.OPEN,
            source="test",
            created_at=now,
            updated_at=now,
        )
        uow.deadlines.add(deadline)
        uow.commit()
        return referred.case.reference, deadline.id


@pytest.fixture
def make_case(uow_factory, clock, board) -> Callable[..., tuple[str, int]]:
    """Refer a Surrey case whose only running deadline is due on ``due``; return (ref, id).

    Referred through the plain ``uow_factory``: the referral owes nothing, so the outbox holds
    only what the jobs owe.
    """

    def _make(due: date, *, pseudonym: str = "Child A", label: str = "Rapid review sent") -> Any:
        return refer_with_deadline(uow_factory, clock.now(), due, pseudonym=pseudonym, label=label)

    return _make


def surrey_member(uow: UnitOfWork, slack_id: str) -> MemberRow:
    """Return the Surrey board's member row for ``slack_id``."""
    query = select(MemberRow).where(MemberRow.board_id == SURREY, MemberRow.slack_id == slack_id)
    return uow.session.exec(query).one()


def cast_ballot(uow: UnitOfWork, case_id: int, slack_id: str, now: datetime) -> None:
    """Add ``slack_id``'s first-round ballot on the case (no further action)."""
    uow.ballots.add(
        BallotRow(
            case_id=case_id,
            member_id=surrey_member(uow, slack_id).id,
            round=1,
            version=1,
            recommendation=Recommendation.NO_FURTHER_ACTION,
            rationale="Single-agency learning is enough.",
            cast_at=now,
        )
    )


@pytest.fixture
def voting_case(make_case, uow_factory, clock) -> Callable[..., str]:
    """A Surrey case in voting whose vote deadline (the close_voting step rule) is Wed 4 Mar.

    Call it with the members who already voted and whether the board closes at the deadline.
    """

    def _make(*, voted: tuple[str, ...] = (), auto_close: bool = False) -> str:
        reference, deadline_id = make_case(date(2026, 3, 4), label="Sub-group vote")
        with uow_factory() as uow:
            board = uow.session.get(BoardRow, SURREY)
            board.step_rules = {**board.step_rules, "close_voting": ["test-rule"]}
            board.open_voting_on_referral = auto_close
            deadline = uow.session.get(DeadlineRow, deadline_id)
            deadline.reminders = []  # only the vote reminders are under test
            case = uow.cases.by_reference(SURREY, reference)
            case.state = CaseState.VOTING
            case.voting_round = 1
            case.card_channel, case.card_ts = board.channel_id, "1767000000.000100"  # as referred
            for slack_id in voted:
                cast_ballot(uow, case.id, slack_id, clock.now())
            uow.commit()
        return reference

    return _make


@pytest.fixture
def run_sweep(owing_factory, clock) -> Callable[[], SweepResult]:
    """Run one sweep: owe what is due (nothing is sent)."""
    return lambda: sweep(uow_factory=owing_factory, clock=clock)


@pytest.fixture
def run_tick(owing_factory, sender, clock) -> Callable[..., SweepResult]:
    """Run one scheduler tick and the sender's pass on this thread (``run_once``).

    Pass ``sender=`` to send with another sender (another instance, a dying one).
    """

    def _run(*, sender: Sender = sender) -> SweepResult:
        return run_once(uow_factory=owing_factory, sender=sender, clock=clock)

    return _run


def outbox_rows(uow_factory: UowFactory, kind: Kind | None = None) -> list[OutboxRow]:
    """Return the outbox rows (of ``kind``, when given), oldest first."""
    with uow_factory() as uow:
        query = select(OutboxRow).order_by(OutboxRow.id)
        if kind is not None:
            query = query.where(OutboxRow.kind == kind)
        return list(uow.session.exec(query))


@pytest.fixture
def reminders(uow_factory) -> Callable[[], list[OutboxRow]]:
    """Return every reminder row of the outbox (one per slot and recipient), oldest first."""
    return lambda: outbox_rows(uow_factory, Kind.REMINDER)


def lease_as(uow_factory: UowFactory, row_id: int, now: datetime, who: str = "dead") -> None:
    """Lease a due row for the sender ``who`` (which then dies before sending it)."""
    with uow_factory() as uow:
        row = uow.outbox.get(row_id)
        assert row is not None and row.next_attempt_at is not None
        assert uow.outbox.lease(row_id, seen=row.next_attempt_at, until=now + LEASE, claimed_by=who)
        uow.commit()


def owe_grace(uow_factory: UowFactory, clock: FixedClock, *, template: str = "test_dm") -> int:
    """Owe Grace a DM about no case (a payload that must never reach a notice); return its id."""
    with uow_factory() as uow:
        message = {"text": "Priya Raman: no further action", "blocks": []}
        owed = Owed(Kind.DM, template, GRACE, message)
        [row_id] = owe_all(uow, [owed], board_id=SURREY, now=clock.now())
        uow.commit()
    return row_id


def posted(slack_api: FakeSlackApi) -> list[dict[str, Any]]:
    """Return the arguments of every chat.postMessage Slack accepted."""
    return [
        c.args
        for c in slack_api.calls_to("chat.postMessage")
        if c.status == 200 and c.response.get("ok")
    ]


def dms_to(slack_api: FakeSlackApi, user: str) -> list[dict[str, Any]]:
    """Return the DMs Slack accepted for ``user``."""
    return [m for m in posted(slack_api) if m["channel"] == dm_channel(user)]


def buttons(message: dict[str, Any]) -> list[str]:
    """Return the action IDs of a message's buttons, in order."""
    return [
        e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
