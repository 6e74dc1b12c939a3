"""Time 100,000 deadline computations over every shipped preset and all four nations.

Run with ``.venv/bin/python bench/bench_calendar.py``. Prints the timings; asserts nothing (the
target is well under a second for the 100,000).
"""

from __future__ import annotations

import time
from datetime import date, timedelta

from bot.domain.calendar import Nation, WorkingCalendar
from bot.domain.preset_files import load_protocol, preset_names
from bot.domain.protocols import Event

N = 100_000


def main() -> None:
    rules = [rule for name in preset_names() for rule in load_protocol(name).rules]
    start = date(2024, 1, 1)
    event_dates = [start + timedelta(days=(i * 37) % 2557) for i in range(1000)]  # 2024-2030

    t0 = time.perf_counter()
    calendars = [WorkingCalendar(nation) for nation in Nation]
    for calendar in calendars:
        calendar.is_working_day(start)  # build the cache outside the timed loop
    setup = time.perf_counter() - t0

    t0 = time.perf_counter()
    for i in range(N):
        rule = rules[i % len(rules)]
        rule.due(event_dates[i % len(event_dates)], calendars[i % len(calendars)])
    elapsed = time.perf_counter() - t0

    t0 = time.perf_counter()
    for i in range(N):
        calendars[i % 4].add_working_days(event_dates[i % len(event_dates)], 1 + i % 60)
    working = time.perf_counter() - t0

    protocol = load_protocol("bath-ne-somerset")
    events = {event: date(2026, 4, 1) for event in Event}
    t0 = time.perf_counter()
    cases = N // len(protocol.rules)
    for i in range(cases):
        protocol.deadlines(events, calendars[i % 4])
    per_case = time.perf_counter() - t0

    report("calendar setup, 4 nations", setup)
    report(f"{N:,} rule due dates ({len(rules)} rules, 4 nations)", elapsed)
    report(f"{N:,} add_working_days (1-60 days)", working)
    report(f"{cases:,} cases x {len(protocol.rules)} rules (Protocol.deadlines)", per_case)


def report(what: str, seconds: float) -> None:
    print(f"{what:<52} {seconds * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
