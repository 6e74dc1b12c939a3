"""The clock seam: rules take ``now`` or ``today`` from here, never from ``datetime.now()``."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class Clock(Protocol):
    """Tells the time, timezone-aware, in Europe/London."""

    def now(self) -> datetime:
        """Return the current time, aware, in Europe/London."""
        ...

    def today(self) -> date:
        """Return today's date in Europe/London."""
        ...


class SystemClock:
    """The real clock, in Europe/London."""

    def now(self) -> datetime:
        """Return the current time, aware, in Europe/London."""
        return datetime.now(LONDON)

    def today(self) -> date:
        """Return today's date in Europe/London."""
        return self.now().date()


class FixedClock:
    """A clock for tests that only moves when told to.

    Args:
        at: the starting time; a naive value is taken as Europe/London.
    """

    def __init__(self, at: datetime) -> None:
        self._now = at if at.tzinfo else at.replace(tzinfo=LONDON)

    def now(self) -> datetime:
        """Return the fixed time."""
        return self._now

    def today(self) -> date:
        """Return the fixed time's date in Europe/London."""
        return self._now.astimezone(LONDON).date()

    def advance(self, delta: timedelta) -> None:
        """Move the clock on by ``delta``."""
        self._now += delta

    def set(self, at: datetime) -> None:
        """Move the clock to ``at`` (naive values are Europe/London)."""
        self._now = at if at.tzinfo else at.replace(tzinfo=LONDON)
