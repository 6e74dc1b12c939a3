"""Repositories: queries and inserts on one session. They flush when they need ids; never commit.

This module holds what every repository shares (the :class:`Repository` base, the once-only
insert, chunked ``IN`` lists, row locks) and the case repositories: cases, their subjects, key
dates and conversions, and information requests. The others have modules of their own: boards and
members (:mod:`store.board_repositories`), ballots, conflicts and decisions
(:mod:`store.vote_repositories`), deadlines (:mod:`store.deadline_repositories`) and the outbox
(:mod:`store.outbox_repository`).

``for_update=True`` takes a row lock on PostgreSQL (SQLite ignores it: its writers are already
serialised by ``BEGIN IMMEDIATE``, see :mod:`store.db`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.domain.boards import Role
from bot.domain.cases import CaseState
from bot.domain.protocols import Event
from store.models import (
    BoardRow,
    CaseDateRow,
    CaseRow,
    CaseSubjectRow,
    InformationRequestRow,
    MemberRoleRow,
    MemberRow,
    ReferenceCounterRow,
    ReviewConversionRow,
)


def dialect_insert(session: Session, table: type) -> postgresql.Insert | sqlite.Insert:
    """Return an INSERT for ``table`` that supports ON CONFLICT on the session's database."""
    name = session.get_bind().dialect.name
    module = postgresql if name == "postgresql" else sqlite
    return module.insert(table)


def insert_once(session: Session, table: type, unique: list[str], **values: Any) -> int | None:
    """Insert a row unless one with the same ``unique`` columns exists; return the new id or None.

    One ``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` against the unique key, so of two
    transactions inserting the same key exactly one gets an id: the store's once-only claim.
    """
    stmt = (
        dialect_insert(session, table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=unique)
        .returning(table.__table__.c.id)  # type: ignore[attr-defined]
    )
    return session.execute(stmt).scalar_one_or_none()


IN_CHUNK = 1000
"""Most ids one ``IN (...)`` list carries; longer lists are read in chunks of this size."""


def chunked(ids: Iterable[int], size: int | None = None) -> Iterator[list[int]]:
    """Yield ``ids`` (deduplicated, in order) in lists of at most ``size`` (``IN_CHUNK``)."""
    unique, size = list(dict.fromkeys(ids)), size or IN_CHUNK
    for start in range(0, len(unique), size):
        yield unique[start : start + size]


def locked(query: Any) -> Any:
    """Lock the selected rows (PostgreSQL) and reload them, so a waited-for lock sees fresh data."""
    return query.with_for_update().execution_options(populate_existing=True)


class CaseReach(NamedTuple):
    """A case as a person reaches it: the case, its board, their membership and their roles."""

    case: CaseRow
    member: MemberRow | None  # None only when the bot acts (SYSTEM)
    board: BoardRow
    roles: frozenset[Role]


CASE_ACCESS = (
    select(CaseRow, MemberRow, BoardRow, MemberRoleRow.role)
    .join(MemberRow, col(MemberRow.board_id) == col(CaseRow.board_id))
    .join(BoardRow, col(BoardRow.id) == col(CaseRow.board_id))
    .outerjoin(MemberRoleRow, col(MemberRoleRow.member_id) == col(MemberRow.id))
    .where(CaseRow.reference == bindparam("reference"))
    .where(MemberRow.slack_id == bindparam("slack_id"), col(MemberRow.active))
    .order_by(CaseRow.board_id)
)
"""The cases with a reference on a person's boards (``with_reference_for``), built once."""


class Repository:
    """Base of the repositories: a session to work on, and ``add``."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: object) -> None:
        """Add a row and flush it, so its id is known."""
        self.session.add(row)
        self.session.flush()


class CaseRepository(Repository):
    """Cases, their subjects' identifying details, key dates and review-type conversions."""

    def get(self, case_id: int, *, for_update: bool = False) -> CaseRow | None:
        """Return the case by id."""
        query = select(CaseRow).where(CaseRow.id == case_id)
        return self.session.exec(locked(query) if for_update else query).first()

    def by_ids(self, case_ids: Iterable[int]) -> dict[int, CaseRow]:
        """Return the cases with ``case_ids`` by id, in one query per thousand ids."""
        found: dict[int, CaseRow] = {}
        for chunk in chunked(case_ids):
            for row in self.session.exec(select(CaseRow).where(col(CaseRow.id).in_(chunk))):
                found[row.id] = row  # type: ignore[index]
        return found

    def by_reference(
        self, board_id: str, reference: str, *, for_update: bool = False
    ) -> CaseRow | None:
        """Return the board's case with ``reference``; lock it when ``for_update``."""
        query = select(CaseRow).where(CaseRow.board_id == board_id, CaseRow.reference == reference)
        return self.session.exec(locked(query) if for_update else query).first()

    def with_reference(self, reference: str, board_ids: Collection[str]) -> list[CaseRow]:
        """Return the cases called ``reference`` on any of ``board_ids``."""
        query = select(CaseRow).where(
            CaseRow.reference == reference, col(CaseRow.board_id).in_(list(board_ids))
        )
        return list(self.session.exec(query.order_by(CaseRow.board_id)))

    def with_reference_for(self, reference: str, slack_id: str) -> list[CaseReach]:
        """Return the cases called ``reference`` on the person's boards, with what acting needs.

        One query for what every use case looks up first: each case joined to its board, the
        person's active member row on that board and (outer-joined) that member's roles, one row
        per role, folded here into one :class:`CaseReach` per case. The statement is built once
        (:data:`CASE_ACCESS`), as every button and command runs it.
        """
        found: dict[int, tuple[CaseRow, MemberRow, BoardRow, set[Role]]] = {}
        params = {"reference": reference, "slack_id": slack_id}
        for case, member, board, role in self.session.exec(CASE_ACCESS, params=params):
            entry = found.setdefault(case.id, (case, member, board, set()))  # type: ignore[arg-type]
            if role is not None:
                entry[3].add(role)
        return [CaseReach(c, m, b, frozenset(r)) for c, m, b, r in found.values()]

    def by_idempotency_key(self, key: str) -> CaseRow | None:
        """Return the case a redelivered referral already created."""
        return self.session.exec(select(CaseRow).where(CaseRow.idempotency_key == key)).first()

    def of_boards(
        self, board_ids: Collection[str], states: Collection[CaseState] | None = None
    ) -> list[CaseRow]:
        """Return the cases of ``board_ids`` (in ``states`` when given), newest first."""
        query = select(CaseRow).where(col(CaseRow.board_id).in_(list(board_ids)))
        if states is not None:
            query = query.where(col(CaseRow.state).in_(list(states)))
        return list(self.session.exec(query.order_by(col(CaseRow.id).desc())))

    def next_number(self, board_id: str, prefix: str, year: int) -> int:
        """Allocate the next reference number for (board, prefix, year), atomically.

        One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement: on PostgreSQL the
        counter row stays locked until the transaction ends, so two referrals at the same moment
        get different numbers; on SQLite writers are serialised by BEGIN IMMEDIATE.
        """
        table = ReferenceCounterRow.__table__
        stmt = dialect_insert(self.session, ReferenceCounterRow).values(
            board_id=board_id, prefix=prefix, year=year, last=1
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["board_id", "prefix", "year"], set_={"last": table.c.last + 1}
        ).returning(table.c.last)
        return int(self.session.execute(stmt).scalar_one())

    def subject(self, case_id: int) -> CaseSubjectRow | None:
        """Return the identifying details of the case's subject."""
        return self.session.get(CaseSubjectRow, case_id)

    def dates(self, case_id: int) -> dict[Event, date]:
        """Return the case's key dates by event."""
        query = select(CaseDateRow).where(CaseDateRow.case_id == case_id)
        return {row.event: row.occurred_on for row in self.session.exec(query)}

    def set_date(
        self, case_id: int, event: Event, on: date, *, now: datetime, actor: str
    ) -> date | None:
        """Record the day ``event`` happened; return the date it replaced, if any."""
        row = self.session.get(CaseDateRow, (case_id, event))
        if row is None:
            self.session.add(
                CaseDateRow(
                    case_id=case_id,
                    event=event,
                    occurred_on=on,
                    recorded_at=now,
                    recorded_by=actor,
                )
            )
            self.session.flush()
            return None
        before = row.occurred_on
        row.occurred_on, row.recorded_at, row.recorded_by = on, now, actor
        self.session.flush()
        return before

    def conversions(self, case_id: int) -> list[ReviewConversionRow]:
        """Return the case's review-type conversions, oldest first."""
        query = select(ReviewConversionRow).where(ReviewConversionRow.case_id == case_id)
        return list(self.session.exec(query.order_by(col(ReviewConversionRow.id))))


class InformationRequestRepository(Repository):
    """Requests to agencies for information, and their returns."""

    def get(self, request_id: int) -> InformationRequestRow | None:
        """Return the request."""
        return self.session.get(InformationRequestRow, request_id)

    def of_case(self, case_id: int) -> list[InformationRequestRow]:
        """Return the case's requests, oldest first."""
        query = select(InformationRequestRow).where(InformationRequestRow.case_id == case_id)
        return list(self.session.exec(query.order_by(col(InformationRequestRow.id))))
