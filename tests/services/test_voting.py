"""The sub-group's vote: by name, every version kept, conflicts stand aside, quorum applies."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.boards import ReviewType
from bot.domain.cases import CaseState
from bot.domain.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from bot.domain.votes import Recommendation as R
from bot.services.common import SYSTEM
from bot.services.queries import recommendation
from bot.services.voting import (
    CastVote,
    CloseVoting,
    DeclareConflict,
    OpenVoting,
    cast_vote,
    close_voting,
    declare_conflict,
    open_voting,
)
from tests.services.conftest import (
    ANA,
    BEN,
    GRACE,
    OUTSIDER,
    PRIYA,
    SAM,
    SURREY,
    TOM,
    payload,
)


@pytest.fixture
def voting_case(refer, run) -> str:
    """A Surrey case the chair has opened for votes; returns its reference."""
    ref = refer().case.reference
    run(open_voting, OpenVoting(ref, PRIYA))
    return ref


def test_the_chair_opens_voting_for_the_eligible_members(refer, run, audit_rows, case_row):
    ref = refer().case.reference
    out = run(open_voting, OpenVoting(ref, PRIYA))
    assert out.round == 1 and out.case.state is CaseState.VOTING
    assert out.eligible == (ANA, BEN, PRIYA, TOM)  # members and chair; not the DM or admin
    assert out.deadline is not None and out.deadline.rule_id == "sub-group-recommendation"
    assert case_row(ref).voting_round == 1
    (event,) = audit_rows(ref, "voting_opened")
    assert (event.actor, payload(event)) == (
        PRIYA,
        ({"state": "referred"}, {"state": "voting", "round": 1}),
    )


@pytest.mark.parametrize("who", [BEN, TOM, GRACE, SAM])
def test_only_the_chair_opens_voting(refer, run, who, case_row):
    ref = refer().case.reference
    with pytest.raises(NotAllowed, match="Only the sub-group chair can open voting"):
        run(open_voting, OpenVoting(ref, who))
    assert case_row(ref).state is CaseState.REFERRED


def test_a_vote_is_recorded_by_name_with_its_rationale(voting_case, run, uow_factory, audit_rows):
    out = run(cast_vote, CastVote(voting_case, TOM, R.STATUTORY_REVIEW, "Criteria met."))
    assert (out.version, out.changed, out.replayed, out.counts.cast) == (1, False, False, 1)
    with uow_factory() as uow:
        case = uow.cases.by_reference(SURREY, voting_case)
        (ballot,) = uow.ballots.history(case.id)
        tom = uow.members.find(SURREY, TOM)
    assert (ballot.member_id, ballot.recommendation, ballot.rationale, ballot.round) == (
        tom.id,
        R.STATUTORY_REVIEW,
        "Criteria met.",
        1,
    )
    (event,) = audit_rows(voting_case, "vote_cast")
    before, after = payload(event)
    assert (event.actor, event.entity, event.entity_id) == (TOM, "ballot", str(ballot.id))
    assert before == {}
    assert after["member_name"] == "Tom Hughes" and after["recommendation"] == "statutory_review"
    assert "Criteria met." not in event.after and len(after["rationale_sha256"]) == 64


def test_changing_a_vote_keeps_every_version(voting_case, run, uow_factory, audit_rows):
    run(cast_vote, CastVote(voting_case, TOM, R.NO_FURTHER_ACTION, "First view."))
    out = run(cast_vote, CastVote(voting_case, TOM, R.MORE_INFORMATION, "Police info missing."))
    assert (out.version, out.changed, out.recommendation) == (2, True, R.MORE_INFORMATION)
    with uow_factory() as uow:
        case = uow.cases.by_reference(SURREY, voting_case)
        history = [(b.version, b.recommendation) for b in uow.ballots.history(case.id)]
        current = [(b.version, b.recommendation) for b in uow.ballots.current(case.id, 1)]
    assert history == [(1, R.NO_FURTHER_ACTION), (2, R.MORE_INFORMATION)]
    assert current == [(2, R.MORE_INFORMATION)]
    before, after = payload(audit_rows(voting_case, "vote_cast")[1])
    assert before == {"recommendation": "no_further_action", "alternative_type": None, "version": 1}
    assert after["version"] == 2


def test_a_redelivered_vote_records_one_ballot(voting_case, run, uow_factory, audit_rows):
    cmd = CastVote(voting_case, TOM, R.STATUTORY_REVIEW, "Met.", idempotency_key="V0VOTE1")
    first, again = run(cast_vote, cmd), run(cast_vote, cmd)
    same_twice = run(cast_vote, CastVote(voting_case, TOM, R.STATUTORY_REVIEW, "Met."))
    assert (first.replayed, again.replayed, same_twice.replayed) == (False, True, True)
    with uow_factory() as uow:
        assert len(uow.ballots.history(uow.cases.by_reference(SURREY, voting_case).id)) == 1
    assert len(audit_rows(voting_case, "vote_cast")) == 1


@pytest.mark.parametrize(
    ("who", "message"),
    [(GRACE, "members and chair vote"), (SAM, "members and chair vote"), (OUTSIDER, "can't find")],
    ids=["decision-maker", "admin", "not-on-the-board"],
)
def test_people_without_a_vote_are_refused_and_nothing_is_recorded(
    voting_case, run, audit_rows, who, message
):
    with pytest.raises((NotAllowed, NotFound), match=message):
        run(cast_vote, CastVote(voting_case, who, R.STATUTORY_REVIEW, "x"))
    assert audit_rows(voting_case, "vote_cast") == []


def test_no_vote_before_voting_opens(refer, run):
    ref = refer().case.reference
    with pytest.raises(NotAllowed, match="not open"):
        run(cast_vote, CastVote(ref, TOM, R.STATUTORY_REVIEW, "x"))


@pytest.mark.parametrize(
    ("rec", "alternative", "rationale", "message"),
    [
        (R.STATUTORY_REVIEW, None, "   ", "rationale"),
        (R.STATUTORY_REVIEW, None, "x" * 3001, "to 3,000 characters"),
        (R.ALTERNATIVE_REVIEW, None, "x", "which alternative"),
        (R.ALTERNATIVE_REVIEW, ReviewType.SCR, "x", "which alternative"),
        (R.NO_FURTHER_ACTION, ReviewType.LEARNING_REVIEW, "x", "Only an alternative"),
    ],
)
def test_a_vote_needs_a_rationale_and_a_fitting_alternative(
    voting_case, run, rec, alternative, rationale, message
):
    with pytest.raises(InvalidInput, match=message):
        run(cast_vote, CastVote(voting_case, TOM, rec, rationale, alternative))


def test_an_alternative_review_vote_names_its_type(voting_case, run):
    out = run(
        cast_vote,
        CastVote(voting_case, ANA, R.ALTERNATIVE_REVIEW, "Learning.", ReviewType.LEARNING_REVIEW),
    )
    assert out.alternative_type is ReviewType.LEARNING_REVIEW


def test_a_conflicted_member_stands_aside_and_their_vote_no_longer_counts(
    voting_case, run, audit_rows
):
    run(cast_vote, CastVote(voting_case, ANA, R.NO_FURTHER_ACTION, "x"))
    out = run(declare_conflict, DeclareConflict(voting_case, ANA, "I was the social worker."))
    assert (out.already_declared, out.vote_withdrawn) == (False, True)
    assert (out.counts.cast, out.counts.eligible) == (0, 3)
    with pytest.raises(NotAllowed, match="declared a conflict"):
        run(cast_vote, CastVote(voting_case, ANA, R.STATUTORY_REVIEW, "y"))
    again = run(declare_conflict, DeclareConflict(voting_case, ANA, "again"))
    assert again.already_declared
    (event,) = audit_rows(voting_case, "conflict_declared")
    _, after = payload(event)
    assert after["member"] == ANA and after["vote_withdrawn"] is True
    assert "social worker" not in event.after


def test_a_conflict_needs_a_reason(voting_case, run):
    with pytest.raises(InvalidInput, match="reason"):
        run(declare_conflict, DeclareConflict(voting_case, ANA, " "))


def test_closing_without_quorum_is_refused_unless_the_chair_insists(
    voting_case, run, case_row, audit_rows
):
    run(cast_vote, CastVote(voting_case, TOM, R.STATUTORY_REVIEW, "x"))
    with pytest.raises(NotAllowed, match=r"quorum \(majority\) is not met: 1 of 4"):
        run(close_voting, CloseVoting(voting_case, PRIYA))
    assert case_row(voting_case).state is CaseState.VOTING
    out = run(close_voting, CloseVoting(voting_case, PRIYA, without_quorum=True))
    assert out.recommendation.counts.quorate is False
    assert case_row(voting_case).state is CaseState.AWAITING_DECISION
    (event,) = audit_rows(voting_case, "voting_closed")
    _, after = payload(event)
    assert (event.actor, after["quorate"], after["without_quorum"]) == (PRIYA, False, True)


def test_the_bot_closes_voting_at_its_deadline_without_quorum(voting_case, run, audit_rows):
    out = run(close_voting, CloseVoting(voting_case, SYSTEM, board_id=SURREY))
    assert out.recommendation.case.state is CaseState.AWAITING_DECISION
    (event,) = audit_rows(voting_case, "voting_closed")
    assert (event.actor, event.actor_name) == (SYSTEM, "casedesk")
    _, after = payload(event)
    assert (after["cast"], after["quorate"], after["without_quorum"]) == (0, False, True)


def test_a_quorate_close_is_audited_as_not_without_quorum(voting_case, run, audit_rows):
    for who in (BEN, PRIYA, TOM):
        run(cast_vote, CastVote(voting_case, who, R.STATUTORY_REVIEW, "Criteria met."))
    run(close_voting, CloseVoting(voting_case, PRIYA, without_quorum=True))
    _, after = payload(audit_rows(voting_case, "voting_closed")[0])
    assert (after["cast"], after["quorate"], after["without_quorum"]) == (3, True, False)


def test_closing_gives_the_recommendation_by_name_and_meets_the_step_deadline(
    voting_case, run, uow_factory, audit_rows
):
    for who, rec in [
        (BEN, R.STATUTORY_REVIEW),
        (PRIYA, R.STATUTORY_REVIEW),
        (TOM, R.NO_FURTHER_ACTION),
    ]:
        run(cast_vote, CastVote(voting_case, who, rec, f"{who} thinks so"))
    run(declare_conflict, DeclareConflict(voting_case, ANA, "involved"))
    out = run(close_voting, CloseVoting(voting_case, PRIYA))
    view = out.recommendation
    assert [(b.member_name, b.recommendation) for b in view.ballots] == [
        ("Ben Okafor", R.STATUTORY_REVIEW),
        ("Priya Raman", R.STATUTORY_REVIEW),
        ("Tom Hughes", R.NO_FURTHER_ACTION),
    ]
    assert [b.rationale for b in view.ballots][2] == f"{TOM} thinks so"
    assert [c.member_name for c in view.conflicts] == ["Ana Kowalski"]
    assert (view.counts.leading, view.counts.quorate, view.dissenters) == (
        R.STATUTORY_REVIEW,
        True,
        (TOM,),
    )
    assert view.decision_makers == (GRACE,) and view.not_voted == ()
    assert [d.rule_id for d in out.completed] == ["sub-group-recommendation"]
    with uow_factory() as uow:
        case = uow.cases.by_reference(SURREY, voting_case)
        assert uow.cases.dates(case.id)["recommendation"] == date(2026, 3, 2)
        (step,) = [d for d in uow.deadlines.of_case(case.id) if d.rule_id.startswith("sub-group")]
    assert (step.status.value, step.completed_by) == ("done", PRIYA)
    _, after = payload(audit_rows(voting_case, "voting_closed")[0])
    assert after["votes"] == {
        BEN: "statutory_review",
        PRIYA: "statutory_review",
        TOM: "no_further_action",
    }
    assert (
        after["conflicts"] == [ANA] and after["completed"][0]["rule"] == "sub-group-recommendation"
    )


def test_votes_by_name_are_for_the_chair_and_decision_maker_only(voting_case, run, uow_factory):
    run(cast_vote, CastVote(voting_case, TOM, R.STATUTORY_REVIEW, "x"))
    with uow_factory() as uow:
        seen = recommendation(voting_case, GRACE, uow=uow)
        assert [b.slack_id for b in seen.ballots] == [TOM]
        with pytest.raises(NotAllowed, match="see votes by name"):
            recommendation(voting_case, TOM, uow=uow)


def test_voting_cannot_open_twice(voting_case, run):
    with pytest.raises(InvalidTransition, match="cannot open voting"):
        run(open_voting, OpenVoting(voting_case, PRIYA))
