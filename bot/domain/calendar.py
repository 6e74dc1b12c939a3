"""Working days for English, Welsh, Scottish and Northern Irish boards.

A working day is Monday to Friday, excluding the bank holidays of the board's nation and any
closure days the board adds. "Within N working days of X" is the Nth working day after X, X not
counted; "within one month" and "six months" are calendar months; "28 days" are calendar days.
Source: ../shared/SPEC.md §Timescales; 000_cd2220454c4486c5.txt §10 ("working days").

Bank holidays come from the ``holidays`` package, always with the nation's subdivision of the
United Kingdom (ENG, WLS, SCT, NIR). The bare UK calendar is never used: it lacks Easter Monday
and the summer bank holiday, which differ between the nations. Substitute days (a Christmas or
New Year's Day falling at a weekend) are included by the package.

Working days are precomputed per year into a sorted list of ordinals, so adding or counting
working days is two binary searches, whatever the distance.
"""

from __future__ import annotations

import calendar as _stdcal
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum

from bot.domain.errors import InvalidInput


class Nation(StrEnum):
    """A nation of the United Kingdom whose bank holidays a board observes."""

    ENGLAND = "england"
    WALES = "wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern-ireland"

    @property
    def subdivision(self) -> str:
        """Return the ISO 3166-2:GB subdivision code the ``holidays`` package uses."""
        return _SUBDIVISIONS[self]

    @classmethod
    def parse(cls, value: str) -> Nation:
        """Read a nation from user input, accepting ``northern_ireland`` and any case.

        Raises:
            InvalidInput: the value names no nation.
        """
        key = value.strip().lower().replace("_", "-").replace(" ", "-")
        try:
            return cls(key)
        except ValueError:
            choices = ", ".join(n.value for n in cls)
            raise InvalidInput(f"unknown nation {value!r}; choose one of: {choices}") from None


_SUBDIVISIONS = {
    Nation.ENGLAND: "ENG",
    Nation.WALES: "WLS",
    Nation.SCOTLAND: "SCT",
    Nation.NORTHERN_IRELAND: "NIR",
}

# Years computed on each side of the first year asked about; more are added when needed.
_SPAN = 3
_MIN_YEAR, _MAX_YEAR = 1, 9999  # the years ``datetime.date`` can hold


class WorkingCalendar:
    """Working days of one board: its nation's bank holidays plus its own closure days.

    Args:
        nation: the nation whose bank holidays apply.
        closures: the board's own non-working days (office closures, for example 24 December).
    """

    def __init__(self, nation: Nation | str, closures: Iterable[date] = ()) -> None:
        self.nation = nation if isinstance(nation, Nation) else Nation.parse(nation)
        self.closures = frozenset(closures)
        self._first_year = 0
        self._last_year = -1
        self._days: list[int] = []  # ordinals of working days, ascending
        self._bank_holidays: dict[date, str] = {}

    # -- queries -------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Return whether ``day`` is a working day for this board."""
        self._cover(day.year)
        i = bisect_left(self._days, day.toordinal())
        return i < len(self._days) and self._days[i] == day.toordinal()

    def holiday_name(self, day: date) -> str | None:
        """Return the bank holiday's or closure's name on ``day``, or None."""
        self._cover(day.year)
        if day in self.closures:
            return "Board closure day"
        return self._bank_holidays.get(day)

    def add_working_days(self, start: date, n: int) -> date:
        """Return the Nth working day after ``start``, ``start`` not counted.

        A negative ``n`` counts back: -1 is the last working day before ``start``. Zero returns
        ``start`` unchanged.
        """
        if n == 0:
            return start
        self._cover(start.year)
        while True:
            if n > 0:
                i = bisect_right(self._days, start.toordinal()) + n - 1
                if i < len(self._days):
                    return date.fromordinal(self._days[i])
                if self._last_year >= _MAX_YEAR:
                    break
                self._cover(min(_MAX_YEAR, self._last_year + _SPAN))
            else:
                i = bisect_left(self._days, start.toordinal()) + n
                if i >= 0:
                    return date.fromordinal(self._days[i])
                if self._first_year <= _MIN_YEAR:
                    break
                self._cover(max(_MIN_YEAR, self._first_year - _SPAN))
        raise InvalidInput(f"{n} working days from {start.isoformat()} is out of range")

    def working_days_between(self, start: date, end: date) -> int:
        """Count the working days in (start, end]; negative when ``end`` is before ``start``."""
        if end < start:
            return -self.working_days_between(end, start)
        self._cover(start.year)
        self._cover(end.year)
        return bisect_right(self._days, end.toordinal()) - bisect_right(
            self._days, start.toordinal()
        )

    def next_working_day(self, day: date) -> date:
        """Return ``day`` if it is a working day, else the first working day after it."""
        return day if self.is_working_day(day) else self.add_working_days(day, 1)

    # -- calendar arithmetic (no working-day rule; here so every rule has one home) -------------

    @staticmethod
    def add_calendar_days(start: date, n: int) -> date:
        """Return ``start`` plus ``n`` calendar days (negative counts back).

        Raises:
            InvalidInput: the result falls outside the years 1 to 9999.
        """
        try:
            return start + timedelta(days=n)
        except OverflowError:
            raise InvalidInput(f"{n} days from {start.isoformat()} is out of range") from None

    @staticmethod
    def add_weeks(start: date, n: int) -> date:
        """Return ``start`` plus ``n`` weeks (negative counts back).

        Raises:
            InvalidInput: the result falls outside the years 1 to 9999.
        """
        return WorkingCalendar.add_calendar_days(start, 7 * n)

    @staticmethod
    def add_months(start: date, n: int) -> date:
        """Return the same day ``n`` calendar months on, clamped to the month's last day.

        31 January plus one month is 28 (or 29) February; negative ``n`` counts back.

        Raises:
            InvalidInput: the result falls outside the years 1 to 9999.
        """
        month0 = start.month - 1 + n
        year, month = start.year + month0 // 12, month0 % 12 + 1
        if not 1 <= year <= 9999:
            raise InvalidInput(f"{n} months from {start.isoformat()} is out of range")
        last = _stdcal.monthrange(year, month)[1]
        return date(year, month, min(start.day, last))

    # -- cache ---------------------------------------------------------------------------------

    def _cover(self, year: int) -> None:
        """Make sure the working days of ``year`` (and a margin around it) are computed."""
        if self._first_year <= year <= self._last_year:
            return
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            raise InvalidInput(f"year {year} is out of range")
        low, high = max(_MIN_YEAR, year - _SPAN), min(_MAX_YEAR, year + _SPAN)
        if self._last_year < self._first_year:
            first, last = low, high
        else:
            first, last = min(self._first_year, low), max(self._last_year, high)
        # Imported on first use, not at the top: parsing a nation or building the CLI's parser
        # (``casedesk --help``) then does not pay for loading the package.
        import holidays

        bank = holidays.country_holidays(
            "GB", subdiv=self.nation.subdivision, years=range(first, last + 1)
        )
        self._bank_holidays = {d: name for d, name in bank.items()}
        days: list[int] = []
        day = date(first, 1, 1)
        stop = date(last, 12, 31).toordinal()
        ordinal = day.toordinal()
        weekday = day.weekday()
        while ordinal <= stop:
            if weekday < 5:
                d = date.fromordinal(ordinal)
                if d not in self._bank_holidays and d not in self.closures:
                    days.append(ordinal)
            ordinal += 1
            weekday = (weekday + 1) % 7
        self._days, self._first_year, self._last_year = days, first, last
