"""The outbox: every Slack message casedesk owes, written in the transaction that owes it.

Like every repository it never commits.

:meth:`OutboxRepository.owe` is an ``INSERT ... ON CONFLICT DO NOTHING`` on the row's typed
unique key (a change's, a reminder slot's, a digest's or a notice's: see
:class:`store.models.OutboxRow`), so whatever owes a message twice owes it once. ``lease`` is a
compare-and-set on ``next_attempt_at``, so of two senders that read the same due row only one
sends it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select

from store.models import OutboxRow
from store.repositories import Repository, chunked, insert_once

KEYS: tuple[tuple[str, ...], ...] = (
    ("change_id", "template", "recipient"),
    ("deadline_id", "slot", "recipient"),
    ("digest_on", "board_id"),
    ("about_id", "recipient"),
)
"""The typed unique keys, each led by the column only its rows set (a digest's by its day, not
its board, which nearly every row has): the first whose leading column a row sets is its key."""


class OutboxRepository(Repository):
    """Owed Slack messages: owed, leased, then marked sent or failed."""

    def owe(self, *, now: datetime, **values: Any) -> int | None:
        """Owe a message, due at once; return its id, or None when its key is owed already.

        Args:
            now: when it is owed; also when it is first due.
            **values: the row's columns (``board_id``, ``kind``, ``template``, ``recipient``,
                one key group, and ``payload``, ``case_id``, ``lead`` as they apply). A row
                with no key (a home redrawn because its owner opened it) is always inserted.
        """
        key = next((k for k in KEYS if values.get(k[0]) is not None), None)
        row = {**values, "created_at": now, "next_attempt_at": now}
        if key is None:
            added = OutboxRow(**row)
            self.session.add(added)
            self.session.flush()
            return added.id
        return insert_once(self.session, OutboxRow, list(key), **row)

    def get(self, row_id: int) -> OutboxRow | None:
        """Return the row."""
        return self.session.get(OutboxRow, row_id)

    def due(self, now: datetime, *, limit: int = 100) -> list[OutboxRow]:
        """Return unsent rows whose time has come, oldest first.

        Uses the (sent_at, next_attempt_at) index. A row that failed for good has no
        ``next_attempt_at`` and is never due again.
        """
        query = (
            select(OutboxRow)
            .where(col(OutboxRow.sent_at).is_(None))
            .where(col(OutboxRow.next_attempt_at) <= now)
            .order_by(col(OutboxRow.id))
            .limit(limit)
        )
        return list(self.session.exec(query))

    def next_due(self) -> datetime | None:
        """Return when the earliest unsent row that is still owed falls due (None: none owed)."""
        query = select(func.min(OutboxRow.next_attempt_at)).where(col(OutboxRow.sent_at).is_(None))
        return self.session.exec(query).one()

    def lease(self, row_id: int, *, seen: datetime, until: datetime, claimed_by: str) -> bool:
        """Take a due row for this sender: move its time from ``seen`` to ``until``.

        A compare-and-set on ``next_attempt_at``: of two senders that saw the same due row,
        only one wins; the loser's update matches nothing. Returns whether this one won. The
        row is marked ``uncertain`` until its outcome is recorded: if this sender dies while
        sending, the next one looks for the message before sending it again.
        """
        table = OutboxRow.__table__
        stmt = (
            update(table)
            .where(table.c.id == row_id, table.c.sent_at.is_(None))
            .where(table.c.next_attempt_at == seen)
            .values(next_attempt_at=until, claimed_by=claimed_by, uncertain=True)
        )
        won = self.session.execute(stmt).rowcount == 1
        self.session.expire_all()
        return won

    def mark_sent(
        self,
        row: OutboxRow,
        *,
        now: datetime,
        channel: str | None = None,
        ts: str | None = None,
        note: str | None = None,
    ) -> None:
        """Record that Slack took it (where, when known); clear the payload.

        Args:
            row: the row.
            now: when.
            channel: the channel Slack put it in.
            ts: its ``ts``.
            note: why nothing was sent, for a row settled without a call (its case gone, its
                deadline no longer running); None when Slack took it.
        """
        row.sent_at = now
        row.attempts += 1
        row.payload = None
        row.last_error = note
        row.next_attempt_at = None
        row.channel, row.ts = channel, ts
        row.uncertain = False
        self.session.flush()

    def mark_failed(
        self, row: OutboxRow, *, error: str, retry_at: datetime | None, uncertain: bool = False
    ) -> None:
        """Record a failed attempt and when to try again (None: never, it failed for good).

        A row that failed for good will never be sent, so its payload is cleared as a sent row's
        is: names and rationales are not kept for a message nobody will read. ``uncertain``:
        Slack may have taken it all the same (looked up before the retry).
        """
        row.attempts += 1
        row.last_error = error[:2000]
        row.next_attempt_at = retry_at
        row.uncertain = uncertain
        if retry_at is None:
            row.payload = None
        self.session.flush()

    def defer(self, row: OutboxRow, *, until: datetime) -> None:
        """Move a due row to ``until`` without counting an attempt (nothing was sent)."""
        row.next_attempt_at = until
        row.uncertain = False
        self.session.flush()

    def alike_due(self, row: OutboxRow, *, now: datetime) -> list[int]:
        """Return the other due rows that sending ``row`` will make needless.

        A card or a home is drawn when it is sent, from the case as it is then, so the due rows
        of the same kind for the same case (card) or person (home) would draw the same. Read
        them before drawing: a row commits with the change that owed it, so the drawing shows
        every change whose row is read here; a row committed later is sent on its own. Rows
        leased by another sender are not due (their time is their lease's end).
        """
        query = (
            select(OutboxRow.id)
            .where(col(OutboxRow.sent_at).is_(None), col(OutboxRow.next_attempt_at) <= now)
            .where(OutboxRow.kind == row.kind, OutboxRow.recipient == row.recipient)
            .where(OutboxRow.id != row.id)
        )
        case = col(OutboxRow.case_id)
        query = query.where(case.is_(None) if row.case_id is None else case == row.case_id)
        return [i for i in self.session.exec(query) if i is not None]

    def settle(self, ids: Collection[int], *, now: datetime, note: str) -> int:
        """Mark the unsent rows ``ids`` sent without a call of their own; return how many."""
        table = OutboxRow.__table__
        settled = 0
        for chunk in chunked(ids):
            stmt = (
                update(table)
                .where(table.c.id.in_(chunk), table.c.sent_at.is_(None))
                .values(sent_at=now, next_attempt_at=None, payload=None, last_error=note)
            )
            settled += self.session.execute(stmt).rowcount
        self.session.expire_all()
        return settled

    def claimed_slots(self, deadline_ids: Collection[int]) -> dict[int, set[str]]:
        """Return the reminder slots already owed, per deadline (sent or not)."""
        found: dict[int, set[str]] = {d: set() for d in deadline_ids}
        for ids in chunked(found):
            query = select(OutboxRow.deadline_id, OutboxRow.slot).where(
                col(OutboxRow.deadline_id).in_(ids), col(OutboxRow.slot).is_not(None)
            )
            for deadline_id, slot in self.session.exec(query):
                found[deadline_id].add(slot)
        return found

    def digest_owed(self, board_id: str, day: date) -> bool:
        """Whether the board's digest of ``day`` is owed already (sent or not)."""
        query = select(OutboxRow.id).where(
            OutboxRow.board_id == board_id, OutboxRow.digest_on == day
        )
        return self.session.exec(query).first() is not None

    def of_deadline(self, deadline_id: int) -> list[OutboxRow]:
        """Return the rows owed for a deadline (its reminders), oldest first."""
        query = select(OutboxRow).where(OutboxRow.deadline_id == deadline_id)
        return list(self.session.exec(query.order_by(col(OutboxRow.id))))
