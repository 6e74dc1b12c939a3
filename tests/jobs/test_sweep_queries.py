"""The sweep and the digest make no query per deadline or per case (no N+1).

A correctness property, not a timing: a sweep over tens of thousands of open deadlines (PRODUCT.md
§Scale) must not query once per deadline or per case. The sweep plans and owes in one transaction:
its reads are the same for N deadlines as for 2N, and it writes one ``INSERT`` per row it owes.
Statements are counted with SQLAlchemy's ``before_cursor_execute`` event on the test's engine.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from bot.domain.cases import CaseState
from bot.jobs import owe_digests
from store.models import BoardRow
from tests.jobs.conftest import SURREY
from tests.statements import statements

DUE = date(2026, 3, 9)  # lead 5 falls on Mon 2 Mar, lead 2 on Thu 5 Mar, lead 1 on Fri 6 Mar
VOTERS = 4  # Ben, Priya, Tom and Ana: each is owed a vote reminder on a case in voting


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


def inserts(seen: list[str]) -> list[str]:
    """Return the INSERT statements of ``seen``."""
    return [s for s in seen if s.lstrip().upper().startswith("INSERT")]


def test_a_sweep_with_nothing_due_makes_as_many_statements_for_2n_cases_as_for_n(
    add_cases, run_tick, run_sweep, engine
):
    add_cases(4)
    first = run_tick()
    with statements(engine) as for_n:
        quiet_n = run_sweep()
    add_cases(4)
    more = run_tick()
    with statements(engine) as for_2n:
        quiet_2n = run_sweep()

    # the owners' lead-5 reminders (and the day's digests, the first time), then nothing due
    assert (first.claimed, first.sent, more.claimed, more.sent) == (4, 6, 4, 4)
    assert (quiet_n.considered, quiet_n.claimed, quiet_2n.considered, quiet_2n.claimed) == (
        4,
        0,
        8,
        0,
    )
    assert len(for_2n) == len(for_n), "\n".join(for_2n)
    assert inserts(for_n) == [] and len(for_n) <= 20


def test_a_sweep_owing_reminders_reads_as_much_for_2n_cases_and_inserts_one_row_per_reminder(
    add_cases, run_sweep, engine, at
):
    at(2026, 3, 5, 10)  # lead 2, and the vote reminders' lead 2
    add_cases(2)
    with statements(engine) as for_n:
        owed_n = run_sweep()
    at(2026, 3, 6, 10)  # lead 1 for all four cases, and the vote reminders' lead 1
    add_cases(2)
    with statements(engine) as for_2n:
        owed_2n = run_sweep()

    rows_n, rows_2n = 2 + 1 * VOTERS, 4 + 2 * VOTERS  # owners' and voters' rows
    assert (owed_n.considered, owed_n.claimed, owed_n.digests) == (2, rows_n, 2)
    assert (owed_2n.considered, owed_2n.claimed, owed_2n.digests) == (4, rows_2n, 2)
    assert len(inserts(for_n)) == rows_n + 2 and len(inserts(for_2n)) == rows_2n + 2
    reads_n = [s for s in for_n if s not in inserts(for_n)]
    reads_2n = [s for s in for_2n if s not in inserts(for_2n)]
    assert len(reads_2n) == len(reads_n), "\n".join(reads_2n)


def test_the_digest_makes_as_many_statements_for_2n_cases_as_for_n(
    add_cases, uow_factory, sender, clock, engine, at
):
    def owe_and_send() -> tuple[int, int]:
        owed = owe_digests(uow_factory, clock.now())
        return owed, sender.drain().sent

    at(2026, 3, 2, 9, 5)
    add_cases(3)
    with statements(engine) as for_n:
        done_n = owe_and_send()
    at(2026, 3, 3, 9, 5)
    add_cases(3)
    with statements(engine) as for_2n:
        done_2n = owe_and_send()

    assert (done_n, done_2n) == ((2, 2), (2, 2))  # Surrey's and Stockport's, owed and posted
    assert len(for_2n) == len(for_n), "\n".join(for_2n)
