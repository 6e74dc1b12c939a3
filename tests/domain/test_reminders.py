"""Reminder timing: lead times on working days, sending hours, overdue, escalation, catch-up.

Sources: PRODUCT.md §Deadlines and reminders; SPEC.md §Timescales. Dates are 2026: Good Friday
3 April, Easter Monday 6 April (England and Wales, not Scotland), Christmas Friday 25 December,
Boxing Day observed Monday 28 December.
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calendar import Nation, WorkingCalendar
from bot.domain.deadlines import DeadlineStatus
from bot.domain.reminders import (
    LONDON,
    ReminderKind,
    reminder_due,
    reminder_horizon,
    reminder_schedule,
)

ENGLAND = WorkingCalendar(Nation.ENGLAND)
SCOTLAND = WorkingCalendar(Nation.SCOTLAND)
CLOSED_CHRISTMAS_EVE = WorkingCalendar(Nation.ENGLAND, closures=[date(2026, 12, 24)])


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


# -- lead times ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "due", "expected"),
    [
        pytest.param(
            ENGLAND,
            date(2026, 4, 7),
            [
                (5, date(2026, 3, 27)),
                (2, date(2026, 4, 1)),
                (1, date(2026, 4, 2)),
                (0, date(2026, 4, 7)),
            ],
            id="england-easter-skips-good-friday-and-easter-monday",
        ),
        pytest.param(
            SCOTLAND,
            date(2026, 4, 7),
            [
                (5, date(2026, 3, 30)),
                (2, date(2026, 4, 2)),
                (1, date(2026, 4, 6)),
                (0, date(2026, 4, 7)),
            ],
            id="scotland-easter-works-easter-monday",
        ),
        pytest.param(
            ENGLAND,
            date(2026, 12, 29),
            [
                (5, date(2026, 12, 18)),
                (2, date(2026, 12, 23)),
                (1, date(2026, 12, 24)),
                (0, date(2026, 12, 29)),
            ],
            id="england-christmas-skips-25-and-28-december",
        ),
        pytest.param(
            CLOSED_CHRISTMAS_EVE,
            date(2026, 12, 29),
            [
                (5, date(2026, 12, 17)),
                (2, date(2026, 12, 22)),
                (1, date(2026, 12, 23)),
                (0, date(2026, 12, 29)),
            ],
            id="board-closure-on-christmas-eve-moves-leads-earlier",
        ),
    ],
)
def test_each_lead_time_falls_on_the_working_day_counted_back_from_the_due_day(
    calendar, due, expected
):
    schedule = reminder_schedule(due, calendar, (5, 2, 1, 0))

    assert [(s.lead, s.fire_on) for s in schedule] == expected
    assert all(calendar.is_working_day(s.fire_on) for s in schedule)
    assert [s.key for s in schedule] == [f"lead:{n}:{due.isoformat()}" for n, _ in expected]


def test_a_lead_landing_on_easter_monday_is_sent_on_the_thursday_before_in_england():
    due = date(2026, 4, 7)

    on_easter_monday = reminder_due(due, calendar=ENGLAND, now=at(2026, 4, 6))
    on_thursday = reminder_due(due, calendar=ENGLAND, now=at(2026, 4, 2))

    assert on_easter_monday is None
    assert on_thursday is not None
    assert (on_thursday.key, on_thursday.kind, on_thursday.lead) == (
        "lead:1:2026-04-07",
        ReminderKind.BEFORE,
        1,
    )


def test_easter_monday_is_a_working_day_in_scotland_so_the_lead_is_sent_then():
    got = reminder_due(date(2026, 4, 7), calendar=SCOTLAND, now=at(2026, 4, 6))

    assert got is not None
    assert (got.key, got.fire_on) == ("lead:1:2026-04-07", date(2026, 4, 6))


def test_a_due_day_on_a_saturday_is_reminded_on_the_friday_before_once():
    schedule = reminder_schedule(date(2026, 12, 5), ENGLAND, (5, 2, 1, 0))

    assert [(s.lead, s.fire_on, s.kind) for s in schedule] == [
        (5, date(2026, 11, 30), ReminderKind.BEFORE),
        (2, date(2026, 12, 3), ReminderKind.BEFORE),
        (0, date(2026, 12, 4), ReminderKind.DUE_DAY),
    ]


def test_a_negative_lead_time_is_refused():
    with pytest.raises(ValueError, match="-1"):
        reminder_schedule(date(2026, 12, 11), ENGLAND, (5, -1))


# -- days and hours -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "now"),
    [
        pytest.param(ENGLAND, at(2026, 12, 5), id="saturday"),
        pytest.param(ENGLAND, at(2026, 12, 6), id="sunday"),
        pytest.param(ENGLAND, at(2026, 12, 25), id="christmas-day"),
        pytest.param(ENGLAND, at(2026, 12, 28), id="boxing-day-substitute-monday"),
        pytest.param(CLOSED_CHRISTMAS_EVE, at(2026, 12, 24), id="board-closure-day"),
    ],
)
def test_nothing_is_sent_on_a_non_working_day_even_when_a_reminder_is_owed(calendar, now):
    assert reminder_due(date(2026, 12, 2), calendar=calendar, now=now) is None


def test_an_overdue_reminder_is_sent_on_christmas_eve_when_the_board_is_open():
    got = reminder_due(date(2026, 12, 2), calendar=ENGLAND, now=at(2026, 12, 24))

    assert got is not None and got.key == "overdue:2026-12-24"


@pytest.mark.parametrize(
    ("now", "sent"),
    [
        pytest.param(at(2026, 12, 4, 7, 59), False, id="a-minute-before-start"),
        pytest.param(at(2026, 12, 4, 8, 0), True, id="at-start"),
        pytest.param(at(2026, 12, 4, 17, 59), True, id="a-minute-before-end"),
        pytest.param(at(2026, 12, 4, 18, 0), False, id="at-end"),
        pytest.param(at(2026, 12, 4, 23, 30), False, id="late-evening"),
        pytest.param(datetime(2026, 12, 4, 7, 30, tzinfo=UTC), False, id="0730-utc-is-0730-gmt"),
        pytest.param(datetime(2026, 6, 4, 7, 30, tzinfo=UTC), True, id="0730-utc-is-0830-bst"),
    ],
)
def test_reminders_are_sent_only_inside_sending_hours_in_london_time(now, sent):
    due = now.astimezone(LONDON).date()  # a due-day reminder is owed all day

    got = reminder_due(due, calendar=ENGLAND, now=now)

    assert (got is not None) is sent


def test_a_naive_now_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="timezone-aware"):
        reminder_due(date(2026, 12, 4), calendar=ENGLAND, now=datetime(2026, 12, 4, 10))


# -- overdue and escalation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "key", "lead", "kind"),
    [
        pytest.param(at(2026, 12, 3), "overdue:2026-12-03", -1, ReminderKind.OVERDUE, id="thu-1"),
        pytest.param(at(2026, 12, 4), "overdue:2026-12-04", -2, ReminderKind.OVERDUE, id="fri-2"),
        pytest.param(at(2026, 12, 7), "overdue:2026-12-07", -3, ReminderKind.OVERDUE, id="mon-3"),
        pytest.param(
            at(2026, 12, 8), "overdue:2026-12-08", -4, ReminderKind.ESCALATION, id="tue-4-escalates"
        ),
        pytest.param(
            at(2026, 12, 29),
            "overdue:2026-12-29",
            -17,
            ReminderKind.ESCALATION,
            id="after-christmas-counts-working-days-only",
        ),
    ],
)
def test_an_overdue_deadline_is_chased_each_working_day_and_escalates_after_three(
    now, key, lead, kind
):
    got = reminder_due(date(2026, 12, 2), calendar=ENGLAND, now=now, escalate_after=3)

    assert got is not None
    assert (got.key, got.lead, got.kind, got.fire_on) == (key, lead, kind, now.date())
    assert got.escalate is (kind is ReminderKind.ESCALATION)


@pytest.mark.parametrize(
    ("escalate_after", "escalates_on_day_one"),
    [
        pytest.param(0, True, id="zero-escalates-at-once"),
        pytest.param(None, False, id="none-never-escalates"),
    ],
)
def test_the_escalation_threshold_is_the_boards_choice(escalate_after, escalates_on_day_one):
    due = date(2026, 12, 2)
    day_one = reminder_due(
        due, calendar=ENGLAND, now=at(2026, 12, 3), escalate_after=escalate_after
    )
    day_twenty = reminder_due(
        due, calendar=ENGLAND, now=at(2026, 12, 31), escalate_after=escalate_after
    )

    assert day_one is not None and day_twenty is not None
    assert day_one.escalate is escalates_on_day_one
    assert day_twenty.escalate is (escalate_after is not None)


# -- exactly once and catch-up ------------------------------------------------------------------

DUE = date(2026, 12, 11)  # Friday; leads 5, 2, 1, 0 fall on Fri 4, Wed 9, Thu 10, Fri 11 Dec


def test_a_slot_already_sent_is_not_offered_again_the_same_day():
    first = reminder_due(DUE, calendar=ENGLAND, now=at(2026, 12, 9, 8))
    assert first is not None and first.key == "lead:2:2026-12-11"

    again = reminder_due(DUE, calendar=ENGLAND, now=at(2026, 12, 9, 15), sent={first.key})

    assert again is None


def test_a_days_downtime_gives_one_catch_up_reminder_the_latest_slot():
    sent = {"lead:5:2026-12-11"}  # Wednesday's lead 2 was never sent: the bot was down

    got = reminder_due(DUE, calendar=ENGLAND, now=at(2026, 12, 10, 9), sent=sent)

    assert got is not None and got.key == "lead:1:2026-12-11"
    assert (
        reminder_due(DUE, calendar=ENGLAND, now=at(2026, 12, 10, 9, 1), sent={*sent, got.key})
        is None
    )


def test_a_slot_skipped_during_downtime_is_never_sent_later():
    sent = {"lead:5:2026-12-11"}
    for day in range(10, 32):  # down all of Wednesday 9 December, the day of lead 2
        got = reminder_due(DUE, calendar=ENGLAND, now=at(2026, 12, day), sent=sent)
        if got is not None:
            sent.add(got.key)

    assert "lead:2:2026-12-11" not in sent
    assert {"lead:1:2026-12-11", "lead:0:2026-12-11", "overdue:2026-12-31"} <= sent


def test_a_slot_missed_on_friday_is_caught_up_on_monday_when_monday_has_none():
    # Due Thu 10 Dec with leads 4 and 1: Fri 4 Dec and Wed 9 Dec; the bot was down on Friday.
    got = reminder_due(
        date(2026, 12, 10), calendar=ENGLAND, now=at(2026, 12, 7), leads=(4, 1), sent=frozenset()
    )

    assert got is not None and (got.key, got.fire_on) == ("lead:4:2026-12-10", date(2026, 12, 4))


def test_a_missed_morning_is_caught_up_the_same_afternoon():
    got = reminder_due(
        DUE, calendar=ENGLAND, now=at(2026, 12, 9, 17, 30), sent={"lead:5:2026-12-11"}
    )

    assert got is not None and got.fire_on == date(2026, 12, 9)


def test_slots_before_the_deadline_was_set_are_not_owed():
    before_lead_two = reminder_due(
        DUE, calendar=ENGLAND, now=at(2026, 12, 8), since=date(2026, 12, 8)
    )
    on_lead_two = reminder_due(DUE, calendar=ENGLAND, now=at(2026, 12, 9), since=date(2026, 12, 8))

    assert before_lead_two is None
    assert on_lead_two is not None and on_lead_two.key == "lead:2:2026-12-11"


def test_an_extended_deadline_is_reminded_afresh_because_keys_carry_the_due_date():
    old_keys = {s.key for s in reminder_schedule(DUE, ENGLAND)}
    new_due = date(2026, 12, 18)

    got = reminder_due(new_due, calendar=ENGLAND, now=at(2026, 12, 17), sent=old_keys)

    assert got is not None and got.key == "lead:1:2026-12-18"


@pytest.mark.parametrize(
    ("status", "chased"),
    [
        pytest.param(DeadlineStatus.OPEN, True, id="open"),
        pytest.param(DeadlineStatus.EXTENDED, True, id="extended"),
        pytest.param("open", True, id="open-as-stored-text"),
        pytest.param(DeadlineStatus.PAUSED, False, id="paused"),
        pytest.param(DeadlineStatus.DONE, False, id="done"),
        pytest.param(DeadlineStatus.CANCELLED, False, id="cancelled"),
    ],
)
def test_only_a_running_deadline_is_chased(status, chased):
    got = reminder_due(date(2026, 12, 2), calendar=ENGLAND, now=at(2026, 12, 8), status=status)

    assert (got is not None) is chased


def test_a_sweep_every_half_hour_sends_each_slot_once_at_the_start_of_sending_hours():
    sent: list[tuple[datetime, str, ReminderKind]] = []
    now = at(2026, 11, 23, 0, 0)
    while now < at(2027, 1, 1, 0, 0):
        got = reminder_due(
            DUE, calendar=CLOSED_CHRISTMAS_EVE, now=now, sent={k for _, k, _ in sent}
        )
        if got is not None:
            sent.append((now, got.key, got.kind))
        now += timedelta(minutes=30)

    overdue_days = [14, 15, 16, 17, 18, 21, 22, 23, 29, 30, 31]
    assert sent == [
        (at(2026, 12, 4, 8), "lead:5:2026-12-11", ReminderKind.BEFORE),
        (at(2026, 12, 9, 8), "lead:2:2026-12-11", ReminderKind.BEFORE),
        (at(2026, 12, 10, 8), "lead:1:2026-12-11", ReminderKind.BEFORE),
        (at(2026, 12, 11, 8), "lead:0:2026-12-11", ReminderKind.DUE_DAY),
        *[
            (
                at(2026, 12, d, 8),
                f"overdue:2026-12-{d:02d}",
                ReminderKind.ESCALATION if i >= 3 else ReminderKind.OVERDUE,
            )
            for i, d in enumerate(overdue_days)
        ],
    ]


@settings(max_examples=60, deadline=None)
@given(
    nation=st.sampled_from(list(Nation)),
    due_offset=st.integers(0, 364),
    down=st.sets(st.integers(-12, 14), max_size=10),
)
def test_whatever_the_downtime_reminders_go_once_a_day_at_most_and_none_is_left_owed(
    nation, due_offset, down
):
    calendar = WorkingCalendar(nation)
    due = date(2026, 1, 1) + timedelta(days=due_offset)
    sent: dict[str, datetime] = {}
    fire_days: list[date] = []
    for offset in range(-12, 15):
        day = due + timedelta(days=offset)
        if offset in down:
            continue
        for hour in range(24):
            now = at(day.year, day.month, day.day, hour)
            got = reminder_due(due, calendar=calendar, now=now, sent=sent.keys())
            if got is not None:
                assert got.key not in sent
                sent[got.key] = now
                fire_days.append(got.fire_on)
        closing = at(day.year, day.month, day.day, 17, 59)
        # Liveness: a day the bot was up leaves nothing owed behind it.
        assert reminder_due(due, calendar=calendar, now=closing, sent=sent.keys()) is None

    send_days = [t.date() for t in sent.values()]
    assert len(send_days) == len(set(send_days))  # at most one reminder a day
    assert all(calendar.is_working_day(d) for d in send_days)
    assert all(time(8) <= t.timetz().replace(tzinfo=None) < time(18) for t in sent.values())
    assert fire_days == sorted(set(fire_days))  # never an older slot after a newer one


def test_the_horizon_bounds_the_due_dates_a_sweep_must_load():
    for today in (date(2026, 4, 1) + timedelta(days=i) for i in range(40)):
        horizon = reminder_horizon(today, ENGLAND, (5, 2, 1, 0))
        for due in (today + timedelta(days=j) for j in range(30)):
            got = reminder_due(due, calendar=ENGLAND, now=at(today.year, today.month, today.day))
            if got is not None:
                assert due <= horizon, (today, due)
        assert horizon == ENGLAND.add_working_days(today, 5)
