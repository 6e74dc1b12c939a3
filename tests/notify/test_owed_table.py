"""The one table of what each change owes: every use case that changes what the case card or an
App Home shows owes both, and every change a use case makes is in the table."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.domain.boards import ReviewType
from bot.domain.cases import Trigger
from bot.domain.decisions import DecisionOutcome, Methodology
from bot.domain.protocols import Event
from bot.domain.votes import Recommendation
from bot.notify.kinds import Kind
from bot.notify.owed import OWED, card, first_card, owe_changes
from bot.services import cases, conversion, deadlines, decisions, key_dates, lifecycle, voting
from bot.services.homes import HomeOpened
from bot.services.queries import board_member_ids
from store.models import OutboxRow
from store.uow import CommitHooks, with_hooks

BEN, PRIYA, TOM, ANA, GRACE = "U0BEN00001", "U0PRI00002", "U0TOM00003", "U0ANA00004", "U0GRA00005"
SERVICES = Path(__file__).resolve().parents[2] / "bot" / "services"


def _changes_made_in_the_services() -> int:
    """Count the ``uow.changed(...)`` calls in bot/services: each use case's change."""
    calls = 0
    for path in SERVICES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "changed":
                calls += 1
    return calls


def test_every_change_of_a_case_owes_its_card_and_app_homes_in_the_table():
    for change, owes in OWED.items():
        if change is HomeOpened:
            continue
        assert card in owes or first_card in owes, f"{change.__name__} owes no card"
        assert any("home" in owe.__name__ for owe in owes), f"{change.__name__} owes no home"


@pytest.fixture
def steps(uow_factory, clock, board):
    """Run use cases through a unit of work that owes by the table; return a runner.

    ``run(service, cmd)`` runs one step and returns the change types it made and the rows it owed.
    """
    seen: list[type] = []

    def before(uow, changes):
        seen.extend(type(c.change) for c in changes)
        owe_changes(uow, changes, clock.now())

    owing = with_hooks(uow_factory, CommitHooks(before=before, after=lambda: None))

    def run(service, cmd):
        with uow_factory() as uow:
            last = uow.session.exec(
                select(col(OutboxRow.id)).order_by(col(OutboxRow.id).desc())
            ).first()
        seen.clear()
        with owing() as uow:
            outcome = service(cmd, uow=uow, now=clock.now())
        with uow_factory() as uow:
            rows = list(uow.session.exec(select(OutboxRow).where(col(OutboxRow.id) > (last or 0))))
        return outcome, list(seen), rows

    return run


def _first_open(uow_factory, case_id: int):
    from bot.domain.deadlines import RUNNING
    from store.models import DeadlineRow

    with uow_factory() as uow:
        query = select(DeadlineRow).where(DeadlineRow.case_id == case_id)
        rows = [
            d for d in uow.session.exec(query.order_by(col(DeadlineRow.id))) if d.status in RUNNING
        ]
    return rows[0]


def test_each_use_case_that_changes_a_case_owes_its_card_and_the_homes_it_changes(
    steps, uow_factory, clock
):
    members = None
    ref = "SCR-2026-001"
    walk = []

    def step(service, cmd, homes_of=None):
        outcome, made, rows = steps(service, cmd)
        walk.extend(made)
        kinds = {(r.kind, r.recipient) for r in rows}
        cards = [r for r in rows if r.kind in (Kind.CARD, Kind.POST_CARD)]
        assert len(cards) == 1 and cards[0].case_id is not None, (service.__name__, kinds)
        homes = {r.recipient for r in rows if r.kind == Kind.HOME}
        assert homes == set(homes_of or members), (service.__name__, homes)
        return outcome

    referred, made, rows = steps(
        cases.refer_case, cases.ReferCase("surrey-children", BEN, ReviewType.SCR, "Child A")
    )
    walk.extend(made)
    assert [r.kind for r in rows if r.kind == Kind.POST_CARD] == [Kind.POST_CARD]
    with uow_factory() as uow:
        members = set(board_member_ids("surrey-children", uow=uow))
    case_id = referred.case_id
    asked = step(
        lifecycle.request_information,
        lifecycle.RequestInformation(
            ref, BEN, ("Surrey Police",), due_on=clock.today() + timedelta(days=14)
        ),
    )
    returned = lifecycle.RecordInformationReturn(ref, BEN, asked.requests[0].id)
    step(lifecycle.record_information_return, returned)
    step(voting.open_voting, voting.OpenVoting(ref, PRIYA))
    vote = voting.CastVote(ref, TOM, Recommendation.STATUTORY_REVIEW, "Criteria met.")
    step(voting.cast_vote, vote, homes_of={TOM})
    step(voting.declare_conflict, voting.DeclareConflict(ref, ANA, "Related."), homes_of={ANA})
    step(voting.close_voting, voting.CloseVoting(ref, PRIYA, without_quorum=True))
    decide = decisions.RecordDecision(
        ref, GRACE, DecisionOutcome.STATUTORY_REVIEW, "Criteria met.",
        review_type=ReviewType.SCR, methodology=Methodology.SILP,
    )  # fmt: skip
    step(decisions.record_decision, decide)
    first = _first_open(uow_factory, case_id)
    later = first.due_on + timedelta(days=14)
    step(deadlines.extend_deadline, deadlines.ExtendDeadline(first.id, BEN, later, "Police asked."))
    step(deadlines.pause_deadlines, deadlines.PauseDeadlines(ref, BEN, "Criminal trial."))
    step(deadlines.resume_deadlines, deadlines.ResumeDeadlines(ref, BEN, "Trial over."))
    step(deadlines.mark_done, deadlines.MarkDone(first.id, BEN))
    step(cases.update_case_details, cases.UpdateCaseDetails(ref, BEN, summary="Corrected."))
    today = clock.today()
    step(key_dates.record_key_date, key_dates.RecordKeyDate(ref, BEN, Event.MEETING, today))
    convert = conversion.ConvertReview(ref, BEN, ReviewType.LCSPR, "Now a local review.")
    step(conversion.convert_review, convert)
    step(
        lifecycle.advance_case,
        lifecycle.AdvanceCase(ref, BEN, Trigger.COMMISSION_REVIEW, today),
    )
    assert set(OWED) - {HomeOpened} == set(walk), "a change in the table no use case made here"
    assert _changes_made_in_the_services() == len(OWED), "a use case's change is not in the table"
