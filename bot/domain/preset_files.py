"""Preset files: a protocol's timescales written as TOML, loaded and validated into a Protocol.

A preset is a TOML file (``bot/domain/presets/<name>.toml``, or a board's own file)::

    [protocol]
    name = "surrey"
    title = "Surrey Safeguarding Children Board: SCR procedure"
    source = "002_0ceef0fde733de82.txt"

    [[rules]]
    id = "national-bodies-informed"
    label = "Ofsted, DfE and the national panel informed of the decision"
    event = "decision"
    amount = 5
    unit = "working_days"          # working_days | calendar_days | weeks | months
    direction = "after"            # after | before
    owner = "business_manager"     # a board role
    reminders = [5, 2, 1, 0]       # working days before the due day (optional)
    applies_to = ["scr"]           # review types (optional; empty means every type)
    source = '002_0ceef0fde733de82.txt §1.2: "...within five working days..."'
    alternative_events = []        # other readings a board may choose (optional)
    note = ""                      # why a reading was chosen (optional)

A board chooses another reading of an ambiguous rule in its board file
(``[boards.rule_events] <rule id> = "<event>"``); the preset lists the readings it allows in
``alternative_events`` and says in ``note`` why the default was chosen.

Every fault in a file is reported as one :class:`ProtocolError` naming the file, the line, the
rule and the field.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path

from bot.domain.boards import ReviewType, Role
from bot.domain.errors import InvalidInput, ProtocolError
from bot.domain.protocols import DEFAULT_REMINDERS, Direction, Event, Protocol, Rule, Unit

_PRESETS = "bot.domain.presets"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_REQUIRED = ("id", "label", "event", "amount", "unit", "direction", "owner", "source")
_OPTIONAL = ("reminders", "applies_to", "alternative_events", "note")
_HEAD = ("name", "title", "source", "notes")


def preset_names() -> list[str]:
    """Return the names of the presets that ship with casedesk, sorted."""
    return list(_shipped_names())


@cache
def _shipped_names() -> tuple[str, ...]:
    # The package's own files: they do not change while the process runs.
    return tuple(
        sorted(
            p.name.removesuffix(".toml")
            for p in resources.files(_PRESETS).iterdir()
            if p.name.endswith(".toml")
        )
    )


@cache
def _shipped_preset(name: str) -> Protocol:
    """Parse a shipped preset once per process (a frozen value, safe to share)."""
    resource = resources.files(_PRESETS).joinpath(f"{name}.toml")
    return parse_protocol(resource.read_text(encoding="utf-8"), f"{name}.toml")


def load_protocol(name_or_path: str | Path) -> Protocol:
    """Load a shipped preset by name, or a board's own preset file by path.

    Raises:
        InvalidInput: the name is neither a preset nor an existing file.
        ProtocolError: the file is broken (names the file, line, rule and field).
    """
    text_name = str(name_or_path)
    if text_name in _shipped_names():
        return _shipped_preset(text_name)  # parsed once: every referral and decision reads it
    path = Path(text_name)
    if path.suffix == ".toml" or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise ProtocolError(str(path), f"cannot read the file ({err.strerror})") from None
        return parse_protocol(text, str(path))
    raise InvalidInput(
        f"unknown protocol {text_name!r}; presets are: {', '.join(preset_names())} "
        "(or give the path of a .toml preset file)"
    )


def parse_protocol(text: str, path: str) -> Protocol:
    """Parse and validate a preset file's text; ``path`` is used in error messages.

    Raises:
        ProtocolError: on the first fault found.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = re.search(r"line (\d+)", str(err))
        line = int(match.group(1)) if match else None
        rule, key = _Lines(text).locate(line)
        raise ProtocolError(
            path, f"not valid TOML ({err})", rule=rule, field=key, line=line
        ) from None
    lines = _Lines(text)
    head = data.get("protocol")
    if not isinstance(head, dict):
        raise ProtocolError(path, "missing the [protocol] table", field="protocol")
    unknown_head = sorted(set(head) - set(_HEAD))
    if unknown_head:
        raise ProtocolError(
            path,
            f"unknown field; allowed: {', '.join(_HEAD)}",
            field=f"protocol.{unknown_head[0]}",
            line=lines.of_key(unknown_head[0], None),
        )
    for key in ("name", "title", "source"):
        if not isinstance(head.get(key), str) or not head[key].strip():
            raise ProtocolError(
                path,
                "required text is missing",
                field=f"protocol.{key}",
                line=lines.of_key(key, None),
            )
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ProtocolError(path, "a protocol needs at least one [[rules]] table", field="rules")
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules):
        rule = _parse_rule(raw, index, path, lines)
        if rule.id in seen:
            raise ProtocolError(
                path,
                "duplicate rule id",
                rule=rule.id,
                field="id",
                line=lines.of_key("id", index),
            )
        seen.add(rule.id)
        rules.append(rule)
    return Protocol(
        name=head["name"],
        title=head["title"],
        source=head["source"],
        notes=str(head.get("notes", "")),
        rules=tuple(rules),
        path=path,
    )


def _parse_rule(raw: object, index: int, path: str, lines: _Lines) -> Rule:
    """Validate one ``[[rules]]`` table into a Rule."""
    if not isinstance(raw, dict):
        raise ProtocolError(path, "each rule must be a table", field="rules")
    at = _RuleAt(raw, index, path, lines)
    _check_fields(at)
    reminders = _reminders(at)
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise at.fail("note", "must be text")
    event = at.enum("event", Event, raw["event"])
    alternatives = at.enum_list("alternative_events", Event)
    if event in alternatives or len(set(alternatives)) != len(alternatives):
        raise at.fail("alternative_events", "must list other events than `event`, each once")
    return Rule(
        id=raw["id"],
        label=raw["label"].strip(),
        event=event,
        amount=raw["amount"],
        unit=at.enum("unit", Unit, raw["unit"]),
        direction=at.enum("direction", Direction, raw["direction"]),
        owner=at.enum("owner", Role, raw["owner"]),
        source=raw["source"].strip(),
        reminders=reminders,
        applies_to=frozenset(at.enum_list("applies_to", ReviewType)),
        alternative_events=alternatives,
        note=note.strip(),
    )


@dataclass(frozen=True)
class _RuleAt:
    """One ``[[rules]]`` table being read, and where a fault in it is: file, rule, field, line."""

    raw: dict
    index: int
    path: str
    lines: _Lines

    @property
    def rule_id(self) -> str:
        """Return the rule's id as written, or ``#<n>`` (its place in the file) when it has none."""
        rule_id = self.raw.get("id")
        return rule_id if isinstance(rule_id, str) else f"#{self.index + 1}"

    def fail(self, key: str, message: str) -> ProtocolError:
        """Return the error for ``key`` of this rule, naming the line it is written on."""
        line = self.lines.of_key(key, self.index)
        return ProtocolError(self.path, message, rule=self.rule_id, field=key, line=line)

    def enum(self, key: str, kind: type[StrEnum], value: object) -> StrEnum:
        """Return ``value`` as a member of ``kind``; a fault in ``key`` when it is none."""
        try:
            return kind(value)
        except ValueError:
            choices = ", ".join(m.value for m in kind)
            raise self.fail(key, f"{value!r} is not one of: {choices}") from None

    def enum_list(self, key: str, kind: type[StrEnum]) -> tuple:
        """Return the list under ``key`` (empty when absent) as members of ``kind``."""
        value = self.raw.get(key, [])
        if not isinstance(value, list):
            raise self.fail(key, "must be a list")
        return tuple(self.enum(key, kind, v) for v in value)


def _check_fields(at: _RuleAt) -> None:
    """Check a rule's keys, its texts, its id and its amount, in the order faults are reported."""
    raw = at.raw
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise at.fail(unknown[0], f"unknown field; allowed: {', '.join(_REQUIRED + _OPTIONAL)}")
    for key in _REQUIRED:
        if key not in raw:
            raise ProtocolError(
                at.path,
                "required field is missing",
                rule=at.rule_id,
                field=key,
                line=at.lines.rule_start(at.index),
            )
    for key in ("id", "label", "source"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise at.fail(key, "must be non-empty text")
    if not _ID.match(raw["id"]):
        raise at.fail("id", "must be lower-case letters, digits and hyphens")
    amount = raw["amount"]
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise at.fail("amount", "must be a whole number, zero or more")


def _reminders(at: _RuleAt) -> tuple[int, ...]:
    """Return a rule's reminder lead times (the default when absent), latest first, each once."""
    reminders = at.raw.get("reminders", list(DEFAULT_REMINDERS))
    if not isinstance(reminders, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in reminders
    ):
        raise at.fail("reminders", "must be a list of whole numbers of working days, zero or more")
    return tuple(sorted(set(reminders), reverse=True))


class _Lines:
    """Find the line of a key in a preset's text, for error messages (tomllib gives none)."""

    _HEADER = re.compile(r"^\s*\[\[\s*rules\s*\]\]\s*(#.*)?$")
    _KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")
    _RULE_ID = re.compile(r"^\s*id\s*=\s*[\"']([^\"']*)[\"']")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.starts = [i for i, ln in enumerate(self.lines) if self._HEADER.match(ln)]

    def locate(self, line: int | None) -> tuple[str | None, str | None]:
        """Return the rule id and the key written on 1-based ``line``, as far as they are known.

        Used for TOML syntax errors, which come with a line but no structure.
        """
        if line is None or not 1 <= line <= len(self.lines):
            return None, None
        match = self._KEY.match(self.lines[line - 1])
        key = match.group(1) if match else None
        index = sum(1 for start in self.starts if start < line - 1) - 1
        if index < 0:
            return None, f"protocol.{key}" if key else None
        lo = self.starts[index]
        hi = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.lines)
        for i in range(lo, hi):
            found = self._RULE_ID.match(self.lines[i])
            if found:
                return found.group(1), key
        return f"#{index + 1}", key

    def rule_start(self, index: int) -> int | None:
        """Return the 1-based line of the ``index``-th ``[[rules]]`` header."""
        return self.starts[index] + 1 if index < len(self.starts) else None

    def of_key(self, key: str, index: int | None) -> int | None:
        """Return the 1-based line of ``key`` in rule ``index`` (None: the [protocol] table)."""
        if index is None:
            lo, hi = 0, self.starts[0] if self.starts else len(self.lines)
        elif index < len(self.starts):
            lo = self.starts[index]
            hi = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.lines)
        else:
            return None
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for i in range(lo, hi):
            if pattern.match(self.lines[i]):
                return i + 1
        return None
