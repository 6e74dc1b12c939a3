"""The batch reads the sweep uses instead of one query per case, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.votes import Recommendation
from store import repositories
from store.models import BallotRow, ConflictRow, MemberRow
from tests.store.test_uow import NOW, add_board, add_case, add_deadline


def add_member(uow, slack_id: str, *, board_id: str = "test-board", active: bool = True) -> int:
    row = MemberRow(
        board_id=board_id, slack_id=slack_id, name=slack_id, active=active, joined_at=NOW
    )
    uow.members.add(row)
    return row.id


def ballot(case_id: int, member_id: int, round_: int) -> BallotRow:
    return BallotRow(
        case_id=case_id,
        member_id=member_id,
        round=round_,
        version=1,
        recommendation=Recommendation.NO_FURTHER_ACTION,
        rationale="Enough learning already.",
        cast_at=NOW,
    )


def test_cases_by_ids_reads_every_chunk_and_skips_unknown_ids(uow_factory, monkeypatch):
    monkeypatch.setattr(repositories, "IN_CHUNK", 2)
    with uow_factory() as uow:
        add_board(uow)
        ids = [add_case(uow, reference=f"SCR-2026-00{n}").id for n in range(5)]
        uow.commit()
    with uow_factory() as uow:
        found = uow.cases.by_ids([*ids, ids[0], 9999])
        assert sorted(found) == sorted(ids)
        assert {found[i].reference for i in ids} == {f"SCR-2026-00{n}" for n in range(5)}
        assert uow.cases.by_ids([]) == {}


def test_voters_and_conflicts_by_case_count_only_the_current_round(uow_factory):
    with uow_factory() as uow:
        add_board(uow)
        first, second = add_case(uow, reference="SCR-2026-001"), add_case(uow, reference="X-2")
        ana, tom, sam = (add_member(uow, s) for s in ("U0ANA00004", "U0TOM00003", "U0SAM00006"))
        first.voting_round, second.voting_round = 1, 2
        for row in (ballot(first.id, ana, 1), ballot(second.id, tom, 1), ballot(second.id, sam, 2)):
            uow.ballots.add(row)
        uow.session.add(ConflictRow(case_id=first.id, member_id=tom, reason="x", declared_at=NOW))
        uow.commit()
        case_ids = (first.id, second.id)
    with uow_factory() as uow:
        assert uow.ballots.voters_by_case(case_ids) == {case_ids[0]: {ana}, case_ids[1]: {sam}}
        assert uow.conflicts.members_by_case(case_ids) == {case_ids[0]: {tom}}


@pytest.mark.parametrize("boards", [("test-board", "other-board")])
def test_members_of_boards_lists_the_active_members_of_each_board(uow_factory, boards):
    with uow_factory() as uow:
        for board_id in boards:
            add_board(uow, board_id)
        add_member(uow, "U0ANA00004")
        add_member(uow, "U0TOM00003", active=False)
        add_member(uow, "U0SAM00006", board_id="other-board")
        uow.commit()
    with uow_factory() as uow:
        members = uow.members.of_boards(boards)
        assert [(m.board_id, m.slack_id) for m in members] == [
            ("other-board", "U0SAM00006"),
            ("test-board", "U0ANA00004"),
        ]


def test_running_due_by_with_a_board_reads_only_that_boards_deadlines(uow_factory):
    with uow_factory() as uow:
        add_board(uow)
        add_board(uow, "other-board")
        ours = add_case(uow).id
        theirs = add_case(uow, "other-board", "SAR-2026-001").id
        mine = [add_deadline(uow, ours, date(2026, 3, d)).id for d in (4, 3)]
        add_deadline(uow, theirs, date(2026, 3, 3))
        uow.commit()
    with uow_factory() as uow:
        filtered = [
            d.id for d in uow.deadlines.running_due_by(date(2026, 3, 9), board_id="test-board")
        ]
        every = uow.deadlines.running_due_by(date(2026, 3, 9))

    assert filtered == [mine[1], mine[0]]  # soonest first, the other board's left out
    assert len(every) == 3
