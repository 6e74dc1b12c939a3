"""The outbox: messages a workflow step owes Slack, written in the step's transaction.

Like every repository it never commits.

``enqueue`` is an ``INSERT ... ON CONFLICT DO NOTHING`` on the unique ``dedupe_key``, so a step
that runs twice owes each message once. ``lease`` is a compare-and-set on ``next_attempt_at``
(as :meth:`store.deadline_repositories.DispatchRepository.lease`), so of two deliverers that
read the same due row only one sends it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select

from store.models import OutboxRow
from store.repositories import Repository, insert_once


class OutboxRepository(Repository):
    """Owed Slack messages: enqueued, leased, then marked sent or failed."""

    def enqueue(
        self,
        *,
        board_id: str,
        case_id: int | None,
        dedupe_key: str,
        kind: str,
        recipient: str,
        payload: str,
        now: datetime,
    ) -> int | None:
        """Owe a message, due at once; return its id, or None when ``dedupe_key`` is owed already.

        Args:
            board_id: the board the message is about.
            case_id: the case, if any.
            dedupe_key: unique per message owed (it names the step, e.g. the voting round).
            kind: how it is sent (``dm``, ``channel`` or ``card``).
            recipient: a Slack user ID (DM) or channel ID.
            payload: the message as JSON (``text`` and ``blocks``).
            now: when it is owed; also when it is first due.
        """
        return insert_once(
            self.session,
            OutboxRow,
            ["dedupe_key"],
            board_id=board_id,
            case_id=case_id,
            dedupe_key=dedupe_key,
            kind=kind,
            recipient=recipient,
            payload=payload,
            created_at=now,
            next_attempt_at=now,
        )

    def get(self, row_id: int) -> OutboxRow | None:
        """Return the row."""
        return self.session.get(OutboxRow, row_id)

    def due(
        self, now: datetime, *, ids: Collection[int] | None = None, limit: int = 100
    ) -> list[OutboxRow]:
        """Return unsent rows whose time has come (of ``ids`` when given), oldest first.

        Uses the (sent_at, next_attempt_at) index. A row that failed for good has no
        ``next_attempt_at`` and is never due again.
        """
        query = (
            select(OutboxRow)
            .where(col(OutboxRow.sent_at).is_(None))
            .where(col(OutboxRow.next_attempt_at) <= now)
        )
        if ids is not None:
            query = query.where(col(OutboxRow.id).in_(list(ids)))
        return list(self.session.exec(query.order_by(col(OutboxRow.id)).limit(limit)))

    def lease(self, row_id: int, *, seen: datetime, until: datetime, claimed_by: str) -> bool:
        """Take a due row for this deliverer: move its time from ``seen`` to ``until``.

        A compare-and-set on ``next_attempt_at``: of two deliverers that saw the same due row,
        only one wins; the loser's update matches nothing. Returns whether this one won.
        """
        table = OutboxRow.__table__
        stmt = (
            update(table)
            .where(table.c.id == row_id, table.c.sent_at.is_(None))
            .where(table.c.next_attempt_at == seen)
            .values(next_attempt_at=until, claimed_by=claimed_by)
        )
        won = self.session.execute(stmt).rowcount == 1
        self.session.expire_all()
        return won

    def mark_sent(self, row: OutboxRow, *, now: datetime) -> None:
        """Record that Slack took it; clear the payload (names and rationales are not kept)."""
        row.sent_at = now
        row.attempts += 1
        row.payload = None
        row.last_error = None
        row.next_attempt_at = None
        self.session.flush()

    def mark_failed(self, row: OutboxRow, *, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt and when to try again (None: never, it failed for good).

        A row that failed for good will never be sent, so its payload is cleared as a sent row's
        is: names and rationales are not kept for a message nobody will read.
        """
        row.attempts += 1
        row.last_error = error[:2000]
        row.next_attempt_at = retry_at
        if retry_at is None:
            row.payload = None
        self.session.flush()
