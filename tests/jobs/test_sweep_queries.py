"""The sweep and the digest make the same number of SQL statements for N cases as for 2N.

A correctness property, not a timing: a sweep over tens of thousands of open deadlines (PRODUCT.md
§Scale) must not query once per deadline or per case (an N+1). Statements are counted with
SQLAlchemy's ``before_cursor_execute`` event on the test's engine.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from bot.domain.cases import CaseState
from store.models import BoardRow
from tests.jobs.conftest import SURREY
from tests.statements import statements

DUE = date(2026, 3, 9)  # lead 5 falls on Mon 2 Mar; the vote reminders (2, 1, 0) from Thu 5 Mar


@pytest.fixture
def add_cases(make_case, uow_factory) -> Callable[[int], None]:
    """Add ``n`` cases with a deadline due 9 Mar; every other one is in voting on that deadline."""
    with uow_factory() as uow:
        board = uow.session.get(BoardRow, SURREY)
        board.step_rules = {**board.step_rules, "close_voting": ["test-rule"]}
        uow.commit()

    def _add(n: int) -> None:
        for i in range(n):
            reference, _ = make_case(DUE)
            if i % 2:
                with uow_factory() as uow:
                    case = uow.cases.by_reference(SURREY, reference)
                    case.state, case.voting_round = CaseState.VOTING, 1
                    uow.commit()

    return _add


def test_a_sweep_with_nothing_due_makes_as_many_statements_for_2n_cases_as_for_n(
    add_cases, run_sweep, engine
):
    add_cases(4)
    sent_first = run_sweep().sent
    with statements(engine) as for_n:
        quiet_n = run_sweep()
    add_cases(4)
    sent_more = run_sweep().sent
    with statements(engine) as for_2n:
        quiet_2n = run_sweep()

    assert (sent_first, sent_more) == (4, 4)  # the owners' lead-5 reminders, then nothing due
    assert (quiet_n.considered, quiet_n.sent, quiet_2n.considered, quiet_2n.sent) == (4, 0, 8, 0)
    assert len(for_2n) == len(for_n), "\n".join(for_2n)
    assert len(for_n) <= 20


def test_the_digest_makes_as_many_statements_for_2n_cases_as_for_n(
    add_cases, run_digest, engine, at
):
    at(2026, 3, 2, 9, 5)
    add_cases(3)
    with statements(engine) as for_n:
        posted_n = run_digest()
    at(2026, 3, 3, 9, 5)
    add_cases(3)
    with statements(engine) as for_2n:
        posted_2n = run_digest()

    assert (posted_n, posted_2n) == (2, 2)  # Surrey's and Stockport's
    assert len(for_2n) == len(for_n), "\n".join(for_2n)
