"""Finding a case for a person: one statement, their roles on that board only, nothing for others.

``case_context`` runs first in every button, modal and command, so it reads the case, its board,
the person's membership and their roles in one statement (``CaseRepository.with_reference_for``).
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.domain.boards import ReviewType, Role
from bot.domain.errors import InvalidInput, NotFound
from bot.services.common import SYSTEM, case_context
from store.models import CaseRow
from tests.services.conftest import BEN, OUTSIDER, PRIYA, STOCKPORT, SURREY, TOM
from tests.statements import statements


def test_a_member_s_case_board_membership_and_roles_come_in_one_statement(
    refer, uow_factory, engine
):
    reference = refer().case.reference
    with uow_factory(read_only=True) as uow, statements(engine) as seen:
        ctx = case_context(uow, reference.lower(), PRIYA)
    selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, selects
    assert (ctx.case.reference, ctx.case.board_id) == (reference, SURREY)
    assert ctx.board.id == SURREY and ctx.board.name
    assert ctx.member is not None and ctx.member.slack_id == PRIYA
    assert ctx.roles == {Role.CHAIR, Role.MEMBER}
    assert ctx.actor == PRIYA


def test_roles_are_the_ones_held_on_the_case_s_own_board(refer, uow_factory):
    surrey = refer().case.reference
    stockport = refer(board_id=STOCKPORT, actor=BEN, review_type=ReviewType.SAR).case.reference
    with uow_factory(read_only=True) as uow:
        on_surrey = case_context(uow, surrey, BEN)
        on_stockport = case_context(uow, stockport, BEN)
    assert on_surrey.roles == {Role.BUSINESS_MANAGER, Role.MEMBER}
    assert on_stockport.roles == {Role.BUSINESS_MANAGER}  # not a voting member there
    assert on_stockport.board.id == STOCKPORT


def test_a_member_holding_no_role_is_still_found_with_none(refer, uow_factory):
    reference = refer().case.reference
    with uow_factory() as uow:
        member = uow.members.find(SURREY, TOM)
        uow.members.set_roles(member.id, [])
        uow.commit()
    with uow_factory(read_only=True) as uow:
        ctx = case_context(uow, reference, TOM)
    assert ctx.member is not None and ctx.member.slack_id == TOM
    assert ctx.roles == frozenset()


@pytest.mark.parametrize("who", ["outsider", "deactivated"])
def test_anyone_not_an_active_member_of_the_board_finds_nothing(refer, uow_factory, who):
    reference = refer().case.reference
    person = OUTSIDER
    if who == "deactivated":
        person = TOM
        with uow_factory() as uow:
            uow.members.find(SURREY, TOM).active = False
            uow.commit()
    with uow_factory(read_only=True) as uow, pytest.raises(NotFound, match=reference):
        case_context(uow, reference, person)


def test_a_reference_on_two_of_the_person_s_boards_needs_the_board(refer, uow_factory):
    reference = refer().case.reference
    twin = refer(board_id=STOCKPORT, actor=BEN, review_type=ReviewType.SAR).case.reference
    with uow_factory() as uow:  # the same reference on both of Ben's boards
        row = uow.session.exec(select(CaseRow).where(CaseRow.reference == twin)).one()
        row.reference = reference
        uow.commit()
    with uow_factory(read_only=True) as uow:
        with pytest.raises(InvalidInput, match="more than one of your boards"):
            case_context(uow, reference, BEN)
        ctx = case_context(uow, reference, BEN, STOCKPORT)
        only_surrey = case_context(uow, reference, PRIYA)  # Priya sits on Surrey only
    assert (ctx.case.board_id, ctx.roles) == (STOCKPORT, {Role.BUSINESS_MANAGER})
    assert only_surrey.case.board_id == SURREY


def test_the_bot_finds_a_case_on_the_board_it_names(refer, uow_factory):
    reference = refer().case.reference
    with uow_factory(read_only=True) as uow:
        ctx = case_context(uow, reference, SYSTEM, SURREY)
        with pytest.raises(NotFound):
            case_context(uow, reference, SYSTEM, STOCKPORT)
        with pytest.raises(InvalidInput, match="name the board"):
            case_context(uow, reference, SYSTEM)
    assert (ctx.case.reference, ctx.board.id, ctx.member, ctx.roles) == (
        reference,
        SURREY,
        None,
        frozenset(),
    )
