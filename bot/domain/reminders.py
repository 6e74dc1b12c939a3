"""When a reminder, a vote reminder or the daily digest is due: pure timing rules, no I/O.

Reminders go to a deadline's owner by DM at each lead time (by default 5, 2 and 1 working days
before the due day), on the due day, then on each working day it is overdue, escalating to the
sub-group chair; the board channel gets a daily digest at the board's time. Nothing is sent on a
non-working day or outside the board's sending hours, all in Europe/London.
Source: ../shared/PRODUCT.md §Deadlines and reminders; §The board file (``digest_time``,
``sending_hours``). Working days: ../shared/SPEC.md §Timescales (see :mod:`bot.domain.calendar`).

Each moment a reminder may fire is a *slot* with a stable key, which the store makes unique per
deadline, so a reminder is sent once however many times the sweep runs or restarts:

    lead:<N>:<due ISO date>     N working days before the due day (N = 0: the due day itself)
    overdue:<ISO date>          one working day on which the deadline is overdue
    vote:lead:<N>:<ISO date>    a member's vote reminder (no overdue slots: voting has closed)

Lead keys carry the due date, so extending a deadline owes its reminders afresh; overdue keys carry
the day they are for. For one due date, ``lead`` alone also names a slot (the Nth overdue working
day is lead -N), so a store keyed on (deadline, lead) is equivalent until the due date moves.

After downtime only the *latest* slot that has fallen due is offered (one catch-up reminder, not
a flood); the older unsent ones are skipped for good.

Every function takes ``now`` (an aware datetime) as an argument; none reads the clock.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.calendar import WorkingCalendar
from bot.domain.deadlines import DeadlineStatus
from bot.domain.errors import InvalidInput
from bot.domain.protocols import DEFAULT_REMINDERS

LONDON = ZoneInfo("Europe/London")
"""Reminder times are board-local times in Europe/London. Source: PRODUCT.md §The board file."""

DEFAULT_ESCALATE_AFTER = 3
"""Working days overdue after which the chair is chased too (casedesk's default; PRODUCT.md
§Deadlines and reminders says overdue reminders escalate to the chair but sets no number)."""

DEFAULT_VOTE_REMINDERS: tuple[int, ...] = (2, 1, 0)
"""Working days before voting closes at which members who have not voted are reminded
(casedesk's default; PRODUCT.md §Voting says only that they are reminded)."""


class ReminderKind(StrEnum):
    """What a reminder says: coming up, due today, overdue, or overdue and escalated."""

    BEFORE = "before"
    DUE_DAY = "due_day"
    OVERDUE = "overdue"
    ESCALATION = "escalation"


@dataclass(frozen=True)
class SendingHours:
    """The local times between which reminders may be sent: ``start`` included, ``end`` not.

    Source: PRODUCT.md §The board file (``sending_hours = ["08:00", "18:00"]``).

    Raises:
        InvalidInput: ``start`` is not before ``end``.
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise InvalidInput("sending hours are local times in Europe/London, without a zone")
        if not self.start < self.end:
            raise InvalidInput(
                f"sending hours must start before they end, not {self.start:%H:%M}-{self.end:%H:%M}"
            )

    @classmethod
    def parse(cls, value: Sequence[str]) -> SendingHours:
        """Read ``["08:00", "18:00"]`` as written in a board file.

        Raises:
            InvalidInput: not two ``HH:MM`` times, or the first is not before the second.
        """
        if isinstance(value, str) or len(value) != 2:
            raise InvalidInput(
                f'sending hours must be two times such as ["08:00", "18:00"], not {value!r}'
            )
        try:
            start, end = (time.fromisoformat(v) for v in value)
        except (TypeError, ValueError):
            raise InvalidInput(f"sending hours must be HH:MM times, not {value!r}") from None
        return cls(start, end)

    def contains(self, moment: time) -> bool:
        """Return whether a local time of day falls inside these hours."""
        return self.start <= moment < self.end


DEFAULT_SENDING_HOURS = SendingHours(time(8, 0), time(18, 0))
"""Source: PRODUCT.md §The board file (the example board's ``sending_hours``)."""


@dataclass(frozen=True)
class ReminderDue:
    """One reminder slot: what to send, and the key that makes it sent once.

    Attributes:
        key: stable slot key (formats in the module docstring); unique per deadline in the store.
        kind: before, due_day, overdue or escalation.
        lead: working days before the due day; 0 is the due day; negative is days overdue.
        fire_on: the working day the slot belongs to (earlier than today after downtime).
        escalate: whether the sub-group chair is chased as well as the owner.
        due: the due date the slot was computed from.
    """

    key: str
    kind: ReminderKind
    lead: int
    fire_on: date
    escalate: bool
    due: date


def local_time(now: datetime) -> datetime:
    """Return ``now`` in Europe/London.

    Raises:
        ValueError: ``now`` is naive (a rule cannot guess its zone).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(LONDON)


def reminder_schedule(
    due: date,
    calendar: WorkingCalendar,
    leads: Iterable[int] = DEFAULT_REMINDERS,
    *,
    prefix: str = "",
) -> tuple[ReminderDue, ...]:
    """Return the lead-time slots before and on the due day, earliest first, one per day.

    Lead N falls on ``calendar.add_working_days(due, -N)``, the Nth working day before the due
    day, so a lead that would land on a weekend, bank holiday or closure moves earlier, never onto
    it. A due day that is not itself a working day (a calendar-day or month deadline ending on a
    Saturday) gets its due-day reminder on the last working day before it. When two leads land on
    the same day only the one nearer the due day is kept: one reminder a day per deadline.
    Source: PRODUCT.md §Deadlines and reminders; SPEC.md §Timescales.

    Raises:
        ValueError: a negative lead time.
    """
    by_day: dict[date, int] = {}
    for n in set(leads):
        if n < 0:
            raise ValueError(f"lead times are working days before the due day, not {n}")
        if n == 0 and calendar.is_working_day(due):
            day = due
        else:
            day = calendar.add_working_days(due, -max(n, 1))
        by_day[day] = min(n, by_day.get(day, n))
    return tuple(
        ReminderDue(
            key=f"{prefix}lead:{n}:{due.isoformat()}",
            kind=ReminderKind.BEFORE if n else ReminderKind.DUE_DAY,
            lead=n,
            fire_on=day,
            escalate=False,
            due=due,
        )
        for day, n in sorted(by_day.items())
    )


def reminder_due(
    due: date,
    *,
    calendar: WorkingCalendar,
    now: datetime,
    leads: Iterable[int] = DEFAULT_REMINDERS,
    sent: Collection[str] = frozenset(),
    status: DeadlineStatus | str = DeadlineStatus.OPEN,
    sending_hours: SendingHours = DEFAULT_SENDING_HOURS,
    escalate_after: int | None = DEFAULT_ESCALATE_AFTER,
    since: date | None = None,
    overdue: bool = True,
    prefix: str = "",
) -> ReminderDue | None:
    """Decide which reminder of a deadline is to be sent now, if any.

    Only the latest slot that has fallen due is a candidate: after downtime the owner gets one
    catch-up reminder, and the older slots are never sent. Nothing is due on a non-working day or
    outside the sending hours. Source: PRODUCT.md §Deadlines and reminders.

    Args:
        due: the deadline's due date.
        calendar: the board's working calendar.
        now: the current time, timezone-aware (converted to Europe/London).
        leads: working days before the due day to remind at (the rule's ``reminders``).
        sent: keys of this deadline's slots already sent (or claimed).
        status: the deadline's status; only running ones (open or extended) are chased, not
            paused, done or cancelled ones.
        sending_hours: the board's sending hours.
        escalate_after: the chair is chased too once the deadline is more than this many
            working days overdue; None never escalates.
        since: the day the deadline was set or last moved; slots before it were never owed.
        overdue: whether to keep chasing each working day after the due day.
        prefix: prepended to every key (``vote:`` for vote reminders).

    Returns:
        The slot to send now, or None.

    Raises:
        ValueError: ``now`` is naive, or a lead time is negative.
    """
    local = local_time(now)
    today = local.date()
    if not DeadlineStatus(status).is_running:
        return None
    if not calendar.is_working_day(today) or not sending_hours.contains(local.time()):
        return None
    if today > due:
        slot = _overdue_slot(due, today, calendar, escalate_after, prefix) if overdue else None
    else:
        slot = _latest_lead_slot(due, today, calendar, leads, prefix)
    if slot is None or (since is not None and slot.fire_on < since):
        return None
    return None if slot.key in sent else slot


def _overdue_slot(
    due: date, today: date, calendar: WorkingCalendar, escalate_after: int | None, prefix: str
) -> ReminderDue:
    """Return today's overdue slot, escalated once more than ``escalate_after`` days overdue.

    Source: PRODUCT.md §Deadlines and reminders (overdue reminders escalate to the chair).
    """
    days = calendar.working_days_between(due, today)
    escalate = escalate_after is not None and days > escalate_after
    return ReminderDue(
        key=f"{prefix}overdue:{today.isoformat()}",
        kind=ReminderKind.ESCALATION if escalate else ReminderKind.OVERDUE,
        lead=-days,
        fire_on=today,
        escalate=escalate,
        due=due,
    )


def _latest_lead_slot(
    due: date, today: date, calendar: WorkingCalendar, leads: Iterable[int], prefix: str
) -> ReminderDue | None:
    """Return the latest lead-time slot fallen due by ``today`` (one catch-up after downtime).

    Source: PRODUCT.md §Deadlines and reminders.
    """
    schedule = reminder_schedule(due, calendar, leads, prefix=prefix)
    fallen = bisect_right([s.fire_on for s in schedule], today)
    return schedule[fallen - 1] if fallen else None


def vote_reminder_due(
    vote_deadline: date | datetime,
    calendar: WorkingCalendar,
    now: datetime,
    leads: Iterable[int] = DEFAULT_VOTE_REMINDERS,
    sent: Collection[str] = frozenset(),
    *,
    sending_hours: SendingHours = DEFAULT_SENDING_HOURS,
    since: date | None = None,
) -> ReminderDue | None:
    """Decide which reminder to send now to a member who has not yet voted, if any.

    The same slots as a deadline's (keys prefixed ``vote:``), but never after voting closes: a
    member cannot vote late, so there are no overdue reminders. A ``datetime`` deadline also stops
    reminders from the moment voting closes on the day. Source: PRODUCT.md §Voting ("members who
    have not voted are reminded") and §Deadlines and reminders.

    Args:
        vote_deadline: when voting closes (a date, or an aware datetime).
        calendar: the board's working calendar.
        now: the current time, timezone-aware.
        leads: working days before the deadline to remind at.
        sent: keys already sent to this member for this vote.
        sending_hours: the board's sending hours.
        since: the day voting opened; earlier slots were never owed.

    Raises:
        ValueError: ``now`` or a datetime ``vote_deadline`` is naive.
    """
    if isinstance(vote_deadline, datetime):
        closes = local_time(vote_deadline)
        if local_time(now) >= closes:
            return None
        vote_deadline = closes.date()
    return reminder_due(
        vote_deadline,
        calendar=calendar,
        now=now,
        leads=leads,
        sent=sent,
        sending_hours=sending_hours,
        escalate_after=None,
        since=since,
        overdue=False,
        prefix="vote:",
    )


def reminder_horizon(
    today: date, calendar: WorkingCalendar, leads: Iterable[int] = DEFAULT_REMINDERS
) -> date:
    """Return the latest due date that can have a lead-time reminder due on ``today``.

    A sweep need only load open deadlines due on or before this date (every overdue one is
    among them), whatever the number of open deadlines. Source: PRODUCT.md §Scale.
    """
    return calendar.add_working_days(today, max(max(leads, default=0), 1))


def digest_key(day: date) -> str:
    """Return the key that makes a board's digest for ``day`` sent once."""
    return f"digest:{day.isoformat()}"


def digest_due(
    now: datetime,
    calendar: WorkingCalendar,
    digest_time: time,
    last_digest_date: date | None,
    *,
    until: time | None = None,
) -> bool:
    """Return whether the board's daily digest is to be posted now.

    Posted once per working day, from the board's digest time, Europe/London. A digest missed
    through downtime is caught up later the same day (before ``until``, when given), never on a
    later day. Source: PRODUCT.md §Deadlines and reminders ("a daily digest in the board channel
    at a board-set time, Europe/London, on working days only").

    Args:
        now: the current time, timezone-aware.
        calendar: the board's working calendar.
        digest_time: the board's ``digest_time``.
        last_digest_date: the day of the last digest posted, or None.
        until: no catch-up at or after this local time (for example the end of sending hours).

    Raises:
        ValueError: ``now`` is naive.
    """
    local = local_time(now)
    today, moment = local.date(), local.time()
    if last_digest_date is not None and last_digest_date >= today:
        return False
    if not calendar.is_working_day(today) or moment < digest_time:
        return False
    return until is None or moment < until


def next_send_time(
    now: datetime,
    calendar: WorkingCalendar,
    sending_hours: SendingHours = DEFAULT_SENDING_HOURS,
) -> datetime:
    """Return the earliest moment from ``now`` at which a reminder may be sent.

    ``now`` itself when it is inside the sending hours of a working day; otherwise the start of
    the sending hours on the next working day (today's, if they have not started). Use it to
    defer a reminder that cannot go now, for example after Slack asked to retry later.
    Source: PRODUCT.md §Deadlines and reminders; §The board file (``sending_hours``).

    Returns:
        An aware datetime in Europe/London.

    Raises:
        ValueError: ``now`` is naive.
    """
    local = local_time(now)
    today = local.date()
    if calendar.is_working_day(today):
        if sending_hours.contains(local.time()):
            return local
        if local.time() < sending_hours.start:
            return _at(today, sending_hours.start)
    return _at(calendar.add_working_days(today, 1), sending_hours.start)


def _at(day: date, moment: time) -> datetime:
    """Return ``moment`` on ``day`` in Europe/London, normalised across clock changes."""
    # Round-trip through UTC so a time inside the spring-forward gap becomes a real instant.
    return datetime.combine(day, moment, tzinfo=LONDON).astimezone(UTC).astimezone(LONDON)
