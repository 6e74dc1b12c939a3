"""Reading a vote: who may vote, the counts, and the recommendation by name.

Each member's recommendation is shown by name to the chair and the decision-maker (Source:
002_0ceef0fde733de82.txt §1.2); conflicted members are not eligible (Source:
002_0ceef0fde733de82.txt §2.1).
"""

from __future__ import annotations

from bot.domain.boards import Role
from bot.domain.cases import CaseState
from bot.domain.votes import VOTING_ROLES, Vote, tally
from bot.services.common import CaseContext, case_ref
from bot.services.views import BallotView, ConflictView, RecommendationView, VoteCounts
from store.models import MemberRow
from store.uow import UnitOfWork


def eligible_members(uow: UnitOfWork, ctx: CaseContext) -> list[MemberRow]:
    """Return the board's active voting members who have not declared a conflict on the case."""
    members = uow.members.of_board(ctx.board.id)
    roles = uow.members.roles_of(m.id for m in members)
    conflicted = {c.member_id for c in uow.conflicts.of_case(ctx.case.id)}
    return [m for m in members if roles[m.id] & VOTING_ROLES and m.id not in conflicted]


def vote_counts(uow: UnitOfWork, ctx: CaseContext) -> VoteCounts:
    """Return the current round's counts under the board's quorum rule."""
    return recommendation_view(uow, ctx).counts


def recommendation_view(uow: UnitOfWork, ctx: CaseContext) -> RecommendationView:
    """Return the current round's votes by name, conflicts and the tally (chair and DM only)."""
    case = ctx.case
    members = {m.id: m for m in uow.members.of_board(ctx.board.id, active_only=False)}
    eligible = eligible_members(uow, ctx)
    ballots = uow.ballots.current(case.id, case.voting_round)
    result = tally(
        [Vote(members[b.member_id].slack_id, b.recommendation) for b in ballots],
        [m.slack_id for m in eligible],
        ctx.board.quorum,
    )
    eligible_ids = {m.id for m in eligible}
    counted = [b for b in ballots if b.member_id in eligible_ids]
    voted = {b.member_id for b in counted}
    makers = uow.members.with_role(ctx.board.id, Role.DECISION_MAKER)
    return RecommendationView(
        case=case_ref(case, ctx.board),
        round=case.voting_round,
        counts=VoteCounts(
            result.counts,
            result.cast,
            result.eligible,
            result.quorate,
            result.leading,
            result.majority,
            ctx.board.vote_visibility,
            case.state is not CaseState.VOTING,
        ),
        ballots=tuple(
            BallotView(
                members[b.member_id].slack_id,
                members[b.member_id].name,
                members[b.member_id].agency,
                b.recommendation,
                b.alternative_type,
                b.rationale,
                b.version,
                b.cast_at,
            )
            for b in counted
        ),
        conflicts=tuple(
            ConflictView(
                members[c.member_id].slack_id, members[c.member_id].name, c.reason, c.declared_at
            )
            for c in uow.conflicts.of_case(case.id)
        ),
        not_voted=tuple(m.slack_id for m in eligible if m.id not in voted),
        dissenters=result.dissenters,
        decision_makers=tuple(m.slack_id for m in makers),
    )
