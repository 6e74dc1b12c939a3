"""What reminding reads about a board: its settings and its people, for the sweep and the sender.

The sweep (:mod:`bot.jobs`) reads them to find what is due and whom it is for; the sender
(:mod:`bot.notify.drawn`) reads them again when it draws a reminder, so a reminder never goes to
someone who has left the board or to a voter who has voted since.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.boards import Role
from bot.domain.calendar import WorkingCalendar
from bot.domain.cases import Trigger
from bot.domain.reminders import DEFAULT_SENDING_HOURS, SendingHours
from bot.domain.votes import VOTING_ROLES
from bot.services.common import board_calendar, board_config
from store.models import BoardRow, CaseRow
from store.uow import UnitOfWork


@dataclass(frozen=True)
class BoardSettings:
    """A board's reminder settings, read once per sweep."""

    id: str
    name: str
    channel: str
    calendar: WorkingCalendar
    hours: SendingHours
    digest_time: Any
    vote_rules: frozenset[str] = frozenset()
    auto_close: bool = False


def board_settings(row: BoardRow) -> BoardSettings:
    """Read a board's calendar, sending hours, digest time and vote rules from its config."""
    config = board_config(row)
    start, end = config.sending_hours
    try:
        hours = SendingHours(start, end)
    except ValueError:  # pragma: no cover - board files are validated on sync
        hours = DEFAULT_SENDING_HOURS
    return BoardSettings(
        row.id,
        row.name,
        row.channel_id,
        board_calendar(config),
        hours,
        config.digest_time,
        frozenset(config.step_rules.get(Trigger.CLOSE_VOTING, ())),
        config.open_voting_on_referral,
    )


def vote_key_prefix(slack_id: str) -> str:
    """Return the slot-key prefix of a member's vote reminders: ``vote:<member>:``."""
    return f"vote:{slack_id}:"


@dataclass(frozen=True)
class Person:
    """An active board member and their roles."""

    member_id: int
    slack_id: str
    roles: frozenset[Role]


@dataclass(frozen=True)
class BoardPeople:
    """A board's active members with their roles, in name order: read once per sweep."""

    people: tuple[Person, ...] = ()

    def holding(self, role: Role) -> list[str]:
        """Return the Slack IDs of the members holding ``role``."""
        return [p.slack_id for p in self.people if role in p.roles]

    def recipients(self, role: Role, escalate: bool) -> tuple[str, ...]:
        """Return whom a reminder goes to: the rule's role, and the chair on escalation."""
        people = self.holding(role) + (self.holding(Role.CHAIR) if escalate else [])
        return tuple(dict.fromkeys(people))


def board_people(uow: UnitOfWork, board_ids: Collection[str]) -> dict[str, BoardPeople]:
    """Return each board's active members and roles, in two queries whatever the boards."""
    if not board_ids:
        return {}
    members = uow.members.of_boards(board_ids)
    roles = uow.members.roles_of(m.id for m in members if m.id is not None)
    grouped: dict[str, list[Person]] = {b: [] for b in board_ids}
    for m in members:
        if m.id is not None:
            grouped[m.board_id].append(Person(m.id, m.slack_id, roles.get(m.id, frozenset())))
    return {b: BoardPeople(tuple(people)) for b, people in grouped.items()}


def awaited_by_case(
    uow: UnitOfWork, cases: Collection[CaseRow], people: Mapping[str, BoardPeople]
) -> dict[int, list[str]]:
    """Return, per case, the eligible members (voting role, not conflicted) yet to vote.

    Two queries (conflicts, ballots of the current rounds) however many cases.
    """
    ids = [c.id for c in cases if c.id is not None]
    if not ids:
        return {}
    conflicted = uow.conflicts.members_by_case(ids)
    voted = uow.ballots.voters_by_case(ids)
    awaited: dict[int, list[str]] = {}
    for case in cases:
        if case.id is None:
            continue
        skip = conflicted.get(case.id, set()) | voted.get(case.id, set())
        awaited[case.id] = [
            p.slack_id
            for p in people.get(case.board_id, BoardPeople()).people
            if p.roles & VOTING_ROLES and p.member_id not in skip
        ]
    return awaited


def awaited_voters(uow: UnitOfWork, case: CaseRow) -> list[str]:
    """Return the eligible members (voting role, active, not conflicted) yet to vote on ``case``."""
    assert case.id is not None
    people = board_people(uow, [case.board_id])
    return awaited_by_case(uow, [case], people).get(case.id, [])


def recipients_of(uow: UnitOfWork, board_id: str, role: Role, escalate: bool) -> tuple[str, ...]:
    """Return the Slack IDs a reminder goes to: the rule's role, and the chair on escalation."""
    return board_people(uow, [board_id])[board_id].recipients(role, escalate)
