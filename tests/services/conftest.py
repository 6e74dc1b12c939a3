"""Helpers for service tests: the example board's people, a runner, and direct row access."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlmodel import select

from bot.domain.boards import ReviewType
from bot.domain.cases import CaseState
from bot.services.cases import CaseReferred, ReferCase, refer_case
from store.models import AuditEventRow, CaseRow

BEN = "U0BEN00001"  # business manager and member
PRIYA = "U0PRI00002"  # chair and member
TOM = "U0TOM00003"  # member
ANA = "U0ANA00004"  # member
GRACE = "U0GRA00005"  # decision-maker
SAM = "U0SAM00006"  # admin
OUTSIDER = "U0NOT00099"  # on no board
SURREY = "surrey-children"
STOCKPORT = "stockport-adults"
SUBJECT = "Zebedee Quartermain-Okonkwo"  # distinctive, so a leak is easy to search for
SUBJECT_DOB = date(2014, 7, 19)
SUBJECT_ADDRESS = "17 Lantern Row, Guildford"


@pytest.fixture
def run(uow_factory, clock) -> Callable[..., Any]:
    """Run one use case in its own unit of work at the clock's time: ``run(service, cmd)``."""

    def _run(service: Callable[..., Any], cmd: Any) -> Any:
        with uow_factory() as uow:
            return service(cmd, uow=uow, now=clock.now())

    return _run


@pytest.fixture
def refer(run, board) -> Callable[..., CaseReferred]:
    """Refer a Surrey SCR case with a distinctive subject; keyword arguments override."""

    def _refer(**overrides: Any) -> CaseReferred:
        fields: dict[str, Any] = {
            "board_id": SURREY,
            "actor": TOM,
            "review_type": ReviewType.SCR,
            "pseudonym": "Child A",
            "subject_name": SUBJECT,
            "date_of_birth": SUBJECT_DOB,
            "address": SUBJECT_ADDRESS,
            "summary": f"{SUBJECT} was found injured at home.",
            "referring_agency": "Surrey Police",
        }
        fields.update(overrides)
        return run(refer_case, ReferCase(**fields))

    return _refer


@pytest.fixture
def audit_rows(uow_factory) -> Callable[..., list[AuditEventRow]]:
    """Return audit events (optionally of one case reference), oldest first per chain."""

    def _rows(reference: str | None = None, action: str | None = None) -> list[AuditEventRow]:
        with uow_factory() as uow:
            rows = list(uow.audit.events())
        rows = [r for r in rows if reference is None or r.case_reference == reference]
        return [r for r in rows if action is None or r.action == action]

    return _rows


@pytest.fixture
def case_row(uow_factory) -> Callable[[str], CaseRow]:
    """Return the Surrey case row with a reference, read fresh."""

    def _row(reference: str, board_id: str = SURREY) -> CaseRow:
        with uow_factory() as uow:
            row = uow.cases.by_reference(board_id, reference)
            assert row is not None
            return row

    return _row


@pytest.fixture
def force_state(uow_factory) -> Callable[[str, CaseState], None]:
    """Put a Surrey case straight into a state (to test a step from it)."""

    def _force(reference: str, state: CaseState) -> None:
        with uow_factory() as uow:
            row = uow.session.exec(select(CaseRow).where(CaseRow.reference == reference)).one()
            row.state = state
            uow.commit()

    return _force


def payload(row: AuditEventRow) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return an audit event's before and after values."""
    return json.loads(row.before), json.loads(row.after)
