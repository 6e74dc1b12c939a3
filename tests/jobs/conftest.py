"""Fixtures for the scheduled jobs: a gateway on the fake Slack API, a case with one deadline."""

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
from bot.jobs import SweepResult, run_digests, sweep
from bot.services.cases import ReferCase, refer_case
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from store.models import BallotRow, BoardRow, DeadlineRow, MemberRow, ReminderDispatchRow
from store.uow import UnitOfWork, UowFactory
from tests.fakes.slack_api import FakeSlackApi

BEN = "U0BEN00001"  # business manager and member of surrey-children
PRIYA = "U0PRI00002"  # chair
SURREY = "surrey-children"
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
    """Refer a Surrey case whose only running deadline is due on ``due``; return (ref, id)."""

    def _make(due: date, *, pseudonym: str = "Child A", label: str = "Rapid review sent") -> Any:
        return refer_with_deadline(uow_factory, clock.now(), due, pseudonym=pseudonym, label=label)

    return _make


def surrey_member(uow: UnitOfWork, slack_id: str) -> MemberRow:
    """Return the Surrey board's member row for ``slack_id``."""
    query = select(MemberRow).where(MemberRow.board_id == SURREY, MemberRow.slack_id == slack_id)
    return uow.session.exec(query).one()


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
                member = surrey_member(uow, slack_id)
                uow.ballots.add(
                    BallotRow(
                        case_id=case.id,
                        member_id=member.id,
                        round=1,
                        version=1,
                        recommendation=Recommendation.NO_FURTHER_ACTION,
                        rationale="Single-agency learning is enough.",
                        cast_at=clock.now(),
                    )
                )
            uow.commit()
        return reference

    return _make


@pytest.fixture
def run_sweep(uow_factory, gateway, clock) -> Callable[..., SweepResult]:
    """Run one sweep as instance ``test``."""

    def _run(instance_id: str = "test") -> SweepResult:
        return sweep(uow_factory=uow_factory, gateway=gateway, clock=clock, instance_id=instance_id)

    return _run


@pytest.fixture
def run_digest(uow_factory, gateway, clock) -> Callable[[], int]:
    """Run the digests once."""
    return lambda: run_digests(uow_factory=uow_factory, gateway=gateway, clock=clock)


@pytest.fixture
def dispatches(uow_factory) -> Callable[[], list[ReminderDispatchRow]]:
    """Return every reminder dispatch row."""

    def _rows() -> list[ReminderDispatchRow]:
        with uow_factory() as uow:
            return list(
                uow.session.exec(select(ReminderDispatchRow).order_by(ReminderDispatchRow.id))
            )

    return _rows


def posted(slack_api: FakeSlackApi) -> list[dict[str, Any]]:
    """Return the arguments of every chat.postMessage Slack accepted."""
    return [
        c.args
        for c in slack_api.calls_to("chat.postMessage")
        if c.status == 200 and c.response.get("ok")
    ]
