"""Board sync: idempotent, audited, and nobody is ever deleted."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from bot.domain.board_file import load_board_file
from bot.domain.boards import Role
from bot.domain.votes import Quorum
from bot.domain.votes import Recommendation as R
from bot.services.boards import sync_board_file, sync_boards
from bot.services.voting import CastVote, OpenVoting, cast_vote, open_voting
from tests.services.conftest import ANA, PRIYA, STOCKPORT, SURREY


def _sync(uow_factory, clock, boards):
    with uow_factory() as uow:
        return sync_boards(boards, uow=uow, now=clock.now())


def test_the_first_sync_creates_the_boards_members_and_roles(board, uow_factory, audit_rows):
    with uow_factory() as uow:
        surrey = uow.boards.get(SURREY)
        members = uow.members.of_board(SURREY)
        roles = uow.members.roles_of(m.id for m in members)
    assert (surrey.channel_id, surrey.quorum, surrey.vote_visibility.value) == (
        "C0CASEREV01",
        "majority",
        "hidden_until_close",
    )
    assert surrey.reference_prefixes["scr"] == "SCR"
    assert surrey.step_rules == {
        "close_voting": ["sub-group-recommendation"],
        "record_decision": ["chair-decision"],
    }
    assert {m.name: sorted(roles[m.id]) for m in members}["Priya Raman"] == [
        Role.CHAIR,
        Role.MEMBER,
    ]
    actions = [r.action for r in audit_rows() if r.board_id == SURREY]
    assert actions == ["board_created"] + ["member_added"] * 6


def test_syncing_the_same_file_twice_changes_nothing_the_second_time(
    board, board_file, uow_factory, clock, audit_rows
):
    before = [(r.chain, r.seq, r.hash) for r in audit_rows()]
    first_synced = clock.now()
    clock.advance(timedelta(days=1))
    with uow_factory() as uow:
        again = sync_board_file(board_file, uow=uow, now=clock.now())
    assert not again.changed
    assert [(r.chain, r.seq, r.hash) for r in audit_rows()] == before
    with uow_factory() as uow:
        assert uow.boards.get(SURREY).synced_at == first_synced


def test_a_removed_member_is_deactivated_and_their_votes_stay(
    board, board_file, run, refer, uow_factory, clock, audit_rows
):
    ref = refer().case.reference
    run(open_voting, OpenVoting(ref, PRIYA))
    run(cast_vote, CastVote(ref, ANA, R.NO_FURTHER_ACTION, "x"))
    surrey, stockport = load_board_file(board_file)
    without_ana = replace(surrey, members=tuple(m for m in surrey.members if m.slack_id != ANA))
    out = _sync(uow_factory, clock, [without_ana, stockport])
    assert out.members_deactivated == (f"{SURREY}/{ANA}",) and out.members_added == ()
    with uow_factory() as uow:
        ana = uow.members.find(SURREY, ANA)
        case = uow.cases.by_reference(SURREY, ref)
        ballots = uow.ballots.history(case.id)
        assert (ana.active, ana.left_at) == (False, clock.now())
        assert [b.member_id for b in ballots] == [ana.id]
        assert ANA not in [m.slack_id for m in uow.members.of_board(SURREY)]
    (event,) = audit_rows(action="member_deactivated")
    assert json.loads(event.after) == {"active": False}
    back = _sync(uow_factory, clock, [surrey, stockport])
    assert back.members_updated == (f"{SURREY}/{ANA}",)
    with uow_factory() as uow:
        assert uow.members.find(SURREY, ANA).active


def test_a_changed_role_and_setting_are_updated_and_audited(
    board, board_file, uow_factory, clock, audit_rows
):
    surrey, stockport = load_board_file(board_file)
    ana = next(m for m in surrey.members if m.slack_id == ANA)
    promoted = replace(ana, roles=frozenset({Role.MEMBER, Role.CHAIR}))
    changed = replace(
        surrey,
        quorum=Quorum(votes=2),
        members=tuple(promoted if m.slack_id == ANA else m for m in surrey.members),
    )
    out = _sync(uow_factory, clock, [changed, stockport])
    assert (out.boards_updated, out.members_updated) == ((SURREY,), (f"{SURREY}/{ANA}",))
    with uow_factory() as uow:
        assert uow.boards.get(SURREY).quorum == "2"
        assert uow.members.roles(uow.members.find(SURREY, ANA).id) == {Role.MEMBER, Role.CHAIR}
    (board_event,) = audit_rows(action="board_updated")
    assert (json.loads(board_event.before), json.loads(board_event.after)) == (
        {"quorum": "majority"},
        {"quorum": "2"},
    )
    (member_event,) = audit_rows(action="member_updated")
    assert json.loads(member_event.after) == {"roles": ["chair", "member"]}


def test_a_board_left_out_of_the_file_is_deactivated_not_deleted(
    board, board_file, uow_factory, clock
):
    surrey, _ = load_board_file(board_file)
    out = _sync(uow_factory, clock, [surrey])
    assert out.boards_deactivated == (STOCKPORT,)
    with uow_factory() as uow:
        assert uow.boards.get(STOCKPORT).active is False
        assert [b.id for b in uow.boards.all()] == [SURREY]
        assert len(uow.members.of_board(STOCKPORT)) == 5  # its people stay on record
