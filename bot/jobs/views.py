"""The sweep's view models and each board's reminder settings, read once per sweep.

Views carry the case reference and pseudonym, never a subject's name (PRODUCT.md
§Confidentiality).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.domain.calendar import WorkingCalendar
from bot.domain.cases import Trigger
from bot.domain.deadlines import working_days_left
from bot.domain.reminders import (
    DEFAULT_SENDING_HOURS,
    SendingHours,
)
from bot.services.common import board_calendar, board_config
from store.models import BoardRow, CaseRow, DeadlineRow
from store.uow import UnitOfWork

UowFactory = Callable[[], UnitOfWork]


@dataclass
class SweepResult:
    """What one sweep did.

    Attributes:
        considered: running deadlines loaded (due by the horizon).
        claimed: slots this sweeper claimed (a slot claimed elsewhere is not counted).
        sent: reminders sent (claims and retries).
        deferred: reminders Slack could not take now, left for a later sweep.
        failed: reminders that failed for good (for example the owner's account is gone).
        retried: earlier failures taken up again.
        digests: board digests posted.
        closed: votes this sweeper closed at their deadline.
        delivered: owed messages (the outbox) the tick sent.
    """

    considered: int = 0
    claimed: int = 0
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    retried: int = 0
    digests: int = 0
    closed: int = 0
    delivered: int = 0


@dataclass(frozen=True)
class ReminderView:
    """What a reminder DM shows (reference and pseudonym, never a name)."""

    deadline_id: int
    reference: str
    pseudonym: str
    label: str
    due: date
    days_left: int
    kind: str


@dataclass(frozen=True)
class DigestLine:
    """One deadline in the board digest."""

    reference: str
    pseudonym: str
    label: str
    due: date
    days_left: int

    @property
    def line(self) -> str:
        """Return the digest's text line for this deadline."""
        when = (
            f"{-self.days_left} working days overdue"
            if self.days_left < 0
            else "due today"
            if self.days_left == 0
            else f"{self.days_left} working days left"
        )
        return f"{self.reference} ({self.pseudonym}): {self.label}, due {self.due:%d %b %Y}, {when}"


@dataclass(frozen=True)
class VoteReminderView:
    """What a vote reminder DM shows (reference and pseudonym, never a name)."""

    reference: str
    pseudonym: str
    due: date
    days_left: int


@dataclass(frozen=True)
class BoardSettings:
    """A board's reminder settings, read once per sweep."""

    id: str
    name: str
    channel: str
    calendar: WorkingCalendar
    hours: SendingHours
    digest_time: Any
    vote_rules: frozenset[str] = frozenset()
    auto_close: bool = False


def board_settings(row: BoardRow) -> BoardSettings:
    """Read a board's calendar, sending hours, digest time and vote rules from its config."""
    config = board_config(row)
    start, end = config.sending_hours
    try:
        hours = SendingHours(start, end)
    except ValueError:  # pragma: no cover - board files are validated on sync
        hours = DEFAULT_SENDING_HOURS
    return BoardSettings(
        row.id,
        row.name,
        row.channel_id,
        board_calendar(config),
        hours,
        config.digest_time,
        frozenset(config.step_rules.get(Trigger.CLOSE_VOTING, ())),
        config.open_voting_on_referral,
    )


def reminder_view(
    deadline: DeadlineRow, case: CaseRow, board: BoardSettings, today: date
) -> ReminderView:
    """Return the reminder DM's view of ``deadline`` as of ``today`` (before, due day, overdue)."""
    assert deadline.id is not None
    left = working_days_left(deadline.due_on, today, board.calendar)
    kind = "before" if left > 0 else "due_day" if left == 0 else "overdue"
    return ReminderView(
        deadline.id, case.reference, case.pseudonym, deadline.label, deadline.due_on, left, kind
    )


def vote_view(
    deadline: DeadlineRow, case: CaseRow, board: BoardSettings, today: date
) -> VoteReminderView:
    """Return the vote reminder DM's view of the vote ``deadline`` as of ``today``."""
    left = working_days_left(deadline.due_on, today, board.calendar)
    return VoteReminderView(case.reference, case.pseudonym, deadline.due_on, left)
