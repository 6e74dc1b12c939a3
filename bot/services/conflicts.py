"""A member's declared conflict of interest on a case: from then on they stand aside from its vote.

A member with direct involvement stands aside (Source: 002_0ceef0fde733de82.txt §2.1;
001_3cb7af4f5859624c.txt §5); the vote itself is :mod:`bot.services.voting`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.cases import CaseState
from bot.domain.deadlines import require_reason
from bot.domain.errors import InvalidTransition, NotAllowed
from bot.domain.limits import TextField, check_lengths
from bot.services.common import audit, case_context, case_ref, digest
from bot.services.tally import vote_counts
from bot.services.views import CaseRef, VoteCounts
from store.models import ConflictRow
from store.uow import UnitOfWork


@dataclass(frozen=True)
class DeclareConflict:
    """Declare a conflict of interest on a case, with a reason."""

    case_ref: str
    actor: str
    reason: str
    board_id: str | None = None


@dataclass(frozen=True)
class ConflictDeclared:
    """The declared conflict.

    ``already_declared``: nothing new was recorded; ``vote_withdrawn``: the member's vote in the
    current round no longer counts; ``case_id``: the case's row id; ``conflict_id``: the
    conflict's row id (None when already declared).
    """

    case: CaseRef
    already_declared: bool
    vote_withdrawn: bool
    counts: VoteCounts
    case_id: int
    conflict_id: int | None = None
    member: str = ""


def declare_conflict(
    cmd: DeclareConflict,
    *,
    uow: UnitOfWork,
    now: datetime,
) -> ConflictDeclared:
    """Record a member's conflict; from then on they do not vote on the case (002 §2.1).

    A conflict declared already changes nothing.
    """
    ctx = case_context(uow, cmd.case_ref, cmd.actor, cmd.board_id, for_update=True)
    if ctx.member is None:
        raise NotAllowed("Only members declare conflicts.")
    if ctx.case.state is CaseState.CLOSED:
        raise InvalidTransition(f"{ctx.case.reference} is closed.")
    reason = require_reason(cmd.reason)
    check_lengths({TextField.REASON: reason})
    if uow.conflicts.find(ctx.case.id, ctx.member.id) is not None:
        return ConflictDeclared(
            case_ref(ctx.case, ctx.board), True, False, vote_counts(uow, ctx), ctx.case.id
        )
    voted = any(
        b.member_id == ctx.member.id
        for b in uow.ballots.current(ctx.case.id, ctx.case.voting_round)
    )
    withdrawn = voted and ctx.case.state is CaseState.VOTING
    conflict = ConflictRow(
        case_id=ctx.case.id, member_id=ctx.member.id, reason=reason, declared_at=now
    )
    uow.conflicts.add(conflict)
    audit(
        uow,
        ctx,
        now,
        "conflict_declared",
        entity="conflict",
        entity_id=conflict.id,
        after={
            "member": ctx.member.slack_id,
            "member_name": ctx.member.name,
            "reason_sha256": digest(reason),
            "vote_withdrawn": withdrawn,
        },
    )
    declared = ConflictDeclared(
        case_ref(ctx.case, ctx.board),
        False,
        withdrawn,
        vote_counts(uow, ctx),
        ctx.case.id,
        conflict.id,
        ctx.actor,
    )
    uow.changed(declared)
    uow.commit()
    return declared
