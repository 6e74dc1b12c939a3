"""``casedesk protocols list|show|check``: the presets, one preset's rules, a file's health."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from bot.domain.errors import ProtocolError
from bot.domain.preset_files import load_protocol, parse_protocol, preset_names
from bot.domain.protocols import Protocol, Rule, Unit

_UNITS = {
    Unit.WORKING_DAYS: ("working day", "working days"),
    Unit.CALENDAR_DAYS: ("calendar day", "calendar days"),
    Unit.WEEKS: ("week", "weeks"),
    Unit.MONTHS: ("month", "months"),
}
_WIDTH = 100


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``protocols`` group."""
    parser = sub.add_parser("protocols", help="list, show or check protocol presets")
    cmds = parser.add_subparsers(dest="protocols_command", metavar="list|show|check")
    cmds.required = True

    listing = cmds.add_parser("list", help="list the presets that ship with casedesk")
    listing.set_defaults(handler=_list)

    show = cmds.add_parser("show", help="print a preset's rules with their sources and notes")
    show.add_argument("name", metavar="NAME", help="a preset name or the path of a preset file")
    show.set_defaults(handler=_show)

    check = cmds.add_parser("check", help="validate a preset file")
    check.add_argument("file", metavar="FILE", help="the preset file (or a shipped preset's name)")
    check.set_defaults(handler=_check)


def _list(args: argparse.Namespace) -> int:
    protocols = [load_protocol(name) for name in preset_names()]
    width = max(len(p.name) for p in protocols)
    for p in protocols:
        print(f"{p.name.ljust(width)}  {p.title}")
    return 0


def _show(args: argparse.Namespace) -> int:
    print(render(load_protocol(args.name)))
    return 0


def _check(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.exists() and args.file in preset_names():
        protocol = load_protocol(args.file)
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise ProtocolError(str(path), f"cannot read the file ({err.strerror})") from None
        except UnicodeDecodeError:
            raise ProtocolError(str(path), "not a UTF-8 text file") from None
        protocol = parse_protocol(text, str(path))
    n = len(protocol.rules)
    print(f"ok: {n} rule{'' if n == 1 else 's'}")
    return 0


def render(protocol: Protocol) -> str:
    """Render a protocol readably: its title, notes and every rule with source and note."""
    out = [protocol.name, f"  {protocol.title}", f"  source: {protocol.source}"]
    if protocol.notes.strip():
        out.append(_wrap(protocol.notes, "  "))
    for rule in protocol.rules:
        out.append("")
        out.extend(_rule_lines(rule))
    return "\n".join(out)


def describe(rule: Rule) -> str:
    """Return a rule's timing in words, e.g. ``5 working days after decision``."""
    one, many = _UNITS[rule.unit]
    if rule.amount == 0:
        return f"on the day of {rule.event.value}"
    unit = one if rule.amount == 1 else many
    return f"{rule.amount} {unit} {rule.direction.value} {rule.event.value}"


def _rule_lines(rule: Rule) -> list[str]:
    applies = ", ".join(sorted(t.value for t in rule.applies_to)) or "every review type"
    reminders = ", ".join(str(n) for n in rule.reminders) or "none"
    lines = [
        f"{rule.id}: {rule.label}",
        f"  due:        {describe(rule)}",
        f"  owner:      {rule.owner.value}",
        f"  applies to: {applies}",
        f"  reminders:  {reminders} working days before",
    ]
    if rule.alternative_events:
        alts = ", ".join(e.value for e in rule.alternative_events)
        lines.append(f"  may count from instead: {alts}")
    lines.append(_wrap(rule.source, "  source:     ", "              "))
    if rule.note:
        lines.append(_wrap(rule.note, "  note:       ", "              "))
    return lines


def _wrap(text: str, first: str, rest: str | None = None) -> str:
    return textwrap.fill(
        " ".join(text.split()),
        width=_WIDTH,
        initial_indent=first,
        subsequent_indent=first if rest is None else rest,
        break_on_hyphens=False,
    )
