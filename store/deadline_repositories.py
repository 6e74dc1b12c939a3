"""The deadlines repository. It never commits.

``DeadlineRepository.running_due_by(..., skip_locked=True)`` lets several sweepers on PostgreSQL
share the open deadlines without waiting on each other. The reminders claimed for a deadline are
outbox rows (:mod:`store.outbox_repository`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlmodel import col, select

from bot.domain.deadlines import RUNNING, DeadlineStatus
from store.models import CaseRow, DeadlineRow
from store.repositories import Repository, locked


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
