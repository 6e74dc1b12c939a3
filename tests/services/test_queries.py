"""Read-only queries for status, lists and the App Home; members see only their boards."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.boards import ReviewType, Role
from bot.domain.cases import CaseState
from bot.domain.errors import NotFound
from bot.domain.protocols import Event
from bot.domain.votes import Recommendation as R
from bot.services.cases import ReferCase, refer_case
from bot.services.deadlines import ExtendDeadline, extend_deadline
from bot.services.queries import (
    CaseFilter,
    board_member_ids,
    case_access,
    case_by_ref,
    case_status,
    dashboard,
    list_cases,
    member_boards,
    subject_details,
)
from bot.services.voting import (
    CastVote,
    DeclareConflict,
    OpenVoting,
    cast_vote,
    declare_conflict,
    open_voting,
)
from tests.services.conftest import (
    ANA,
    BEN,
    GRACE,
    OUTSIDER,
    PRIYA,
    STOCKPORT,
    SUBJECT,
    SURREY,
    TOM,
)

TODAY = date(2026, 3, 2)


def test_a_person_sees_the_boards_they_belong_to_with_their_roles(board, uow_factory):
    with uow_factory() as uow:
        boards = member_boards(BEN, uow=uow)
        assert member_boards(OUTSIDER, uow=uow) == ()
    assert [(b.id, b.roles) for b in boards] == [
        (STOCKPORT, frozenset({Role.BUSINESS_MANAGER})),
        (SURREY, frozenset({Role.BUSINESS_MANAGER, Role.MEMBER})),
    ]


def test_status_shows_state_dates_deadlines_votes_but_no_identifying_detail(
    refer, run, uow_factory
):
    ref = refer().case.reference
    run(open_voting, OpenVoting(ref, PRIYA))
    run(cast_vote, CastVote(ref, TOM, R.NO_FURTHER_ACTION, "x"))
    with uow_factory() as uow:
        status = case_status(ref.lower(), TOM, uow=uow, today=TODAY + timedelta(days=7))
    assert (status.case.reference, status.case.state, status.board_name) == (
        ref,
        CaseState.VOTING,
        "Surrey Safeguarding Children Partnership",
    )
    assert status.key_dates == {Event.REFERRAL: TODAY, Event.NOTIFICATION: TODAY}
    assert [(d.rule_id, d.working_days_left, d.overdue) for d in status.deadlines] == [
        ("chair-decision", 18, False),
        ("sub-group-recommendation", 18, False),
    ]
    assert (status.votes.cast, status.votes.eligible, status.my_vote) == (1, 4, "no_further_action")
    assert status.votes.channel_may_see_counts is False  # Surrey hides counts until close
    assert status.counts_visible is False  # a member sees what the channel sees
    assert status.decision is None and not status.conflicted
    assert SUBJECT not in repr(status)


def test_the_chair_and_the_decision_maker_may_see_the_counts_before_close(refer, run, uow_factory):
    ref = refer().case.reference
    run(open_voting, OpenVoting(ref, PRIYA))
    run(cast_vote, CastVote(ref, TOM, R.NO_FURTHER_ACTION, "x"))
    seen = {}
    with uow_factory() as uow:
        for user in (PRIYA, GRACE, TOM, BEN):
            seen[user] = case_status(ref, user, uow=uow, today=TODAY).counts_visible
    assert seen == {PRIYA: True, GRACE: True, TOM: False, BEN: False}


def test_case_access_gives_the_persons_roles_and_conflict_on_the_case(refer, run, uow_factory):
    ref = refer().case.reference
    run(declare_conflict, DeclareConflict(ref, ANA, "I know the family."))
    with uow_factory() as uow:
        ana = case_access(ref.lower(), ANA, uow=uow)
        priya = case_access(ref, PRIYA, uow=uow)
        with pytest.raises(NotFound):
            case_access(ref, OUTSIDER, uow=uow)
    assert (ana.case.reference, ana.roles, ana.conflicted) == (ref, {Role.MEMBER}, True)
    assert (priya.roles, priya.conflicted) == ({Role.CHAIR, Role.MEMBER}, False)
    assert SUBJECT not in repr(ana)


def test_a_boards_member_ids_are_its_active_members_by_name(board, uow_factory):
    with uow_factory() as uow:
        assert board_member_ids(SURREY, uow=uow) == (ANA, BEN, GRACE, PRIYA, "U0SAM00006", TOM)
        assert board_member_ids("no-such-board", uow=uow) == ()


def test_overdue_deadlines_are_marked_and_listed_first(refer, run, uow_factory):
    late = refer(pseudonym="Child L").case.reference
    calm = refer(pseudonym="Child M").case.reference
    run(
        extend_deadline,
        ExtendDeadline(
            next(d.id for d in refer(pseudonym="Child N").deadlines), BEN, date(2026, 5, 1), "x"
        ),
    )
    today = date(2026, 4, 7)  # both one-month deadlines of the first two cases are past
    with uow_factory() as uow:
        lines = list_cases(BEN, uow=uow, today=today)
        overdue = list_cases(BEN, uow=uow, today=today, which=CaseFilter.OVERDUE)
        status = case_status(late, BEN, uow=uow, today=today)
    assert [ln.case.reference for ln in lines][:2] == [late, calm]
    assert [ln.overdue for ln in lines] == [2, 2, 1]
    assert {ln.case.reference for ln in overdue} == {late, calm, "SCR-2026-003"}
    assert all(d.overdue and d.working_days_left < 0 for d in status.deadlines)


def test_mine_lists_the_cases_where_i_owe_something_or_referred(refer, run, uow_factory):
    tom_referred = refer(actor=TOM).case.reference
    ana_referred = refer(actor=ANA, pseudonym="Child B").case.reference
    with uow_factory() as uow:
        tom = list_cases(TOM, uow=uow, today=TODAY, which=CaseFilter.MINE)
        grace = list_cases(GRACE, uow=uow, today=TODAY, which=CaseFilter.MINE)
    assert [ln.case.reference for ln in tom] == [tom_referred]
    # Grace owns the chair-decision deadline of every case.
    assert {ln.case.reference for ln in grace} == {tom_referred, ana_referred}


def test_the_dashboard_shows_pending_votes_owned_deadlines_and_open_cases(refer, run, uow_factory):
    voting = refer(pseudonym="Child V").case.reference
    other = refer(pseudonym="Child W").case.reference
    run(open_voting, OpenVoting(voting, PRIYA))
    run(cast_vote, CastVote(voting, PRIYA, R.STATUTORY_REVIEW, "x"))
    with uow_factory() as uow:
        tom = dashboard(TOM, uow=uow, today=TODAY)
        priya = dashboard(PRIYA, uow=uow, today=TODAY)
    assert [ln.case.reference for ln in tom.pending_votes] == [voting]
    assert tom.deadlines_owned == ()
    assert {ln.case.reference for ln in tom.open_cases} == {voting, other}
    assert priya.pending_votes == ()  # she voted
    assert [(d.reference, d.rule_id) for d in priya.deadlines_owned] == [
        (voting, "sub-group-recommendation"),
        (other, "sub-group-recommendation"),
    ]


def test_a_case_of_another_board_is_not_found(refer, run, uow_factory):
    ref = refer().case.reference
    sar = run(refer_case, ReferCase(STOCKPORT, BEN, ReviewType.SAR, "Adult A")).case.reference
    with uow_factory() as uow:
        with pytest.raises(NotFound, match="can't find case"):
            case_status(ref, OUTSIDER, uow=uow, today=TODAY)
        with pytest.raises(NotFound):
            case_by_ref(sar, TOM, uow=uow)  # Tom is on Surrey only
        assert case_by_ref(sar, BEN, uow=uow).board_id == STOCKPORT


def test_identifying_details_come_only_from_their_own_query_to_members(refer, uow_factory):
    ref = refer().case.reference
    with uow_factory() as uow:
        details = subject_details(ref, ANA, uow=uow)
        with pytest.raises(NotFound):
            subject_details(ref, OUTSIDER, uow=uow)
    assert (details.name, details.date_of_birth.isoformat()) == (SUBJECT, "2014-07-19")
