"""The daily digest, members' vote reminders, and when a deferred reminder may go.

Sources: PRODUCT.md §Deadlines and reminders, §Voting and §The board file (``digest_time``,
``sending_hours``). Dates are 2026: Good Friday 3 April, Easter Monday 6 April (England, not
Scotland), British Summer Time from 29 March, Boxing Day observed Monday 28 December.
"""

from datetime import UTC, date, datetime, time

import pytest

from bot.domain.calendar import Nation, WorkingCalendar
from bot.domain.errors import InvalidInput
from bot.domain.reminders import (
    LONDON,
    ReminderKind,
    SendingHours,
    digest_due,
    digest_key,
    next_send_time,
    reminder_due,
    vote_reminder_due,
)

ENGLAND = WorkingCalendar(Nation.ENGLAND)
SCOTLAND = WorkingCalendar(Nation.SCOTLAND)
CLOSED_CHRISTMAS_EVE = WorkingCalendar(Nation.ENGLAND, closures=[date(2026, 12, 24)])


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


# -- vote reminders -----------------------------------------------------------------------------


def test_a_member_who_has_not_voted_is_reminded_before_voting_closes_with_vote_keys():
    got = vote_reminder_due(date(2026, 12, 11), ENGLAND, at(2026, 12, 10))

    assert got is not None
    assert (got.key, got.kind, got.escalate) == (
        "vote:lead:1:2026-12-11",
        ReminderKind.BEFORE,
        False,
    )


def test_no_vote_reminder_after_voting_has_closed():
    closes = datetime(2026, 12, 11, 12, 0, tzinfo=LONDON)

    assert vote_reminder_due(date(2026, 12, 11), ENGLAND, at(2026, 12, 14)) is None
    assert vote_reminder_due(closes, ENGLAND, at(2026, 12, 11, 11, 59)) is not None
    assert vote_reminder_due(closes, ENGLAND, at(2026, 12, 11, 12, 0)) is None


def test_a_vote_reminder_already_sent_to_a_member_is_not_sent_again():
    assert (
        vote_reminder_due(
            date(2026, 12, 11), ENGLAND, at(2026, 12, 10), sent={"vote:lead:1:2026-12-11"}
        )
        is None
    )


# -- the daily digest ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "now", "last", "expected"),
    [
        pytest.param(ENGLAND, at(2026, 12, 9, 8, 59), date(2026, 12, 8), False, id="before-time"),
        pytest.param(ENGLAND, at(2026, 12, 9, 9, 0), date(2026, 12, 8), True, id="at-time"),
        pytest.param(ENGLAND, at(2026, 12, 9, 9, 0), None, True, id="first-ever"),
        pytest.param(ENGLAND, at(2026, 12, 9, 9, 5), date(2026, 12, 9), False, id="already-today"),
        pytest.param(
            ENGLAND, at(2026, 12, 9, 15, 0), date(2026, 12, 4), True, id="catch-up-same-day"
        ),
        pytest.param(ENGLAND, at(2026, 12, 12, 9, 0), date(2026, 12, 11), False, id="saturday"),
        pytest.param(ENGLAND, at(2026, 12, 28, 9, 0), date(2026, 12, 24), False, id="bank-holiday"),
        pytest.param(
            CLOSED_CHRISTMAS_EVE,
            at(2026, 12, 24, 9, 0),
            date(2026, 12, 23),
            False,
            id="board-closure",
        ),
        pytest.param(
            ENGLAND,
            datetime(2026, 6, 3, 8, 0, tzinfo=UTC),
            date(2026, 6, 2),
            True,
            id="0800-utc-is-0900-bst",
        ),
    ],
)
def test_the_digest_is_posted_once_per_working_day_from_its_time(calendar, now, last, expected):
    assert digest_due(now, calendar, time(9, 0), last) is expected


def test_a_missed_digest_is_not_caught_up_after_the_cut_off_or_on_a_later_day():
    assert (
        digest_due(at(2026, 12, 9, 18, 0), ENGLAND, time(9), date(2026, 12, 8), until=time(18))
        is False
    )
    assert digest_due(at(2026, 12, 9, 17, 59), ENGLAND, time(9), date(2026, 12, 8), until=time(18))
    # Tuesday's missed digest does not make Wednesday's a double: one per day, keyed by date.
    assert digest_key(date(2026, 12, 9)) == "digest:2026-12-09"


# -- deferring ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "now", "expected"),
    [
        pytest.param(ENGLAND, at(2026, 12, 9, 11, 15), at(2026, 12, 9, 11, 15), id="inside-hours"),
        pytest.param(ENGLAND, at(2026, 12, 9, 6, 0), at(2026, 12, 9, 8, 0), id="before-hours"),
        pytest.param(ENGLAND, at(2026, 12, 11, 19, 0), at(2026, 12, 14, 8, 0), id="friday-night"),
        pytest.param(ENGLAND, at(2026, 12, 12, 10, 0), at(2026, 12, 14, 8, 0), id="saturday"),
        pytest.param(ENGLAND, at(2026, 4, 2, 18, 0), at(2026, 4, 7, 8, 0), id="england-easter"),
        pytest.param(SCOTLAND, at(2026, 4, 2, 18, 0), at(2026, 4, 6, 8, 0), id="scotland-easter"),
        pytest.param(
            ENGLAND, at(2026, 3, 27, 20, 0), at(2026, 3, 30, 8, 0), id="across-the-clock-change"
        ),
    ],
)
def test_a_deferred_reminder_goes_at_the_next_moment_inside_sending_hours(calendar, now, expected):
    got = next_send_time(now, calendar)

    assert got == expected
    assert got.utcoffset() == expected.utcoffset()
    assert reminder_due(got.date(), calendar=calendar, now=got) is not None


def test_the_next_send_time_after_the_clocks_go_forward_is_0800_bst():
    got = next_send_time(at(2026, 3, 27, 20, 0), ENGLAND)

    assert got.astimezone(UTC) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


# -- sending hours from a board file ------------------------------------------------------------


def test_a_board_s_own_sending_hours_are_honoured():
    hours = SendingHours.parse(["09:30", "16:00"])
    due = date(2026, 12, 4)

    assert (
        reminder_due(due, calendar=ENGLAND, now=at(2026, 12, 4, 9, 0), sending_hours=hours) is None
    )
    assert reminder_due(due, calendar=ENGLAND, now=at(2026, 12, 4, 9, 30), sending_hours=hours)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(["18:00", "08:00"], id="reversed"),
        pytest.param(["08:00", "08:00"], id="empty"),
        pytest.param(["8 am", "6 pm"], id="not-iso"),
        pytest.param(["08:00"], id="one-time"),
        pytest.param("08:00-18:00", id="a-string"),
    ],
)
def test_bad_sending_hours_are_refused_with_a_clear_message(value):
    with pytest.raises(InvalidInput, match="sending hours"):
        SendingHours.parse(value)
