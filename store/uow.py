"""The unit of work: one transaction per use case, committed or rolled back as one.

Usage::

    uow_factory = make_uow_factory(engine)
    with uow_factory() as uow:
        case = uow.cases.by_reference("surrey-children", "SCR-2026-001", for_update=True)
        ...                       # repositories add and change rows; they never commit
        uow.commit()              # leaving the block without commit() rolls everything back

Repositories are attributes (``boards``, ``members``, ``cases``, ``requests``, ``ballots``,
``conflicts``, ``decisions``, ``deadlines``, ``outbox``, ``audit``), all on one session.

A use case says what it changed with :meth:`UnitOfWork.changed` before it commits. The factory
may be given :class:`CommitHooks`: ``before`` runs inside the transaction with the changes (it
owes their Slack messages, :mod:`bot.notify`), ``after`` once it has committed (it wakes the
sender). The store knows nothing of Slack: the hooks are handed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import SessionTransaction, sessionmaker
from sqlmodel import Session

from bot.domain.errors import Conflict
from store.audit import AuditRepository
from store.board_repositories import BoardRepository, MemberRepository
from store.deadline_repositories import DeadlineRepository
from store.outbox_repository import OutboxRepository
from store.repositories import CaseRepository, InformationRequestRepository
from store.vote_repositories import BallotRepository, ConflictRepository, DecisionRepository

UowFactory = Callable[..., "UnitOfWork"]
"""Makes a unit of work: ``uow_factory()`` for a use case, ``uow_factory(read_only=True)`` for a
query that never writes (on SQLite it begins a plain, deferred transaction, so it takes no write
lock and never waits for a writer)."""

READ_ONLY = "casedesk_read_only"
"""The connection execution option :mod:`store.db` reads to begin a read-only transaction."""


@dataclass(frozen=True)
class Changed:
    """A change a use case made, and the audit event it wrote for it (what its messages key on)."""

    change: Any
    event_id: int | None


@dataclass(frozen=True)
class CommitHooks:
    """What runs around a unit of work's commit.

    Attributes:
        before: inside the transaction, with the changes made: writes what they owe.
        after: once committed (only if anything was changed): wakes whoever sends it.
    """

    before: Callable[[UnitOfWork, Sequence[Changed]], None]
    after: Callable[[], None]


class UnitOfWork:
    """A transaction and the repositories that work inside it.

    Args:
        session_factory: makes the session this unit of work owns.
        read_only: a query that never writes; :meth:`commit` refuses.
        hooks: what runs around :meth:`commit` (none: the changes owe nothing).
    """

    def __init__(
        self,
        session_factory: Callable[[], Session],
        *,
        read_only: bool = False,
        hooks: CommitHooks | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.read_only = read_only
        self.hooks = hooks
        self.session: Session | None = None
        self.changes: list[Changed] = []

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

    def changed(self, change: Any) -> None:
        """Note what the use case changed, keyed by the audit event it appended last."""
        self.changes.append(Changed(change, self.audit.last_id))

    def commit(self) -> None:
        """Commit everything done here, with what the changes owe (the hooks') in the same go."""
        assert self.session is not None, "use the unit of work in a with block"
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        changes, self.changes = self.changes, []
        if self.hooks is not None and changes:
            self.hooks.before(self, changes)
        self.session.commit()
        self.audit.last_id = None
        if self.hooks is not None and changes:
            self.hooks.after()

    def rollback(self) -> None:
        """Undo everything done since the unit of work began (or last committed)."""
        assert self.session is not None, "use the unit of work in a with block"
        self.session.rollback()
        self.changes = []

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


def make_uow_factory(engine: Engine, *, hooks: CommitHooks | None = None) -> UowFactory:
    """Return a callable that makes a fresh :class:`UnitOfWork` on ``engine`` each call."""
    sessions = sessionmaker(bind=engine, class_=Session, expire_on_commit=False)

    def uow_factory(*, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(sessions, read_only=read_only, hooks=hooks)

    return uow_factory


def with_hooks(uow_factory: UowFactory, hooks: CommitHooks) -> UowFactory:
    """Return a factory like ``uow_factory`` whose units of work run ``hooks`` at commit."""

    def hooked(*, read_only: bool = False) -> UnitOfWork:
        uow = uow_factory(read_only=read_only)
        uow.hooks = hooks
        return uow

    return hooked
