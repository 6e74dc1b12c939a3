"""The decision: only the decision-maker, once, with reasons, starting the deadlines after it."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from bot.domain.boards import ReviewType, Role
from bot.domain.cases import CaseState
from bot.domain.decisions import DecisionOutcome as O
from bot.domain.decisions import Methodology
from bot.domain.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from bot.domain.votes import Recommendation as R
from bot.services.decisions import RecordDecision, record_decision
from bot.services.voting import (
    CastVote,
    CloseVoting,
    OpenVoting,
    cast_vote,
    close_voting,
    open_voting,
)
from store.models import MemberRow
from tests.services.conftest import BEN, GRACE, PRIYA, SURREY, TOM, payload


@pytest.fixture
def awaiting(refer, run) -> str:
    """A Surrey case whose vote closed; returns its reference."""
    ref = refer().case.reference
    run(open_voting, OpenVoting(ref, PRIYA))
    for who in (BEN, PRIYA, TOM):
        run(cast_vote, CastVote(ref, who, R.STATUTORY_REVIEW, "Criteria met."))
    run(close_voting, CloseVoting(ref, PRIYA))
    return ref


def scr(ref: str, who: str = GRACE, **kw) -> RecordDecision:
    fields = {"review_type": ReviewType.SCR, "methodology": Methodology.SILP}
    fields.update(kw)
    return RecordDecision(ref, who, O.STATUTORY_REVIEW, "Criteria in WT2015 met.", **fields)


def test_the_decision_maker_records_the_decision_and_its_deadlines_start(
    awaiting, run, uow_factory, audit_rows
):
    out = run(record_decision, scr(awaiting))
    assert out.case.state is CaseState.DECIDED and not out.replayed
    assert (out.decision.outcome, out.decision.methodology, out.decision.decided_by) == (
        O.STATUTORY_REVIEW,
        Methodology.SILP,
        GRACE,
    )
    # 002 §1.2: national bodies informed within five working days of the decision (Mon -> Mon).
    assert [(d.rule_id, d.due_on) for d in out.deadlines] == [
        ("national-bodies-informed", date(2026, 3, 9))
    ]
    assert [d.rule_id for d in out.completed] == ["chair-decision"]
    assert out.business_managers == (BEN,)
    with uow_factory() as uow:
        case = uow.cases.by_reference(SURREY, awaiting)
        row = uow.decisions.of_case(case.id)
        assert (row.reasons, row.decided_on) == ("Criteria in WT2015 met.", date(2026, 3, 2))
        assert uow.cases.dates(case.id)["decision"] == date(2026, 3, 2)
    (event,) = audit_rows(awaiting, "decision_recorded")
    before, after = payload(event)
    assert before == {"state": "awaiting_decision", "review_type": "scr"}
    assert (after["state"], after["outcome"], after["decided_on"]) == (
        "decided",
        "statutory_review",
        "2026-03-02",
    )
    assert "WT2015" not in event.after and len(after["reasons_sha256"]) == 64


@pytest.mark.parametrize("who", [BEN, PRIYA, TOM])
def test_nobody_but_the_decision_maker_may_decide(awaiting, run, who, case_row, audit_rows):
    with pytest.raises(NotAllowed, match="Only the decision-maker can record the decision"):
        run(record_decision, scr(awaiting, who))
    assert case_row(awaiting).state is CaseState.AWAITING_DECISION
    assert audit_rows(awaiting, "decision_recorded") == []


def test_a_second_decision_is_a_conflict_naming_the_first(awaiting, run):
    run(record_decision, scr(awaiting))
    with pytest.raises(Conflict, match="already recorded by Grace Mensah on 2026-03-02"):
        run(record_decision, scr(awaiting))


def test_a_redelivered_decision_returns_the_first(awaiting, run, uow_factory):
    first = run(record_decision, scr(awaiting, idempotency_key="V0DEC1"))
    again = run(record_decision, scr(awaiting, idempotency_key="V0DEC1"))
    assert (first.replayed, again.replayed) == (False, True)
    assert again.decision.decided_on == first.decision.decided_on


def test_no_decision_before_voting_closes(refer, run):
    ref = refer().case.reference
    with pytest.raises(InvalidTransition, match="cannot record a decision"):
        run(record_decision, scr(ref))


@pytest.mark.parametrize(
    ("cmd_kw", "message"),
    [
        ({"reasons": " "}, "reasons"),
        ({"review_type": ReviewType.SAR}, "statutory review on this board"),
        ({"review_type": None}, "choose the review type"),
        ({"decided_on": date(2026, 3, 3)}, "cannot be in the future"),
        ({"decided_on": date(2026, 2, 27)}, "before the referral"),
    ],
)
def test_an_incomplete_decision_is_refused(awaiting, run, cmd_kw, message):
    fields = {"review_type": ReviewType.SCR, "reasons": "Met."}
    fields.update(cmd_kw)
    cmd = RecordDecision(awaiting, GRACE, O.STATUTORY_REVIEW, fields.pop("reasons"), **fields)
    with pytest.raises(InvalidInput, match=message):
        run(record_decision, cmd)


def test_a_decision_for_another_review_type_converts_the_case_and_says_so(
    awaiting, run, uow_factory
):
    cmd = RecordDecision(
        awaiting,
        GRACE,
        O.ALTERNATIVE_REVIEW,
        "Learning, not SCR.",
        review_type=ReviewType.LEARNING_REVIEW,
    )
    out = run(record_decision, cmd)
    assert out.case.review_type is ReviewType.LEARNING_REVIEW
    assert out.case.reference == awaiting  # the reference stays (002 §1.1)
    with uow_factory() as uow:
        case = uow.cases.by_reference(SURREY, awaiting)
        (conversion,) = uow.cases.conversions(case.id)
    assert (conversion.from_type, conversion.to_type, conversion.converted_by) == (
        ReviewType.SCR,
        ReviewType.LEARNING_REVIEW,
        GRACE,
    )


def test_a_decision_not_to_review_has_no_type(awaiting, run):
    out = run(record_decision, RecordDecision(awaiting, GRACE, O.NO_REVIEW, "Not met."))
    assert out.decision.review_type is None and out.case.review_type is ReviewType.SCR


def test_two_decision_makers_at_once_give_one_decision_and_one_conflict(
    awaiting, uow_factory, clock
):
    with uow_factory() as uow:
        second = MemberRow(
            board_id=SURREY, slack_id="U0DEP00011", name="Dee Patel", joined_at=clock.now()
        )
        uow.members.add(second)
        uow.members.set_roles(second.id, {Role.DECISION_MAKER})
        uow.commit()
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def decide(who: str) -> None:
        barrier.wait(timeout=10)
        try:
            with uow_factory() as uow:
                outcomes.append(record_decision(scr(awaiting, who), uow=uow, now=clock.now()))
        except Conflict as err:
            outcomes.append(err)

    threads = [threading.Thread(target=decide, args=(w,)) for w in (GRACE, "U0DEP00011")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    kinds = sorted(type(o).__name__ for o in outcomes)
    assert kinds == ["Conflict", "DecisionRecorded"]
    with uow_factory() as uow:
        case = uow.cases.by_reference(SURREY, awaiting)
        assert uow.decisions.of_case(case.id) is not None
        assert (
            len([e for e in uow.audit.events(case_id=case.id) if e.action == "decision_recorded"])
            == 1
        )
