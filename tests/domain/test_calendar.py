"""Working days in the four nations: bank holidays, substitute days, one-offs and closures.

Every expected date below was counted by hand on a calendar, not produced by the code under test.
Source: SPEC.md §Timescales ("within N working days of X" is the Nth working day after X).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calendar import Nation, WorkingCalendar
from bot.domain.errors import InvalidInput

ENG, WLS, SCT, NIR = Nation.ENGLAND, Nation.WALES, Nation.SCOTLAND, Nation.NORTHERN_IRELAND
W, H = True, False  # working day / holiday (or weekend)


@cache
def cal(nation: Nation) -> WorkingCalendar:
    return WorkingCalendar(nation)


# day, then whether it is a working day in England, Wales, Scotland, Northern Ireland
HARD_DAYS = [
    pytest.param(date(2026, 4, 3), H, H, H, H, id="good-friday-2026-everywhere"),
    pytest.param(date(2026, 4, 6), H, H, W, H, id="easter-monday-2026-not-in-scotland"),
    pytest.param(date(2021, 12, 27), H, H, H, H, id="christmas-2021-substitute-monday"),
    pytest.param(date(2021, 12, 28), H, H, H, H, id="boxing-day-2021-substitute-tuesday"),
    pytest.param(date(2022, 1, 3), H, H, H, H, id="new-year-2022-substitute-monday"),
    pytest.param(date(2022, 1, 4), W, W, H, W, id="scotland-2-january-2022-substitute"),
    pytest.param(date(2027, 1, 4), W, W, H, W, id="scotland-2-january-2027-substitute"),
    pytest.param(date(2027, 12, 27), H, H, H, H, id="christmas-2027-substitute-monday"),
    pytest.param(date(2027, 12, 28), H, H, H, H, id="boxing-day-2027-substitute-tuesday"),
    pytest.param(date(2026, 12, 28), H, H, H, H, id="boxing-day-2026-substitute-monday"),
    pytest.param(date(2026, 12, 24), W, W, W, W, id="christmas-eve-2026-is-working"),
    pytest.param(date(2022, 5, 30), W, W, W, W, id="spring-holiday-2022-moved-off-30-may"),
    pytest.param(date(2022, 6, 2), H, H, H, H, id="spring-holiday-2022-on-2-june"),
    pytest.param(date(2022, 6, 3), H, H, H, H, id="platinum-jubilee-3-june-2022"),
    pytest.param(date(2022, 9, 19), H, H, H, H, id="state-funeral-19-september-2022"),
    pytest.param(date(2023, 5, 8), H, H, H, H, id="coronation-8-may-2023"),
    pytest.param(date(2026, 1, 2), W, W, H, W, id="scotland-2-january-2026"),
    pytest.param(date(2026, 11, 30), W, W, H, W, id="st-andrews-day-2026"),
    pytest.param(date(2025, 12, 1), W, W, H, W, id="st-andrews-day-2025-substitute"),
    pytest.param(date(2026, 6, 15), W, W, H, W, id="scotland-15-june-2026"),
    pytest.param(date(2026, 3, 17), W, W, W, H, id="st-patricks-day-2026-northern-ireland"),
    pytest.param(date(2027, 7, 12), W, W, W, H, id="twelfth-of-july-2027-northern-ireland"),
    pytest.param(date(2026, 7, 13), W, W, W, H, id="twelfth-of-july-2026-substitute-monday"),
    pytest.param(date(2026, 8, 3), W, W, H, W, id="scottish-summer-holiday-first-monday-august"),
    pytest.param(date(2026, 8, 31), H, H, W, H, id="late-summer-holiday-last-monday-august"),
    pytest.param(date(2026, 6, 13), H, H, H, H, id="saturday"),
    pytest.param(date(2026, 6, 14), H, H, H, H, id="sunday"),
]


@pytest.mark.parametrize(("day", "england", "wales", "scotland", "northern_ireland"), HARD_DAYS)
def test_each_nation_observes_its_own_bank_holidays(
    day, england, wales, scotland, northern_ireland
):
    expected = {ENG: england, WLS: wales, SCT: scotland, NIR: northern_ireland}
    actual = {nation: cal(nation).is_working_day(day) for nation in expected}
    assert actual == expected


# start, n, then the due date in England, Wales, Scotland, Northern Ireland
ADDITIONS = [
    pytest.param(
        date(2026, 6, 1),
        15,
        date(2026, 6, 22),
        date(2026, 6, 22),
        date(2026, 6, 23),
        date(2026, 6, 22),
        id="fifteen-days-from-1-june-2026-skip-15-june-in-scotland",
    ),
    pytest.param(
        date(2026, 3, 20),
        15,
        date(2026, 4, 14),
        date(2026, 4, 14),
        date(2026, 4, 13),
        date(2026, 4, 14),
        id="fifteen-days-over-easter-2026",
    ),
    pytest.param(
        date(2026, 3, 27),
        5,
        date(2026, 4, 7),
        date(2026, 4, 7),
        date(2026, 4, 6),
        date(2026, 4, 7),
        id="five-days-over-easter-2026",
    ),
    pytest.param(
        date(2021, 12, 23),
        3,
        date(2021, 12, 30),
        date(2021, 12, 30),
        date(2021, 12, 30),
        date(2021, 12, 30),
        id="christmas-2021-substitutes",
    ),
    pytest.param(
        date(2021, 12, 31),
        1,
        date(2022, 1, 4),
        date(2022, 1, 4),
        date(2022, 1, 5),
        date(2022, 1, 4),
        id="new-year-2022-substitutes",
    ),
    pytest.param(
        date(2026, 12, 31),
        1,
        date(2027, 1, 4),
        date(2027, 1, 4),
        date(2027, 1, 5),
        date(2027, 1, 4),
        id="new-year-2027-scotland-2-january-substitute",
    ),
    pytest.param(
        date(2025, 12, 31),
        1,
        date(2026, 1, 2),
        date(2026, 1, 2),
        date(2026, 1, 5),
        date(2026, 1, 2),
        id="scotland-2-january-2026",
    ),
    pytest.param(
        date(2022, 6, 1),
        1,
        date(2022, 6, 6),
        date(2022, 6, 6),
        date(2022, 6, 6),
        date(2022, 6, 6),
        id="jubilee-2022",
    ),
    pytest.param(
        date(2022, 9, 16),
        1,
        date(2022, 9, 20),
        date(2022, 9, 20),
        date(2022, 9, 20),
        date(2022, 9, 20),
        id="state-funeral-2022",
    ),
    pytest.param(
        date(2023, 5, 5),
        1,
        date(2023, 5, 9),
        date(2023, 5, 9),
        date(2023, 5, 9),
        date(2023, 5, 9),
        id="coronation-2023",
    ),
    pytest.param(
        date(2026, 3, 16),
        1,
        date(2026, 3, 17),
        date(2026, 3, 17),
        date(2026, 3, 17),
        date(2026, 3, 18),
        id="st-patricks-day-2026",
    ),
    pytest.param(
        date(2027, 7, 9),
        1,
        date(2027, 7, 12),
        date(2027, 7, 12),
        date(2027, 7, 12),
        date(2027, 7, 13),
        id="twelfth-of-july-2027",
    ),
    pytest.param(
        date(2025, 11, 28),
        1,
        date(2025, 12, 1),
        date(2025, 12, 1),
        date(2025, 12, 2),
        date(2025, 12, 1),
        id="st-andrews-day-2025-substitute",
    ),
    pytest.param(
        date(2026, 12, 21),
        5,
        date(2026, 12, 30),
        date(2026, 12, 30),
        date(2026, 12, 30),
        date(2026, 12, 30),
        id="five-days-over-christmas-2026",
    ),
]


@pytest.mark.parametrize(
    ("start", "n", "england", "wales", "scotland", "northern_ireland"), ADDITIONS
)
def test_nth_working_day_after_start_in_each_nation(
    start, n, england, wales, scotland, northern_ireland
):
    expected = {ENG: england, WLS: wales, SCT: scotland, NIR: northern_ireland}
    actual = {nation: cal(nation).add_working_days(start, n) for nation in expected}
    assert actual == expected


def test_fifteenth_working_day_skips_easter_monday_in_england():
    assert cal(ENG).add_working_days(date(2026, 3, 20), 15) == date(2026, 4, 14)


def test_fifteenth_working_day_counts_easter_monday_in_scotland():
    assert cal(SCT).add_working_days(date(2026, 3, 20), 15) == date(2026, 4, 13)


def test_start_day_is_not_counted():
    assert cal(ENG).add_working_days(date(2026, 6, 1), 1) == date(2026, 6, 2)


def test_counting_from_a_weekend_starts_on_the_monday():
    assert cal(ENG).add_working_days(date(2026, 6, 13), 1) == date(2026, 6, 15)


def test_zero_working_days_returns_the_start_even_on_a_holiday():
    assert cal(ENG).add_working_days(date(2026, 4, 3), 0) == date(2026, 4, 3)


@pytest.mark.parametrize(
    ("nation", "start", "n", "expected"),
    [
        pytest.param(ENG, date(2026, 4, 7), -1, date(2026, 4, 2), id="england-back-over-easter"),
        pytest.param(SCT, date(2026, 4, 7), -1, date(2026, 4, 6), id="scotland-back-to-easter"),
        pytest.param(ENG, date(2026, 6, 22), -15, date(2026, 6, 1), id="england-back-15"),
        pytest.param(SCT, date(2026, 6, 23), -15, date(2026, 6, 1), id="scotland-back-15"),
        pytest.param(ENG, date(2026, 6, 13), -1, date(2026, 6, 12), id="saturday-back-1"),
    ],
)
def test_negative_working_days_count_back(nation, start, n, expected):
    assert cal(nation).add_working_days(start, n) == expected


@pytest.mark.parametrize(
    ("nation", "start", "end", "expected"),
    [
        pytest.param(SCT, date(2026, 6, 1), date(2026, 6, 23), 15, id="scotland-june-2026"),
        pytest.param(ENG, date(2026, 6, 1), date(2026, 6, 22), 15, id="england-june-2026"),
        pytest.param(ENG, date(2026, 12, 21), date(2026, 12, 30), 5, id="england-christmas"),
        pytest.param(ENG, date(2026, 6, 1), date(2026, 6, 1), 0, id="same-day"),
        pytest.param(ENG, date(2026, 6, 22), date(2026, 6, 1), -15, id="reversed"),
        pytest.param(ENG, date(2026, 6, 12), date(2026, 6, 14), 0, id="friday-to-sunday"),
    ],
)
def test_working_days_between_counts_the_half_open_interval(nation, start, end, expected):
    assert cal(nation).working_days_between(start, end) == expected


def test_closure_day_is_not_a_working_day_and_pushes_the_deadline():
    board = WorkingCalendar(ENG, closures=[date(2026, 12, 24)])
    assert not board.is_working_day(date(2026, 12, 24))
    assert board.holiday_name(date(2026, 12, 24)) == "Board closure day"
    assert board.add_working_days(date(2026, 12, 21), 5) == date(2026, 12, 31)


def test_closure_days_do_not_leak_into_another_boards_calendar():
    WorkingCalendar(ENG, closures=[date(2026, 12, 24)])
    assert WorkingCalendar(ENG).is_working_day(date(2026, 12, 24))


def test_holiday_name_is_given_for_a_bank_holiday_and_none_for_a_working_day():
    assert cal(ENG).holiday_name(date(2026, 4, 6)) == "Easter Monday"
    assert cal(SCT).holiday_name(date(2026, 4, 6)) is None


def test_next_working_day_moves_a_holiday_forward_and_keeps_a_working_day():
    assert cal(ENG).next_working_day(date(2026, 4, 3)) == date(2026, 4, 7)
    assert cal(ENG).next_working_day(date(2026, 4, 8)) == date(2026, 4, 8)


def test_far_dates_extend_the_precomputed_years():
    board = WorkingCalendar(ENG)
    assert board.add_working_days(date(2026, 1, 1), 2000) > date(2033, 1, 1)
    assert board.add_working_days(date(2026, 1, 1), -2000) < date(2019, 1, 1)
    assert board.working_days_between(date(1990, 1, 1), date(2060, 1, 1)) > 17000


def test_working_days_past_the_year_9999_fail_with_invalid_input():
    with pytest.raises(InvalidInput, match="out of range"):
        cal(ENG).add_working_days(date(9999, 12, 30), 5)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        pytest.param(date(2026, 1, 31), 1, date(2026, 2, 28), id="31-january-to-28-february"),
        pytest.param(date(2024, 1, 31), 1, date(2024, 2, 29), id="leap-year-29-february"),
        pytest.param(date(2026, 8, 31), 6, date(2027, 2, 28), id="six-months-clamped"),
        pytest.param(date(2026, 3, 31), -1, date(2026, 2, 28), id="back-one-month-clamped"),
        pytest.param(date(2026, 12, 21), 6, date(2027, 6, 21), id="across-the-year-end"),
        pytest.param(date(2026, 5, 15), 12, date(2027, 5, 15), id="twelve-months"),
        pytest.param(date(2026, 1, 15), -13, date(2024, 12, 15), id="back-thirteen-months"),
    ],
)
def test_add_months_keeps_the_day_and_clamps_to_the_months_end(start, n, expected):
    assert WorkingCalendar.add_months(start, n) == expected


def test_add_months_past_the_year_9999_fails_with_invalid_input():
    with pytest.raises(InvalidInput, match="out of range"):
        WorkingCalendar.add_months(date(9999, 12, 1), 1)


def test_calendar_days_and_weeks_count_every_day():
    assert WorkingCalendar.add_calendar_days(date(2026, 1, 30), 28) == date(2026, 2, 27)
    assert WorkingCalendar.add_weeks(date(2026, 12, 1), -2) == date(2026, 11, 17)


@pytest.mark.parametrize(
    ("text", "nation"),
    [
        ("england", ENG),
        ("Wales", WLS),
        ("SCOTLAND", SCT),
        ("northern_ireland", NIR),
        ("Northern Ireland", NIR),
    ],
)
def test_nation_parse_accepts_the_spellings_people_type(text, nation):
    assert Nation.parse(text) is nation


def test_unknown_nation_is_refused_with_the_choices():
    with pytest.raises(InvalidInput, match="england, wales, scotland, northern-ireland"):
        Nation.parse("france")


def test_every_nation_uses_its_own_subdivision_never_the_bare_uk_calendar():
    assert {n.subdivision for n in Nation} == {"ENG", "WLS", "SCT", "NIR"}


# -- properties ---------------------------------------------------------------------------------

nations = st.sampled_from(list(Nation))
days = st.dates(min_value=date(1995, 1, 1), max_value=date(2055, 12, 31))
counts = st.integers(min_value=1, max_value=400)


@settings(max_examples=300, deadline=None)
@given(nation=nations, start=days, n=counts)
def test_counting_back_the_working_days_added_gives_n(nation, start, n):
    calendar = cal(nation)
    assert calendar.working_days_between(start, calendar.add_working_days(start, n)) == n


@settings(max_examples=300, deadline=None)
@given(nation=nations, start=days, n=st.integers(min_value=-400, max_value=400).filter(bool))
def test_adding_working_days_never_lands_on_a_non_working_day(nation, start, n):
    assert cal(nation).is_working_day(cal(nation).add_working_days(start, n))


@settings(max_examples=300, deadline=None)
@given(nation=nations, start=days, n=counts)
def test_negative_n_from_a_working_day_goes_back_exactly_n_working_days(nation, start, n):
    calendar = cal(nation)
    working_start = calendar.next_working_day(start)
    earlier = calendar.add_working_days(working_start, -n)
    assert earlier < working_start
    assert calendar.working_days_between(earlier, working_start) == n
    assert calendar.add_working_days(earlier, n) == working_start


@settings(max_examples=200, deadline=None)
@given(
    nation=nations,
    start=days,
    n=counts,
    closures=st.lists(st.dates(date(1995, 1, 1), date(2058, 1, 1)), max_size=30),
)
def test_closure_days_are_never_due_dates(nation, start, n, closures):
    board = WorkingCalendar(nation, closures)
    due = board.add_working_days(start, n)
    assert due not in set(closures)
    assert board.working_days_between(start, due) == n


@settings(max_examples=200, deadline=None)
@given(start=days, n=st.integers(min_value=-240, max_value=240))
def test_add_months_stays_within_the_target_month(start, n):
    result = WorkingCalendar.add_months(start, n)
    months = (result.year - start.year) * 12 + result.month - start.month
    assert months == n
    assert result.day == start.day or (result + timedelta(days=1)).month != result.month
