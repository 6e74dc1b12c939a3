"""``casedesk workdays add|count``: working-day arithmetic (a stable contract, PRODUCT.md)."""

from __future__ import annotations

import argparse

from bot.cli.common import add_nation, iso_date, preload_uk_holidays
from bot.domain.calendar import WorkingCalendar


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``workdays`` group."""
    parser = sub.add_parser("workdays", help="add or count working days")
    cmds = parser.add_subparsers(dest="workdays_command", metavar="add|count")
    cmds.required = True

    add = cmds.add_parser("add", help="print the Nth working day after FROM (FROM not counted)")
    add.add_argument("start", metavar="FROM", type=iso_date)
    add.add_argument("n", metavar="N", type=int, help="working days; negative counts back")
    add_nation(add, required=True)
    add.set_defaults(handler=_add)

    count = cmds.add_parser("count", help="print the working days in (START, END]")
    count.add_argument("start", metavar="START", type=iso_date)
    count.add_argument("end", metavar="END", type=iso_date)
    add_nation(count, required=True)
    count.set_defaults(handler=_count)


def _add(args: argparse.Namespace) -> int:
    preload_uk_holidays()
    print(WorkingCalendar(args.nation).add_working_days(args.start, args.n).isoformat())
    return 0


def _count(args: argparse.Namespace) -> int:
    preload_uk_holidays()
    print(WorkingCalendar(args.nation).working_days_between(args.start, args.end))
    return 0
