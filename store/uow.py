"""The unit of work: one transaction per use case, committed or rolled back as one.

Usage::

    uow_factory = make_uow_factory(engine)
    with uow_factory() as uow:
        case = uow.cases.by_reference("surrey-children", "SCR-2026-001", for_update=True)
        ...                       # repositories add and change rows; they never commit
        uow.commit()              # leaving the block without commit() rolls everything back

Repositories are attributes (``boards``, ``members``, ``cases``, ``requests``, ``ballots``,
``conflicts``, ``decisions``, ``deadlines``, ``dispatches``, ``outbox``, ``audit``), all on one
session.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import SessionTransaction, sessionmaker
from sqlmodel import Session

from bot.domain.errors import Conflict
from store.audit import AuditRepository
from store.deadline_repositories import DeadlineRepository, DispatchRepository
from store.outbox_repository import OutboxRepository
from store.repositories import (
    BallotRepository,
    BoardRepository,
    CaseRepository,
    ConflictRepository,
    DecisionRepository,
    InformationRequestRepository,
    MemberRepository,
)

UowFactory = Callable[..., "UnitOfWork"]
"""Makes a unit of work: ``uow_factory()`` for a use case, ``uow_factory(read_only=True)`` for a
query that never writes (on SQLite it begins a plain, deferred transaction, so it takes no write
lock and never waits for a writer)."""

READ_ONLY = "casedesk_read_only"
"""The connection execution option :mod:`store.db` reads to begin a read-only transaction."""


class UnitOfWork:
    """A transaction and the repositories that work inside it.

    Args:
        session_factory: makes the session this unit of work owns.
        read_only: a query that never writes; :meth:`commit` refuses.
    """

    def __init__(self, session_factory: Callable[[], Session], *, read_only: bool = False) -> None:
        self._session_factory = session_factory
        self.read_only = read_only
        self.session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        session = self._session_factory()
        self.session = session
        if self.read_only:  # procure the connection now, marked, before its transaction begins
            session.connection(execution_options={READ_ONLY: True})
        self.dialect = session.get_bind().dialect.name
        self.boards = BoardRepository(session)
        self.members = MemberRepository(session)
        self.cases = CaseRepository(session)
        self.requests = InformationRequestRepository(session)
        self.ballots = BallotRepository(session)
        self.conflicts = ConflictRepository(session)
        self.decisions = DecisionRepository(session)
        self.deadlines = DeadlineRepository(session)
        self.dispatches = DispatchRepository(session)
        self.outbox = OutboxRepository(session)
        self.audit = AuditRepository(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.session is not None
        # close() rolls back whatever was not committed; rows already read stay readable.
        self.session.close()
        self.session = None

    def commit(self) -> None:
        """Commit everything done in this unit of work."""
        assert self.session is not None, "use the unit of work in a with block"
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        self.session.commit()

    def rollback(self) -> None:
        """Undo everything done since the unit of work began (or last committed)."""
        assert self.session is not None, "use the unit of work in a with block"
        self.session.rollback()

    def savepoint(self) -> SessionTransaction:
        """Begin a savepoint: ``with uow.savepoint():`` undoes only its own work if it raises.

        For an optional write that must never undo the rest of the transaction (a notice owed
        with the failure it tells of).
        """
        assert self.session is not None, "use the unit of work in a with block"
        return self.session.begin_nested()

    def flush(self, conflict_message: str | None = None) -> None:
        """Send pending changes to the database now, inside the transaction.

        Args:
            conflict_message: when given, a unique-key violation is rolled back and raised as
                :class:`~bot.domain.errors.Conflict` with this message.
        """
        assert self.session is not None, "use the unit of work in a with block"
        if conflict_message is None:
            self.session.flush()
            return
        try:
            self.session.flush()
        except IntegrityError:
            self.session.rollback()
            raise Conflict(conflict_message) from None


def make_uow_factory(engine: Engine) -> UowFactory:
    """Return a callable that makes a fresh :class:`UnitOfWork` on ``engine`` each call."""
    sessions = sessionmaker(bind=engine, class_=Session, expire_on_commit=False)

    def uow_factory(*, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(sessions, read_only=read_only)

    return uow_factory
