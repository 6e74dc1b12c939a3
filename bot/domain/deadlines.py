"""A case's deadlines once computed: their status, extensions and pauses.

An extension needs a reason and a new date (Source: 002_0ceef0fde733de82.txt §1.5: the chair
writes "outlining the progress made to date and the proposed new extension date"). A pause stops
a deadline's clock while a parallel process runs (criminal proceedings, an inquest: Source:
000_cd2220454c4486c5.txt §6-7; 004_7704cae59745d9b5.txt §8); on resuming, the working days that
were left when it paused are counted again from the day it resumes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum

from bot.domain.boards import Role
from bot.domain.calendar import WorkingCalendar
from bot.domain.errors import FieldsRefused, InvalidInput


class DeadlineStatus(StrEnum):
    """Where a deadline stands."""

    OPEN = "open"
    EXTENDED = "extended"  # open, with a later due date than the protocol gave
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"  # no longer applies (for example after the review type converted)

    @property
    def is_running(self) -> bool:
        """Return whether the deadline's clock runs (it is owed and not paused)."""
        return self in (DeadlineStatus.OPEN, DeadlineStatus.EXTENDED)

    @property
    def is_settled(self) -> bool:
        """Return whether nothing more is owed (done or cancelled)."""
        return self in (DeadlineStatus.DONE, DeadlineStatus.CANCELLED)


RUNNING = (DeadlineStatus.OPEN, DeadlineStatus.EXTENDED)
"""Statuses whose clock runs: what reminders and overdue lists look at."""


def require_reason(reason: str) -> str:
    """Return the reason stripped.

    Raises:
        InvalidInput: the reason is empty. Source: 002_0ceef0fde733de82.txt §1.5.
    """
    text = reason.strip()
    if not text:
        raise InvalidInput("Please give a reason; an extension or pause is recorded with it.")
    return text


class ExtensionField(StrEnum):
    """The part of an extension request a refusal is about (a modal shows it by that field)."""

    DEADLINE = "deadline"
    NEW_DUE = "new_due"
    REASON = "reason"


class ExtensionRefused(FieldsRefused):
    """An extension the rules refuse, naming each input at fault and what is wrong with it.

    Args:
        problems: input -> message fit to show the person (the deadline chosen, the new date,
            the reason); at least one.
    """

    def __init__(self, problems: Mapping[ExtensionField, str]) -> None:
        super().__init__(problems)


def check_extension(current_due: date, new_due: date) -> None:
    """Check that ``new_due`` extends a deadline now due on ``current_due``.

    Source: 002_0ceef0fde733de82.txt §1.5 (a "proposed new extension date": later than the one
    it replaces).

    Raises:
        ExtensionRefused: (``NEW_DUE``) the new date is not after the current one.
    """
    problem = extension_date_problem(current_due, new_due)
    if problem:
        raise ExtensionRefused({ExtensionField.NEW_DUE: problem})


def extension_date_problem(current_due: date, new_due: date) -> str | None:
    """Return what is wrong with ``new_due`` as the new date of a deadline due ``current_due``.

    Source: 002_0ceef0fde733de82.txt §1.5 (a "proposed new extension date").
    """
    if new_due > current_due:
        return None
    when = f"{current_due:%a} {current_due.day} {current_due:%b %Y}"
    return f"The new date must be after the current due date ({when})."


def resumed_due(due: date, paused_on: date, resumed_on: date, calendar: WorkingCalendar) -> date:
    """Return the due date of a deadline resumed on ``resumed_on`` after a pause.

    The working days that were left on ``paused_on`` are counted from ``resumed_on``; a deadline
    already due or overdue when it paused falls due on the day it resumes.
    """
    left = max(0, calendar.working_days_between(paused_on, due))
    return calendar.add_working_days(resumed_on, left) if left else resumed_on


def working_days_left(due: date, today: date, calendar: WorkingCalendar) -> int:
    """Return the working days from ``today`` to ``due``; negative when overdue."""
    return calendar.working_days_between(today, due)


def deadline_keepers(owner_role: Role) -> frozenset[Role]:
    """Return who may extend a deadline or mark it done: its owner role and the business manager.

    Source: PRODUCT.md §Deadlines and reminders (the owner is reminded and acts; the business
    manager runs the board's timetable), 002 §1.5 (an extension gives the reason and new date).
    """
    return frozenset({Role.BUSINESS_MANAGER, owner_role})
