"""The sub-group's vote: open, cast (and change), close.

Each member's recommendation is recorded by name, every version kept (Source:
002_0ceef0fde733de82.txt §1.2). A member's conflict of interest is declared in
:mod:`bot.services.conflicts` (re-exported here for the callers that import it from here).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.domain.boards import ReviewType, Role
from bot.domain.cases import CaseState, Trigger
from bot.domain.errors import FieldsRefused, InvalidInput, NotAllowed
from bot.domain.limits import MAX_LENGTH, TextField, check_lengths
from bot.domain.protocols import Event
from bot.domain.votes import Recommendation, can_vote
from bot.services.common import (
    SYSTEM,
    CaseContext,
    audit,
    board_calendar,
    case_context,
    case_ref,
    complete_step,
    deadline_view,
    digest,
    due_summary,
    move,
    start_deadlines,
    start_voting_round,
    today_of,
)
from bot.services.conflicts import ConflictDeclared, DeclareConflict, declare_conflict
from bot.services.tally import eligible_members, recommendation_view, vote_counts
from bot.services.views import CaseRef, DeadlineView, RecommendationView, VoteCounts
from store.models import BallotRow, MemberRow
from store.uow import UnitOfWork

__all__ = [
    "RATIONALE_LIMIT", "CastVote", "CloseVoting", "ConflictDeclared", "DeclareConflict",
    "OpenVoting", "VoteCast", "VotingClosed", "VotingOpened", "cast_vote", "close_voting",
    "declare_conflict", "open_voting",
]  # fmt: skip

RATIONALE_LIMIT = MAX_LENGTH[TextField.RATIONALE]  # for the vote modal's own check


@dataclass(frozen=True)
class OpenVoting:
    """Open the sub-group's vote on a case (the sub-group chair)."""

    case_ref: str
    actor: str
    board_id: str | None = None


@dataclass(frozen=True)
class VotingOpened:
    """The case open for votes, the round, who may vote, and the vote's deadline if any.

    ``case_id``: the case's row id.
    """

    case: CaseRef
    round: int
    eligible: tuple[str, ...]
    deadline: DeadlineView | None
    case_id: int


def open_voting(cmd: OpenVoting, *, uow: UnitOfWork, now: datetime) -> VotingOpened:
    """Open a new voting round. Source: 002_0ceef0fde733de82.txt §1.2; PRODUCT.md §Voting."""
    ctx = case_context(uow, cmd.case_ref, cmd.actor, cmd.board_id, for_update=True)
    ctx.require({Role.CHAIR}, "open voting")
    start_voting_round(uow, ctx, now)
    today = today_of(now)
    step = set(ctx.board.step_rules.get(Trigger.CLOSE_VOTING, ()))
    due = [d for d in uow.deadlines.of_case(ctx.case.id) if d.rule_id in step]
    running = [d for d in due if d.status.is_running]
    assert ctx.case.id is not None
    opened = VotingOpened(
        case_ref(ctx.case, ctx.board),
        ctx.case.voting_round,
        tuple(m.slack_id for m in eligible_members(uow, ctx)),
        deadline_view(running[0], ctx.case, board_calendar(ctx.board), today) if running else None,
        ctx.case.id,
    )
    uow.changed(opened)
    uow.commit()
    return opened


@dataclass(frozen=True)
class CastVote:
    """A member's recommendation with its rationale (required), from the vote modal."""

    case_ref: str
    actor: str
    recommendation: Recommendation
    rationale: str
    alternative_type: ReviewType | None = None
    board_id: str | None = None
    idempotency_key: str | None = None  # Slack's view id: a redelivered submission votes once
    reply_channel: str | None = None  # where the voter clicked: their confirmation goes there


@dataclass(frozen=True)
class VoteCast:
    """The member's current vote.

    ``changed``: it replaced an earlier vote; ``replayed``: this very vote was already recorded
    (a Slack retry or double click), so nothing new was.
    """

    case: CaseRef
    recommendation: Recommendation
    alternative_type: ReviewType | None
    version: int
    changed: bool
    replayed: bool
    counts: VoteCounts
    case_id: int
    ballot_id: int
    voter: str = ""
    reply_channel: str | None = None


def cast_vote(cmd: CastVote, *, uow: UnitOfWork, now: datetime) -> VoteCast:
    """Record a vote, or a change of vote, while voting is open.

    A replay (a redelivered submission, or the same vote again) changes nothing.

    Raises:
        NotAllowed: not a voting member, conflicted, or voting not open.
        InvalidInput: the rationale is missing, or the alternative review is wrong.
        FieldsRefused: (``rationale``) the rationale is too long.
    """
    ctx = case_context(uow, cmd.case_ref, cmd.actor, cmd.board_id, for_update=True)
    if cmd.idempotency_key and (earlier := uow.ballots.by_idempotency_key(cmd.idempotency_key)):
        return _cast(uow, ctx, earlier, changed=earlier.version > 1, replayed=True)
    member = _voter(uow, ctx)
    rationale = _required_rationale(cmd.rationale)
    _check_alternative(cmd.recommendation, cmd.alternative_type)
    version = uow.ballots.latest_version(ctx.case.id, member.id, ctx.case.voting_round)
    previous = _current_ballot(uow, ctx, member)
    if previous is not None and _same_vote(previous, cmd, rationale):
        return _cast(uow, ctx, previous, changed=previous.version > 1, replayed=True)
    ballot = _add_ballot(uow, ctx, member, cmd, rationale, version + 1, now)
    _audit_vote(uow, ctx, member, ballot, previous, now)
    cast = replace(
        _cast(uow, ctx, ballot, changed=previous is not None, replayed=False),
        reply_channel=cmd.reply_channel,
    )
    uow.changed(cast)
    uow.commit()
    return cast


def _voter(uow: UnitOfWork, ctx: CaseContext) -> MemberRow:
    """Return the acting member, once the vote's rules let them vote now.

    Raises:
        NotAllowed: not a voting member, conflicted, or voting not open.
    """
    if ctx.member is None:
        raise NotAllowed("Only members vote.")
    conflicted = uow.conflicts.find(ctx.case.id, ctx.member.id) is not None
    can_vote(
        ctx.roles,
        active=ctx.member.active,
        conflicted=conflicted,
        voting_open=ctx.case.state is CaseState.VOTING,
    )
    return ctx.member


def _required_rationale(text: str) -> str:
    """Return the rationale stripped, refusing it when empty or too long.

    Raises:
        FieldsRefused: (``rationale``) the rationale is missing or too long.
    """
    rationale = text.strip()
    if not rationale:
        raise FieldsRefused({"rationale": "Please give the rationale for your recommendation."})
    check_lengths({TextField.RATIONALE: rationale})
    return rationale


def _current_ballot(uow: UnitOfWork, ctx: CaseContext, member: MemberRow) -> BallotRow | None:
    """Return the member's vote that counts in the current round, if they have voted."""
    for ballot in uow.ballots.current(ctx.case.id, ctx.case.voting_round):
        if ballot.member_id == member.id:
            return ballot
    return None


def _same_vote(previous: BallotRow, cmd: CastVote, rationale: str) -> bool:
    """Return whether ``cmd`` repeats the vote ``previous`` word for word."""
    return (previous.recommendation, previous.alternative_type, previous.rationale) == (
        cmd.recommendation,
        cmd.alternative_type,
        rationale,
    )


def _add_ballot(
    uow: UnitOfWork,
    ctx: CaseContext,
    member: MemberRow,
    cmd: CastVote,
    rationale: str,
    version: int,
    now: datetime,
) -> BallotRow:
    """Write the member's ballot, as ``version`` of their vote in the current round."""
    ballot = BallotRow(
        case_id=ctx.case.id,
        member_id=member.id,
        round=ctx.case.voting_round,
        version=version,
        recommendation=cmd.recommendation,
        alternative_type=cmd.alternative_type,
        rationale=rationale,
        cast_at=now,
        idempotency_key=cmd.idempotency_key,
    )
    uow.ballots.add(ballot)
    return ballot


def _audit_vote(
    uow: UnitOfWork,
    ctx: CaseContext,
    member: MemberRow,
    ballot: BallotRow,
    previous: BallotRow | None,
    now: datetime,
) -> None:
    """Audit the vote cast, and the vote it replaced (the rationale only as its digest)."""
    before = (
        {}
        if previous is None
        else {
            "recommendation": previous.recommendation,
            "alternative_type": previous.alternative_type,
            "version": previous.version,
        }
    )
    audit(
        uow,
        ctx,
        now,
        "vote_cast",
        entity="ballot",
        entity_id=ballot.id,
        before=before,
        after={
            "member": member.slack_id,
            "member_name": member.name,
            "round": ballot.round,
            "recommendation": ballot.recommendation,
            "alternative_type": ballot.alternative_type,
            "version": ballot.version,
            "rationale_sha256": digest(ballot.rationale),
        },
    )


def _check_alternative(recommendation: Recommendation, alternative: ReviewType | None) -> None:
    if recommendation is Recommendation.ALTERNATIVE_REVIEW:
        if alternative is None or alternative.is_statutory:
            raise InvalidInput("Please choose which alternative review you recommend.")
    elif alternative is not None:
        raise InvalidInput("Only an alternative review recommendation names a review type.")


def _cast(
    uow: UnitOfWork, ctx: CaseContext, ballot: BallotRow, *, changed: bool, replayed: bool
) -> VoteCast:
    assert ctx.case.id is not None and ballot.id is not None
    return VoteCast(
        case_ref(ctx.case, ctx.board),
        ballot.recommendation,
        ballot.alternative_type,
        ballot.version,
        changed,
        replayed,
        vote_counts(uow, ctx),
        ctx.case.id,
        ballot.id,
        ctx.actor,
    )


@dataclass(frozen=True)
class CloseVoting:
    """Close the vote (the sub-group chair, or the bot at the vote's deadline)."""

    case_ref: str
    actor: str
    board_id: str | None = None
    without_quorum: bool = False  # the chair closes knowing the quorum was not met


@dataclass(frozen=True)
class VotingClosed:
    """The recommendation for the decision-maker, and the deadlines the step started or met.

    ``case_id``: the case's row id.
    """

    recommendation: RecommendationView
    deadlines: tuple[DeadlineView, ...]
    completed: tuple[DeadlineView, ...]
    case_id: int


def close_voting(cmd: CloseVoting, *, uow: UnitOfWork, now: datetime) -> VotingClosed:
    """Close the vote and record the recommendation date; the board's quorum rule applies.

    The audit records the count, whether it was quorate and, explicitly, ``without_quorum``:
    the vote closed although the board's quorum was not met (the chair confirmed it, or it
    closed at its deadline). Source:
    002_0ceef0fde733de82.txt §1.2; PRODUCT.md §Voting.

    Raises:
        NotAllowed: not the chair, or the quorum is not met (unless closing without it).
    """
    ctx = case_context(uow, cmd.case_ref, cmd.actor, cmd.board_id, for_update=True)
    ctx.require({Role.CHAIR}, "close voting")
    counts = vote_counts(uow, ctx)
    if ctx.case.state is CaseState.VOTING and not counts.quorate and not cmd.without_quorum:
        if ctx.actor != SYSTEM:
            raise NotAllowed(
                f"The quorum ({ctx.board.quorum}) is not met: {counts.cast} of {counts.eligible} "
                f"eligible members have voted on {ctx.case.reference}. Close it anyway if you must."
            )
    before, after = move(ctx, Trigger.CLOSE_VOTING, now)
    today = today_of(now)
    uow.cases.set_date(ctx.case.id, Event.RECOMMENDATION, today, now=now, actor=ctx.actor)
    created = start_deadlines(uow, ctx, {Event.RECOMMENDATION: today}, now)
    completed = complete_step(uow, ctx, Trigger.CLOSE_VOTING, now)
    view = recommendation_view(uow, ctx)
    audit(
        uow,
        ctx,
        now,
        "voting_closed",
        before={"state": before},
        after={
            "state": after,
            "round": view.round,
            "cast": counts.cast,
            "eligible": counts.eligible,
            "quorate": counts.quorate,
            "without_quorum": not counts.quorate,
            "leading": counts.leading,
            "votes": {b.slack_id: b.recommendation for b in view.ballots},
            "conflicts": [c.slack_id for c in view.conflicts],
            "deadlines": due_summary(created),
            "completed": due_summary(completed),
        },
    )
    calendar = board_calendar(ctx.board)
    assert ctx.case.id is not None
    closed = VotingClosed(
        view,
        tuple(deadline_view(d, ctx.case, calendar, today) for d in created),
        tuple(deadline_view(d, ctx.case, calendar, today) for d in completed),
        ctx.case.id,
    )
    uow.changed(closed)
    uow.commit()
    return closed
