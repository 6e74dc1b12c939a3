"""``casedesk deadlines``: every deadline a protocol gives for the events of a case.

The JSON form is a stable contract (PRODUCT.md §Command-line contract): a list of objects with
``rule``, ``label``, ``event``, ``due`` (ISO date) and ``source``, plus ``event_date``, ``owner``
and ``applies_to``. Without ``--json`` the same deadlines print as an aligned table.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from bot.cli.common import add_nation, iso_date, preload_uk_holidays
from bot.domain.boards import ReviewType
from bot.domain.calendar import WorkingCalendar
from bot.domain.preset_files import load_protocol
from bot.domain.protocols import Due, Event, Protocol

_EVENTS = ", ".join(e.value for e in Event)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``deadlines`` command."""
    parser = sub.add_parser(
        "deadlines",
        help="compute a protocol's deadlines from event dates",
        description="Print every deadline of PRESET that counts from the events given.",
    )
    parser.add_argument(
        "--protocol",
        required=True,
        metavar="PRESET",
        help="a preset name (see `casedesk protocols list`) or the path of a preset file",
    )
    parser.add_argument(
        "--event",
        required=True,
        action="append",
        type=event_date,
        metavar="EVENT=YYYY-MM-DD",
        help=f"an event and its date; repeat for several. EVENT is one of: {_EVENTS}",
    )
    add_nation(parser, required=False)
    parser.add_argument(
        "--closure",
        action="append",
        type=iso_date,
        default=[],
        metavar="YYYY-MM-DD",
        help="a board closure day (not a working day); repeat for several",
    )
    parser.add_argument(
        "--review-type",
        type=review_type,
        metavar="TYPE",
        help="only rules for this review type: " + ", ".join(t.value for t in ReviewType),
    )
    parser.add_argument(
        "--rule-event",
        action="append",
        type=rule_event,
        default=[],
        metavar="RULE=EVENT",
        help="count RULE from another event the preset allows (an ambiguous rule's reading)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON (the stable contract)")
    parser.set_defaults(handler=_deadlines)


def event_date(value: str) -> tuple[Event, date]:
    """Parse ``EVENT=YYYY-MM-DD`` for argparse, failing with one clear message."""
    key, sep, text = value.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not EVENT=YYYY-MM-DD (for example decision=2026-12-21)"
        )
    return _event(key), iso_date(text.strip())


def rule_event(value: str) -> tuple[str, Event]:
    """Parse ``RULE=EVENT`` for argparse."""
    rule, sep, key = value.partition("=")
    if not sep or not rule.strip():
        raise argparse.ArgumentTypeError(f"{value!r} is not RULE=EVENT")
    return rule.strip(), _event(key)


def review_type(value: str) -> ReviewType:
    """Parse a review type for argparse."""
    try:
        return ReviewType(value.strip().lower().replace("-", "_"))
    except ValueError:
        choices = ", ".join(t.value for t in ReviewType)
        raise argparse.ArgumentTypeError(
            f"unknown review type {value!r}; choose one of: {choices}"
        ) from None


def _event(key: str) -> Event:
    try:
        return Event(key.strip().lower().replace("-", "_"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"unknown event {key.strip()!r}; choose one of: {_EVENTS}"
        ) from None


def _deadlines(args: argparse.Namespace) -> int:
    preload_uk_holidays()
    events: dict[Event, date] = {}
    for event, day in args.event:
        if event in events and events[event] != day:
            print(f"casedesk: event {event.value!r} is given twice", file=sys.stderr)
            return 2
        events[event] = day
    protocol = load_protocol(args.protocol)
    if args.rule_event:
        protocol = protocol.with_events({rule: event.value for rule, event in args.rule_event})
    calendar = WorkingCalendar(args.nation, args.closure)
    dues = protocol.deadlines(events, calendar, args.review_type)
    if args.json:
        print(json.dumps([as_json(d) for d in dues], indent=2, ensure_ascii=False))
    else:
        print(table(dues, calendar, protocol))
    if not dues:
        print(_nothing_counts(protocol, events), file=sys.stderr)
    return 0


def as_json(due: Due) -> dict[str, object]:
    """Return one deadline as the CLI contract's JSON object."""
    rule = due.rule
    return {
        "rule": rule.id,
        "label": rule.label,
        "event": rule.event.value,
        "event_date": due.event_date.isoformat(),
        "due": due.due.isoformat(),
        "owner": rule.owner.value,
        "applies_to": sorted(t.value for t in rule.applies_to),
        "source": rule.source,
    }


def table(dues: list[Due], calendar: WorkingCalendar, protocol: Protocol) -> str:
    """Render deadlines as an aligned table, followed by each rule's source."""
    if not dues:
        return f"No deadlines of {protocol.name} count from the events given."
    head = ("DUE", "DAY", "RULE", "COUNTS FROM", "OWNER", "WHAT")
    rows = [
        (
            d.due.isoformat(),
            d.due.strftime("%a"),
            d.rule.id,
            f"{d.rule.event.value} {d.event_date.isoformat()}",
            d.rule.owner.value,
            d.rule.label,
        )
        for d in dues
    ]
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head) - 1)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        for row in (head, *rows)
    ]
    lines.append("")
    lines.append(f"{protocol.title} ({calendar.nation.value} working days)")
    lines.append("Sources:")
    lines.extend(f"  {d.rule.id}: {d.rule.source}" for d in dues)
    return "\n".join(lines)


def _nothing_counts(protocol: Protocol, events: dict[Event, date]) -> str:
    used = sorted({r.event.value for r in protocol.rules})
    given = ", ".join(sorted(e.value for e in events))
    return (
        f"casedesk: note: no rule of {protocol.name} counts from {given}; "
        f"its rules count from: {', '.join(used)}"
    )
