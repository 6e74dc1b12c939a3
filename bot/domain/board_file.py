"""The board file (``CASEDESK_BOARD``): boards, their settings and members, read and validated.

The file's shape is a contract (PRODUCT.md §The board file)::

    [[boards]]
    id = "surrey-children"
    name = "Surrey Safeguarding Children Partnership"
    kind = "children"                       # children | adults | community-safety
    nation = "england"                      # england | wales | scotland | northern-ireland
    protocol = "surrey"                     # a preset name, or a preset file (relative paths
                                            # are read from the board file's folder)
    channel = "C0CASEREV01"
    closure_days = ["2026-12-24"]
    digest_time = "09:00"
    sending_hours = ["08:00", "18:00"]
    vote_visibility = "hidden_until_close"  # hidden_until_close | counts | open
    quorum = "majority"                     # or a whole number of votes
    open_voting_on_referral = true

    [boards.reference_prefixes]             # review type -> prefix (defaults below)
    scr = "SCR"

    [boards.rule_events]                    # optional: another reading of an ambiguous rule
    review-completed = "decision"

    [boards.step_rules]                     # optional: the deadlines a step meets
    close_voting = ["sub-group-recommendation"]
    record_decision = ["chair-decision"]

    [[boards.members]]
    slack_id = "U0BEN00001"
    name = "Ben Okafor"
    agency = "Surrey County Council"
    roles = ["business_manager", "member"]

Every fault is one :class:`~bot.domain.errors.BoardFileError` naming the file, line and field.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Any

from bot.domain.board_config import DEFAULT_PREFIXES, BoardConfig, MemberConfig
from bot.domain.boards import BoardKind, ReviewType, Role
from bot.domain.calendar import Nation
from bot.domain.cases import Trigger
from bot.domain.errors import BoardFileError, InvalidInput
from bot.domain.preset_files import load_protocol, preset_names
from bot.domain.votes import Quorum, VoteVisibility

_BOARD_KEYS = (
    "id", "name", "kind", "nation", "protocol", "channel", "closure_days", "digest_time",
    "sending_hours", "vote_visibility", "quorum", "open_voting_on_referral",
    "reference_prefixes", "rule_events", "step_rules", "members",
)  # fmt: skip
_MEMBER_KEYS = ("slack_id", "name", "agency", "roles")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,31}$")
_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,31}$")
_PREFIX = re.compile(r"^[A-Z][A-Z0-9]{0,15}$")


def load_board_file(path: str | Path) -> list[BoardConfig]:
    """Read and validate the board file at ``path``.

    Raises:
        BoardFileError: the file cannot be read or is wrong (names the file, line and field).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise BoardFileError(str(path), f"cannot read the board file ({err.strerror})") from None
    return parse_board_file(text, str(path), base=Path(path).resolve().parent)


def parse_board_file(text: str, path: str, *, base: Path | None = None) -> list[BoardConfig]:
    """Parse and validate a board file's text; ``path`` names it in errors.

    Args:
        text: the TOML text.
        path: the file's name, for error messages.
        base: the folder relative protocol paths are read from (default: the current one).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = re.search(r"line (\d+)", str(err))
        raise BoardFileError(
            path, f"not valid TOML ({err})", line=int(match.group(1)) if match else None
        ) from None
    raw_boards = data.get("boards")
    if not isinstance(raw_boards, list) or not raw_boards:
        raise BoardFileError(path, "the file needs at least one [[boards]] table", field="boards")
    unknown = sorted(set(data) - {"boards"})
    if unknown:
        raise BoardFileError(path, "unknown top-level table; only [[boards]]", field=unknown[0])
    lines = _Lines(text)
    boards: list[BoardConfig] = []
    for index, raw in enumerate(raw_boards):
        board = _Board(raw, index, path, lines, base or Path.cwd()).parse()
        if any(b.id == board.id for b in boards):
            raise BoardFileError(
                path, "two boards have this id", field="id", line=lines.find(index, "id")
            )
        boards.append(board)
    return boards


class _Board:
    """Validates one ``[[boards]]`` table; every error names its field and line."""

    def __init__(self, raw: Any, index: int, path: str, lines: _Lines, base: Path) -> None:
        if not isinstance(raw, dict):
            raise BoardFileError(path, "each board must be a table", field="boards")
        self.raw, self.index, self.path, self.lines, self.base = raw, index, path, lines, base
        board_id = raw.get("id")
        self.label = f"boards[{board_id}]" if isinstance(board_id, str) else f"boards[{index}]"

    def fail(self, key: str, message: str, *, table: str | None = None, member: int | None = None,
             sub: str | None = None) -> BoardFileError:  # fmt: skip
        line = self.lines.find(self.index, sub or key, table=table, member=member)
        if line is None and sub is not None:
            line = self.lines.find(self.index, key, table=table, member=member)
        name = f"{self.label}.{key}" if member is None else f"{self.label}.members[{member}].{key}"
        return BoardFileError(self.path, message, field=name, line=line)

    def text(self, key: str, *, default: str | None = None) -> str:
        value = self.raw.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(
                key, "required text is missing" if key not in self.raw else "must be text"
            )
        return value.strip()

    def choice(self, key: str, kind: type, default: Any = None) -> Any:
        value = self.raw.get(key, default)
        if value is None:
            raise self.fail(key, "required field is missing")
        try:
            return kind.parse(value) if hasattr(kind, "parse") else kind(value)
        except (ValueError, InvalidInput):
            choices = ", ".join(m.value for m in kind)
            raise self.fail(key, f"{value!r} is not one of: {choices}") from None

    def parse(self) -> BoardConfig:
        unknown = sorted(set(self.raw) - set(_BOARD_KEYS))
        if unknown:
            raise self.fail(unknown[0], f"unknown field; allowed: {', '.join(_BOARD_KEYS)}")
        board_id = self.text("id")
        if not _ID.match(board_id):
            raise self.fail("id", "must be lower-case letters, digits and hyphens (up to 64)")
        channel = self.text("channel")
        if not _CHANNEL.match(channel):
            raise self.fail("channel", "must be a Slack channel id such as C0CASEREV01")
        try:
            quorum = Quorum.parse(self.raw.get("quorum", "majority"))
        except InvalidInput as err:
            raise self.fail("quorum", str(err)) from None
        opening = self.raw.get("open_voting_on_referral", False)
        if not isinstance(opening, bool):
            raise self.fail("open_voting_on_referral", "must be true or false")
        hours = self.raw.get("sending_hours", ["08:00", "18:00"])
        if not isinstance(hours, list) or len(hours) != 2:
            raise self.fail("sending_hours", 'must be two times, such as ["08:00", "18:00"]')
        start, end = (self._time("sending_hours", h) for h in hours)
        if start >= end:
            raise self.fail("sending_hours", "the first time must be before the second")
        board = BoardConfig(
            id=board_id,
            name=self.text("name"),
            kind=self.choice("kind", BoardKind),
            nation=self.choice("nation", Nation),
            protocol=self._protocol(),
            channel=channel,
            closure_days=self._closures(),
            digest_time=self._time("digest_time", self.raw.get("digest_time", "09:00")),
            sending_hours=(start, end),
            vote_visibility=self.choice(
                "vote_visibility", VoteVisibility, VoteVisibility.HIDDEN_UNTIL_CLOSE.value
            ),
            quorum=quorum,
            open_voting_on_referral=opening,
            reference_prefixes=self._prefixes(),
            rule_events=self._table("rule_events"),
            step_rules=self._step_rules(),
            members=self._members(),
        )
        protocol = load_protocol(board.protocol)
        for rule_id, event in board.rule_events.items():
            try:
                protocol.with_events({rule_id: event})
            except InvalidInput as err:
                raise self.fail(
                    f"rule_events.{rule_id}", str(err), table="rule_events", sub=rule_id
                ) from None
        for trigger, rule_ids in board.step_rules.items():
            for rule_id in rule_ids:
                if not any(r.id == rule_id for r in protocol.rules):
                    raise self.fail(
                        f"step_rules.{trigger.value}",
                        f"protocol {protocol.name!r} has no rule {rule_id!r}",
                        table="step_rules", sub=trigger.value,
                    )  # fmt: skip
        return board

    def _time(self, key: str, value: Any) -> time:
        if isinstance(value, time):
            return value
        if isinstance(value, str) and re.fullmatch(r"\d{2}:\d{2}", value.strip()):
            hour, minute = (int(p) for p in value.strip().split(":"))
            if hour < 24 and minute < 60:
                return time(hour, minute)
        raise self.fail(key, f"{value!r} is not a time; write it as HH:MM (24-hour)")

    def _protocol(self) -> str:
        name = self.text("protocol")
        if name in preset_names():
            return name
        candidate = Path(name) if Path(name).is_absolute() else self.base / name
        if not candidate.exists():
            raise self.fail(
                "protocol",
                f"{name!r} is neither a preset ({', '.join(preset_names())}) nor a file",
            )
        load_protocol(candidate)  # a broken preset file names its own file, line and field
        return str(candidate)

    def _closures(self) -> tuple[date, ...]:
        raw = self.raw.get("closure_days", [])
        if not isinstance(raw, list):
            raise self.fail("closure_days", "must be a list of dates")
        days = []
        for value in raw:
            if isinstance(value, date):
                days.append(value)
                continue
            try:
                days.append(date.fromisoformat(str(value)))
            except ValueError:
                raise self.fail("closure_days", f"{value!r} is not a date (YYYY-MM-DD)") from None
        return tuple(sorted(set(days)))

    def _table(self, key: str) -> dict[str, str]:
        raw = self.raw.get(key, {})
        if not isinstance(raw, dict):
            raise self.fail(key, "must be a table")
        for name, value in raw.items():
            if not isinstance(value, str):
                raise self.fail(f"{key}.{name}", "must be text", table=key, sub=name)
        return dict(raw)

    def _prefixes(self) -> dict[ReviewType, str]:
        prefixes = dict(DEFAULT_PREFIXES)
        for key, value in self._table("reference_prefixes").items():
            field_name = f"reference_prefixes.{key}"
            try:
                review_type = ReviewType(key)
            except ValueError:
                choices = ", ".join(t.value for t in ReviewType)
                raise self.fail(
                    field_name, f"unknown review type; choose from {choices}",
                    table="reference_prefixes", sub=key,
                ) from None  # fmt: skip
            if not _PREFIX.match(value):
                raise self.fail(
                    field_name, "must be capital letters and digits (up to 16), such as SCR",
                    table="reference_prefixes", sub=key,
                )  # fmt: skip
            prefixes[review_type] = value
        return prefixes

    def _step_rules(self) -> dict[Trigger, tuple[str, ...]]:
        raw = self.raw.get("step_rules", {})
        if not isinstance(raw, dict):
            raise self.fail("step_rules", "must be a table")
        out: dict[Trigger, tuple[str, ...]] = {}
        for key, value in raw.items():
            field_name = f"step_rules.{key}"
            try:
                trigger = Trigger(key)
            except ValueError:
                choices = ", ".join(t.value for t in Trigger)
                raise self.fail(
                    field_name, f"unknown step; choose from {choices}", table="step_rules", sub=key
                ) from None
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise self.fail(
                    field_name, "must be a list of rule ids", table="step_rules", sub=key
                )
            out[trigger] = tuple(value)
        return out

    def _members(self) -> tuple[MemberConfig, ...]:
        raw = self.raw.get("members", [])
        if not isinstance(raw, list):
            raise self.fail("members", "must be [[boards.members]] tables")
        members: list[MemberConfig] = []
        for i, item in enumerate(raw):
            member = self._member(item, i)
            if any(m.slack_id == member.slack_id for m in members):
                raise self.fail("slack_id", "this person is listed twice on the board", member=i)
            members.append(member)
        return tuple(members)

    def _member(self, item: Any, i: int) -> MemberConfig:
        if not isinstance(item, dict):
            raise self.fail("members", "each member must be a table")
        unknown = sorted(set(item) - set(_MEMBER_KEYS))
        if unknown:
            raise self.fail(
                unknown[0], f"unknown field; allowed: {', '.join(_MEMBER_KEYS)}", member=i
            )
        for key in ("slack_id", "name"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise self.fail(key, "required text is missing", member=i)
        slack_id = item["slack_id"].strip()
        if not _SLACK_USER.match(slack_id):
            raise self.fail("slack_id", "must be a Slack user id such as U0BEN00001", member=i)
        agency = item.get("agency", "")
        if not isinstance(agency, str):
            raise self.fail("agency", "must be text", member=i)
        roles = item.get("roles")
        if not isinstance(roles, list) or not roles:
            raise self.fail("roles", "list at least one role", member=i)
        try:
            parsed = frozenset(Role(r) for r in roles)
        except ValueError:
            choices = ", ".join(r.value for r in Role)
            raise self.fail(
                "roles", f"{roles!r} has a role not one of: {choices}", member=i
            ) from None
        return MemberConfig(slack_id, item["name"].strip(), agency.strip(), parsed)


_HEADER = re.compile(r"^\s*\[")
_BOARD = re.compile(r"^\s*\[\[\s*boards\s*\]\]")
_MEMBER = re.compile(r"^\s*\[\[\s*boards\s*\.\s*members\s*\]\]")


class _Lines:
    """Find the line of a key in a board file's text, for error messages (tomllib gives none)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.boards = [i for i, ln in enumerate(self.lines) if _BOARD.match(ln)]

    def find(
        self, board: int, key: str, *, table: str | None = None, member: int | None = None
    ) -> int | None:
        """Return the 1-based line of ``key`` in board ``board`` (its member or sub-table)."""
        if board >= len(self.boards):
            return None
        lo = self.boards[board]
        hi = self.boards[board + 1] if board + 1 < len(self.boards) else len(self.lines)
        if member is not None:
            heads = [i for i in range(lo, hi) if _MEMBER.match(self.lines[i])]
            if member >= len(heads):
                return None
            lo = heads[member]
        elif table is not None:
            pattern = re.compile(rf"^\s*\[\s*boards\s*\.\s*{re.escape(table)}\s*\]")
            heads = [i for i in range(lo, hi) if pattern.match(self.lines[i])]
            if not heads:
                return self._key(lo, hi, table)
            lo = heads[0]
        end = next((i for i in range(lo + 1, hi) if _HEADER.match(self.lines[i])), hi)
        return self._key(lo, end, key) or lo + 1

    def _key(self, lo: int, hi: int, key: str) -> int | None:
        pattern = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=')
        for i in range(lo, hi):
            if pattern.match(self.lines[i]):
                return i + 1
        return None
