"""A board's settings and members: what the board file says, as values.

Source: PRODUCT.md §The board file (the file's shape) and §Voting (visibility, quorum).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time

from bot.domain.boards import BoardKind, ReviewType, Role
from bot.domain.calendar import Nation, WorkingCalendar
from bot.domain.cases import Trigger
from bot.domain.preset_files import load_protocol
from bot.domain.protocols import Protocol
from bot.domain.votes import Quorum, VoteVisibility

DEFAULT_PREFIXES: dict[ReviewType, str] = {
    ReviewType.SCR: "SCR",
    ReviewType.RAPID_REVIEW: "RR",
    ReviewType.LCSPR: "LCSPR",
    ReviewType.SAR: "SAR",
    ReviewType.DHR: "DHR",
    ReviewType.PARTNERSHIP_REVIEW: "PR",
    ReviewType.SINGLE_AGENCY_REVIEW: "SAGR",
    ReviewType.MULTI_AGENCY_AUDIT: "MAA",
    ReviewType.LEARNING_REVIEW: "LR",
}
"""Reference prefixes when a board names none. Source: PRODUCT.md §The board file."""


@dataclass(frozen=True)
class MemberConfig:
    """A person on a board, as the board file lists them."""

    slack_id: str
    name: str
    agency: str
    roles: frozenset[Role]


@dataclass(frozen=True)
class BoardConfig:
    """One board's settings (and, when read from the file, its members)."""

    id: str
    name: str
    kind: BoardKind
    nation: Nation
    protocol: str
    channel: str
    closure_days: tuple[date, ...] = ()
    digest_time: time = time(9, 0)
    sending_hours: tuple[time, time] = (time(8, 0), time(18, 0))
    vote_visibility: VoteVisibility = VoteVisibility.HIDDEN_UNTIL_CLOSE
    quorum: Quorum = field(default_factory=Quorum)
    open_voting_on_referral: bool = False
    reference_prefixes: Mapping[ReviewType, str] = field(
        default_factory=lambda: dict(DEFAULT_PREFIXES)
    )
    rule_events: Mapping[str, str] = field(default_factory=dict)
    step_rules: Mapping[Trigger, tuple[str, ...]] = field(default_factory=dict)
    members: tuple[MemberConfig, ...] = ()

    def prefix(self, review_type: ReviewType) -> str:
        """Return the reference prefix for cases of ``review_type``."""
        return self.reference_prefixes.get(review_type, DEFAULT_PREFIXES[review_type])

    def calendar(self) -> WorkingCalendar:
        """Return the board's working calendar: its nation's bank holidays and closure days."""
        return WorkingCalendar(self.nation, self.closure_days)

    def load_protocol(self) -> Protocol:
        """Return the board's protocol with its chosen readings of ambiguous rules."""
        return load_protocol(self.protocol).with_events(self.rule_events)
