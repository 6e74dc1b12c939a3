"""The sub-group's recommendation: who may vote, and how the votes are counted.

Each member's recommendation is recorded by name: "clearly recording each group member's
recommendation" (Source: 002_0ceef0fde733de82.txt §1.2). A member with direct involvement in the
case does not take part (Source: 002_0ceef0fde733de82.txt §2.1; 001_3cb7af4f5859624c.txt §5 "no
conflict of interest or previous involvement").

Quorum is a per-board rule (PRODUCT.md §Voting): ``"majority"`` of the eligible members, or a
fixed number of votes. The seeds set no quorum, so the board file chooses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Set
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.boards import Role
from bot.domain.errors import InvalidInput, NotAllowed

VOTING_ROLES: frozenset[Role] = frozenset({Role.MEMBER, Role.CHAIR})
"""Roles that carry a vote: the sub-group's members, its chair among them.

The business manager administers and the decision-maker decides; neither recommends unless they
also hold the member role. Source: 000_cd2220454c4486c5.txt §9; 002_0ceef0fde733de82.txt §1.2.
"""


class Recommendation(StrEnum):
    """What a member recommends. Source: 002_0ceef0fde733de82.txt §1.2-§1.3."""

    STATUTORY_REVIEW = "statutory_review"
    ALTERNATIVE_REVIEW = "alternative_review"
    NO_FURTHER_ACTION = "no_further_action"
    MORE_INFORMATION = "more_information"

    @property
    def label(self) -> str:
        """Return the recommendation as the case card's button says it."""
        return _LABELS[self]


class VoteVisibility(StrEnum):
    """What the board's channel sees of a vote before it closes (PRODUCT.md §Voting)."""

    HIDDEN_UNTIL_CLOSE = "hidden_until_close"
    COUNTS = "counts"
    OPEN = "open"


@dataclass(frozen=True)
class Quorum:
    """A board's quorum rule: a majority of eligible members, or at least ``votes`` votes."""

    votes: int | None = None  # None: a majority of the eligible members

    @classmethod
    def parse(cls, value: str | int) -> Quorum:
        """Read ``"majority"`` or a positive whole number from a board file.

        Raises:
            InvalidInput: anything else.
        """
        if isinstance(value, str) and value.strip().lower() == "majority":
            return cls()
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return cls(votes=value)
        raise InvalidInput(f'quorum must be "majority" or a whole number above 0, not {value!r}')

    def __str__(self) -> str:
        return "majority" if self.votes is None else str(self.votes)

    def met(self, cast: int, eligible: int) -> bool:
        """Return whether ``cast`` votes from ``eligible`` members make the quorum."""
        if self.votes is None:
            return eligible > 0 and cast * 2 > eligible
        return cast >= self.votes


def can_vote(roles: Set[Role], *, active: bool, conflicted: bool, voting_open: bool) -> None:
    """Check that a person may vote on a case now.

    Args:
        roles: the person's roles on the case's board.
        active: whether the person is a current member of the board.
        conflicted: whether they declared a conflict on this case.
        voting_open: whether the case is open for votes.

    Raises:
        NotAllowed: with the reason, politely.
    """
    if not active or not roles:
        raise NotAllowed("Only members of this board can vote on its cases.")
    if not roles & VOTING_ROLES:
        raise NotAllowed("Only the sub-group's members and chair vote on a recommendation.")
    if conflicted:
        # Source: 002_0ceef0fde733de82.txt §2.1; 001_3cb7af4f5859624c.txt §5.
        raise NotAllowed("You declared a conflict on this case, so you do not vote on it.")
    if not voting_open:
        raise NotAllowed("Voting on this case is not open.")


@dataclass(frozen=True)
class Vote:
    """One member's current vote, by name. Source: 002_0ceef0fde733de82.txt §1.2."""

    member: str
    recommendation: Recommendation


@dataclass(frozen=True)
class Tally:
    """The count of a vote.

    Attributes:
        counts: votes per recommendation (every recommendation present, zero included).
        cast: votes counted.
        eligible: members who may vote (voting roles, active, not conflicted).
        quorate: whether the board's quorum is met.
        leading: the recommendation with the most votes, or None on a tie or no votes.
        majority: whether ``leading`` has more than half of the votes cast.
        dissenters: members whose vote differs from ``leading``.
    """

    counts: dict[Recommendation, int]
    cast: int
    eligible: int
    quorate: bool
    leading: Recommendation | None
    majority: bool
    dissenters: tuple[str, ...]


def tally(votes: Iterable[Vote], eligible: Iterable[str], quorum: Quorum) -> Tally:
    """Count the current votes of eligible members against the board's quorum.

    Votes from members who are not eligible (they declared a conflict after voting, or left the
    board) are not counted. Source: 002_0ceef0fde733de82.txt §2.1.
    """
    eligible_set = set(eligible)
    counted = [v for v in votes if v.member in eligible_set]
    counts = Counter(v.recommendation for v in counted)
    ranked = counts.most_common()
    leading = None
    if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        leading = ranked[0][0]
    return Tally(
        counts={r: counts.get(r, 0) for r in Recommendation},
        cast=len(counted),
        eligible=len(eligible_set),
        quorate=quorum.met(len(counted), len(eligible_set)),
        leading=leading,
        majority=leading is not None and counts[leading] * 2 > len(counted),
        dissenters=tuple(
            sorted(v.member for v in counted if leading is not None and v.recommendation != leading)
        ),
    )


_LABELS = {
    Recommendation.STATUTORY_REVIEW: "Statutory review",
    Recommendation.ALTERNATIVE_REVIEW: "Alternative review",
    Recommendation.NO_FURTHER_ACTION: "No further action",
    Recommendation.MORE_INFORMATION: "Need more information",
}
