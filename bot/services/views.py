"""View models the use cases return: plain frozen values, never ORM rows or sessions.

Nothing here carries a subject's identifying details except :class:`SubjectDetails`, which only
:func:`bot.services.queries.subject_details` returns (for views shown to board members).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.boards import BoardKind, ReviewType, Role
from bot.domain.cases import CaseState
from bot.domain.deadlines import DeadlineStatus
from bot.domain.decisions import DecisionOutcome, Methodology
from bot.domain.protocols import Event
from bot.domain.votes import Recommendation, VoteVisibility

SEE_COUNTS_PRIVATELY = frozenset({Role.CHAIR, Role.DECISION_MAKER})
"""Roles that see a vote's counts privately while the channel may not yet."""


@dataclass(frozen=True)
class CaseRef:
    """A case as a channel may name it: reference and pseudonym, never identifying details."""

    board_id: str
    board_channel: str
    reference: str
    pseudonym: str
    review_type: ReviewType
    state: CaseState
    card_channel: str | None
    card_ts: str | None
    case_id: int | None = None  # the row id: what an owed card is keyed by (never shown)


@dataclass(frozen=True)
class DeadlineView:
    """A deadline with its working days left (negative: overdue) on the day it was viewed."""

    id: int
    reference: str
    pseudonym: str
    rule_id: str
    label: str
    event: Event
    event_date: date
    due_on: date
    original_due_on: date
    owner_role: Role
    status: DeadlineStatus
    reason: str | None
    source: str
    reminders: tuple[int, ...]
    working_days_left: int
    overdue: bool


@dataclass(frozen=True)
class BoardView:
    """A board one person belongs to, and their roles on it."""

    id: str
    name: str
    kind: BoardKind
    channel: str
    vote_visibility: VoteVisibility
    roles: frozenset[Role]


@dataclass(frozen=True)
class InformationRequestView:
    """A request to an agency and whether it came back."""

    id: int
    agency: str
    requested_on: date
    due_on: date
    returned_at: datetime | None


@dataclass(frozen=True)
class VoteCounts:
    """The count of a vote, with the board's rule on who may see it before it closes."""

    counts: dict[Recommendation, int]
    cast: int
    eligible: int
    quorate: bool
    leading: Recommendation | None
    majority: bool
    visibility: VoteVisibility
    closed: bool

    @property
    def channel_may_see_counts(self) -> bool:
        """Return whether the board's channel may see the counts now (PRODUCT.md §Voting)."""
        return self.closed or self.visibility is not VoteVisibility.HIDDEN_UNTIL_CLOSE

    def visible_to(self, roles: Collection[Role]) -> bool:
        """Return whether a person with ``roles`` may see the counts now, in a private answer.

        The sub-group chair and the decision-maker always may: the votes by name reach them
        privately anyway. Anyone else sees what the channel sees. Source: PRODUCT.md §Voting
        ("names and rationales go to the chair and decision-maker privately").
        """
        return self.channel_may_see_counts or bool(set(roles) & SEE_COUNTS_PRIVATELY)


@dataclass(frozen=True)
class BallotView:
    """One member's current vote, by name, with its rationale. Source: 002 §1.2."""

    slack_id: str
    member_name: str
    agency: str
    recommendation: Recommendation
    alternative_type: ReviewType | None
    rationale: str
    version: int
    cast_at: datetime


@dataclass(frozen=True)
class ConflictView:
    """A declared conflict of interest. Source: 002 §2.1, 001 §5."""

    slack_id: str
    member_name: str
    reason: str
    declared_at: datetime


@dataclass(frozen=True)
class RecommendationView:
    """The sub-group's recommendation: for the chair and the decision-maker only."""

    case: CaseRef
    round: int
    counts: VoteCounts
    ballots: tuple[BallotView, ...]
    conflicts: tuple[ConflictView, ...]
    not_voted: tuple[str, ...]  # Slack ids of eligible members without a vote
    dissenters: tuple[str, ...]  # Slack ids of members who voted other than the leading option
    decision_makers: tuple[str, ...]  # Slack ids


@dataclass(frozen=True)
class DecisionView:
    """The decision as recorded."""

    outcome: DecisionOutcome
    review_type: ReviewType | None
    methodology: Methodology | None
    reasons: str
    decided_on: date
    decided_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class SubjectDetails:
    """Identifying details of a case's subject: only for views shown to board members."""

    reference: str
    pseudonym: str
    name: str
    date_of_birth: date | None
    address: str
    summary: str
