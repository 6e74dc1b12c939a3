"""Every state and trigger through the services on a real database, and one transaction each."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from sqlmodel import select

from bot.domain.boards import ReviewType
from bot.domain.cases import TRANSITIONS, CaseState, Trigger
from bot.domain.deadlines import DeadlineStatus
from bot.domain.decisions import DecisionOutcome
from bot.domain.errors import InvalidTransition
from bot.domain.votes import Recommendation
from bot.services.conversion import ConvertReview, convert_review
from bot.services.decisions import RecordDecision, record_decision
from bot.services.lifecycle import (
    AdvanceCase,
    RequestInformation,
    advance_case,
    request_information,
)
from bot.services.voting import (
    CastVote,
    CloseVoting,
    OpenVoting,
    cast_vote,
    close_voting,
    open_voting,
)
from store.models import BallotRow, DeadlineRow
from tests.services.conftest import BEN, GRACE, PRIYA, SURREY, TOM


def _command(trigger: Trigger, ref: str):
    """Return the use case and a valid command that fires ``trigger`` on case ``ref``."""
    match trigger:
        case Trigger.REQUEST_INFORMATION:
            return request_information, RequestInformation(
                ref, BEN, ("Surrey Police",), due_on=date(2026, 3, 13)
            )
        case Trigger.OPEN_VOTING:
            return open_voting, OpenVoting(ref, PRIYA)
        case Trigger.CLOSE_VOTING:
            return close_voting, CloseVoting(ref, PRIYA, without_quorum=True)
        case Trigger.RECORD_DECISION:
            return record_decision, RecordDecision(
                ref, GRACE, DecisionOutcome.STATUTORY_REVIEW, "Met.", review_type=ReviewType.SCR
            )
        case Trigger.CONVERT_REVIEW:
            return convert_review, ConvertReview(ref, BEN, ReviewType.LCSPR, "Now an LCSPR")
        case _:
            return advance_case, AdvanceCase(ref, BEN, trigger)


_ACTIONS = {
    Trigger.REQUEST_INFORMATION: "information_requested",
    Trigger.OPEN_VOTING: "voting_opened",
    Trigger.CLOSE_VOTING: "voting_closed",
    Trigger.RECORD_DECISION: "decision_recorded",
    Trigger.CONVERT_REVIEW: "review_converted",
}
PAIRS = list(itertools.product(CaseState, Trigger))


def _settle_deadlines(uow_factory) -> None:
    """Mark every deadline done, so that closing is possible where the state allows it."""
    with uow_factory() as uow:
        for row in uow.session.exec(select(DeadlineRow)):
            row.status = DeadlineStatus.DONE
        uow.commit()


@pytest.mark.parametrize(
    ("state", "trigger"), PAIRS, ids=[f"{s.value}-{t.value}" for s, t in PAIRS]
)
def test_each_step_is_taken_or_refused_exactly_as_the_table_says(
    refer, run, force_state, case_row, audit_rows, uow_factory, state, trigger
):
    ref = refer().case.reference
    force_state(ref, state)
    if trigger is Trigger.CLOSE:
        _settle_deadlines(uow_factory)
    service, cmd = _command(trigger, ref)
    expected = TRANSITIONS.get((state, trigger))
    if expected is None:
        with pytest.raises(InvalidTransition):
            run(service, cmd)
        assert case_row(ref).state is state
        assert [r.action for r in audit_rows(ref)] == ["case_referred"]
        return
    run(service, cmd)
    assert case_row(ref).state is expected
    actions = [r.action for r in audit_rows(ref)]
    assert actions[-1] == _ACTIONS.get(trigger, trigger.value)
    assert len(actions) == 2


def test_the_audit_event_is_written_in_the_transaction_and_rolled_back_with_it(
    refer, run, uow_factory, clock, audit_rows
):
    ref = refer().case.reference
    run(open_voting, OpenVoting(ref, PRIYA))

    def failing_commit() -> None:
        raise RuntimeError("the database went away")

    with uow_factory() as uow:
        uow.commit = failing_commit
        with pytest.raises(RuntimeError):
            cast_vote(
                CastVote(ref, TOM, Recommendation.STATUTORY_REVIEW, "x"), uow=uow, now=clock.now()
            )
        inside = [e.action for e in uow.audit.events() if e.case_reference == ref]
        assert inside[-1] == "vote_cast"
        assert len(uow.session.exec(select(BallotRow)).all()) == 1
    with uow_factory() as uow:
        assert uow.session.exec(select(BallotRow)).all() == []
        assert uow.audit.verify().ok
    assert [r.action for r in audit_rows(ref)] == ["case_referred", "voting_opened"]
    out = run(cast_vote, CastVote(ref, TOM, Recommendation.STATUTORY_REVIEW, "x"))
    assert out.version == 1
    assert [r.action for r in audit_rows(ref)][-1] == "vote_cast"
    with uow_factory() as uow:
        assert uow.audit.verify().ok
        assert uow.cases.by_reference(SURREY, ref).state is CaseState.VOTING
