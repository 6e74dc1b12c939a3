"""Repositories for deadlines and the reminder dispatches claimed for them. They never commit.

``DispatchRepository.claim`` is the once-only guarantee of reminders: an insert against the
unique (deadline, slot key) key. ``DeadlineRepository.running_due_by(..., skip_locked=True)`` lets
several sweepers on PostgreSQL share the open deadlines without waiting on each other.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select

from bot.domain.deadlines import RUNNING, DeadlineStatus
from store.models import BoardDispatchRow, CaseRow, DeadlineRow, ReminderDispatchRow
from store.repositories import Repository, insert_once, locked

BOARD_CLAIM_LEASE = timedelta(minutes=10)
"""How long a board's claimed send is its claimer's before another may take it over."""


def delivered(dispatch: ReminderDispatchRow) -> tuple[str, ...]:
    """Return the Slack user IDs the dispatch's DM already reached, in the order reached."""
    return tuple(dispatch.delivered_to.split())


class DeadlineRepository(Repository):
    """Deadlines computed from protocols."""

    def get(self, deadline_id: int, *, for_update: bool = False) -> DeadlineRow | None:
        """Return the deadline."""
        query = select(DeadlineRow).where(DeadlineRow.id == deadline_id)
        return self.session.exec(locked(query) if for_update else query).first()

    def of_case(
        self, case_id: int, statuses: Collection[DeadlineStatus] | None = None
    ) -> list[DeadlineRow]:
        """Return the case's deadlines (in ``statuses`` when given) by due date."""
        return self.of_cases([case_id], statuses)

    def of_cases(
        self, case_ids: Collection[int], statuses: Collection[DeadlineStatus] | None = None
    ) -> list[DeadlineRow]:
        """Return the deadlines of several cases by due date."""
        query = select(DeadlineRow).where(col(DeadlineRow.case_id).in_(list(case_ids)))
        if statuses is not None:
            query = query.where(col(DeadlineRow.status).in_(list(statuses)))
        return list(self.session.exec(query.order_by(DeadlineRow.due_on, col(DeadlineRow.id))))

    def running_due_by(
        self,
        day: date,
        *,
        limit: int | None = None,
        skip_locked: bool = False,
        board_id: str | None = None,
    ) -> list[DeadlineRow]:
        """Return open and extended deadlines due on or before ``day``, soonest first.

        Uses the (status, due_on) index. With ``skip_locked`` the rows are locked FOR UPDATE
        SKIP LOCKED on PostgreSQL, so several sweepers share the work without waiting. With
        ``board_id``, only the deadlines of that board's cases.
        """
        query = (
            select(DeadlineRow)
            .where(col(DeadlineRow.status).in_(RUNNING), DeadlineRow.due_on <= day)
            .order_by(DeadlineRow.due_on, col(DeadlineRow.id))
        )
        if board_id is not None:
            query = query.join(CaseRow, col(CaseRow.id) == DeadlineRow.case_id).where(
                CaseRow.board_id == board_id
            )
        if limit is not None:
            query = query.limit(limit)
        if skip_locked:
            query = query.with_for_update(skip_locked=True)
        return list(self.session.exec(query))


class DispatchRepository(Repository):
    """Reminder dispatches: one per (deadline, slot key), claimed before sending."""

    def claim(
        self,
        deadline_id: int,
        slot_key: str,
        *,
        lead: int = 0,
        now: datetime,
        claimed_by: str = "",
        retry_at: datetime | None = None,
    ) -> ReminderDispatchRow | None:
        """Claim the reminder slot (deadline, key); return None if it was already claimed.

        A single ``INSERT ... ON CONFLICT DO NOTHING`` against the unique key, so two sweepers
        (or two instances) can never both claim it. The key is ``ReminderDue.key``, which carries
        the due date, so an extended deadline's new reminders do not collide with the old ones.

        Args:
            deadline_id: the deadline reminded about.
            slot_key: the slot's stable key (``lead:<N>:<due>``, ``overdue:<day>``, ...).
            lead: working days before the due day (negative: overdue), kept for reporting.
            now: when the claim is made.
            claimed_by: the instance claiming it.
            retry_at: when a later sweep may retry it if this claimer never reports back (a
                lease: a crash between claim and send then delays the reminder, never loses it).
        """
        new_id = insert_once(
            self.session,
            ReminderDispatchRow,
            ["deadline_id", "slot_key"],
            deadline_id=deadline_id,
            slot_key=slot_key,
            lead=lead,
            claimed_at=now,
            claimed_by=claimed_by,
            next_attempt_at=retry_at,
        )
        return None if new_id is None else self.session.get(ReminderDispatchRow, new_id)

    def claimed_keys(self, deadline_ids: Collection[int]) -> dict[int, set[str]]:
        """Return the slot keys already claimed, per deadline (sent or not)."""
        found: dict[int, set[str]] = {d: set() for d in deadline_ids}
        if not found:
            return found
        query = select(ReminderDispatchRow.deadline_id, ReminderDispatchRow.slot_key).where(
            col(ReminderDispatchRow.deadline_id).in_(list(found))
        )
        for deadline_id, key in self.session.exec(query):
            found[deadline_id].add(key)
        return found

    def claim_board(
        self, board_id: str, slot_key: str, *, now: datetime, claimed_by: str = ""
    ) -> BoardDispatchRow | None:
        """Claim a board's once-only send (``digest:<day>``); None if another has it.

        A claim left unsent for longer than :data:`BOARD_CLAIM_LEASE` (its sender died between
        claiming and recording) is taken over, by a compare-and-set on its ``claimed_at``, so
        the day's send is delayed, never lost; of two takers only one wins.
        """
        new_id = insert_once(
            self.session,
            BoardDispatchRow,
            ["board_id", "slot_key"],
            board_id=board_id,
            slot_key=slot_key,
            claimed_at=now,
            claimed_by=claimed_by,
        )
        if new_id is not None:
            return self.session.get(BoardDispatchRow, new_id)
        table = BoardDispatchRow.__table__
        stmt = (
            update(table)
            .where(table.c.board_id == board_id, table.c.slot_key == slot_key)
            .where(table.c.sent_at.is_(None), table.c.claimed_at <= now - BOARD_CLAIM_LEASE)
            .values(claimed_at=now, claimed_by=claimed_by)
            .returning(table.c.id)
        )
        taken = self.session.execute(stmt).scalar_one_or_none()
        self.session.expire_all()
        return None if taken is None else self.session.get(BoardDispatchRow, taken)

    def get(self, dispatch_id: int) -> ReminderDispatchRow | None:
        """Return the dispatch."""
        return self.session.get(ReminderDispatchRow, dispatch_id)

    def of_deadline(self, deadline_id: int) -> list[ReminderDispatchRow]:
        """Return the deadline's dispatches, oldest first."""
        query = select(ReminderDispatchRow).where(ReminderDispatchRow.deadline_id == deadline_id)
        return list(self.session.exec(query.order_by(col(ReminderDispatchRow.id))))

    def mark_sent(
        self, dispatch: ReminderDispatchRow, *, now: datetime, note: str | None = None
    ) -> None:
        """Record that the reminder went out (``note``: recipients given up, else no error)."""
        dispatch.sent_at = now
        dispatch.attempts += 1
        dispatch.last_error = note[:2000] if note else None
        dispatch.next_attempt_at = None
        self.session.flush()

    def add_delivered(self, dispatch: ReminderDispatchRow, users: Iterable[str]) -> None:
        """Add ``users`` to the recipients the slot's DM reached (``delivered_to``), kept in order.

        A retry then sends only to the recipients not listed. The caller holds the dispatch (its
        claim or lease), so nobody else writes the row meanwhile.
        """
        reached = dict.fromkeys(delivered(dispatch))
        reached.update(dict.fromkeys(users))
        dispatch.delivered_to = " ".join(reached)
        self.session.flush()

    def mark_failed(
        self, dispatch: ReminderDispatchRow, *, error: str, retry_at: datetime | None
    ) -> None:
        """Record a failed attempt and when to try again (None: never, it failed for good)."""
        dispatch.attempts += 1
        dispatch.last_error = error[:2000]
        dispatch.next_attempt_at = retry_at
        self.session.flush()

    def defer(self, dispatch: ReminderDispatchRow, *, until: datetime) -> None:
        """Move a due retry to ``until`` without counting an attempt (nothing was sent)."""
        dispatch.next_attempt_at = until
        self.session.flush()

    def lease(self, dispatch_id: int, *, seen: datetime, until: datetime) -> bool:
        """Take a due retry for this sweeper: move its retry time from ``seen`` to ``until``.

        A compare-and-set on ``next_attempt_at``, so of two sweepers retrying the same dispatch
        only one wins. Returns whether this one did.
        """
        table = ReminderDispatchRow.__table__
        stmt = (
            update(table)
            .where(table.c.id == dispatch_id, table.c.sent_at.is_(None))
            .where(table.c.next_attempt_at == seen)
            .values(next_attempt_at=until)
        )
        won = self.session.execute(stmt).rowcount == 1
        self.session.expire_all()
        return won

    def get_board(self, dispatch_id: int) -> BoardDispatchRow | None:
        """Return a board's claimed send."""
        return self.session.get(BoardDispatchRow, dispatch_id)

    def release_board(self, dispatch: BoardDispatchRow) -> None:
        """Give up a board claim that could not be sent, so a later sweep claims it again."""
        self.session.delete(dispatch)
        self.session.flush()

    def mark_board_sent(self, dispatch: BoardDispatchRow, *, now: datetime) -> None:
        """Record that the board's send went out."""
        dispatch.sent_at = now
        dispatch.attempts += 1
        self.session.flush()

    def due_retries(self, now: datetime, *, limit: int = 100) -> list[ReminderDispatchRow]:
        """Return unsent dispatches whose retry time has come."""
        query = (
            select(ReminderDispatchRow)
            .where(col(ReminderDispatchRow.sent_at).is_(None))
            .where(col(ReminderDispatchRow.next_attempt_at) <= now)
            .order_by(col(ReminderDispatchRow.next_attempt_at))
            .limit(limit)
        )
        return list(self.session.exec(query))
