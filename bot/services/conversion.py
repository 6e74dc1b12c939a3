"""Converting a case's review type (a rapid review becoming an LCSPR), with a reason.

The reference stays (Source: 002_0ceef0fde733de82.txt §1.1); the deadlines follow the new type.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.boards import STATUTORY_BY_KIND, ReviewType, Role
from bot.domain.cases import Trigger
from bot.domain.deadlines import DeadlineStatus, require_reason
from bot.domain.errors import InvalidInput
from bot.domain.limits import TextField, check_lengths
from bot.services.common import (
    CaseContext,
    audit,
    board_calendar,
    case_context,
    case_ref,
    deadline_view,
    digest,
    due_summary,
    move,
    start_deadlines,
    today_of,
)
from bot.services.views import CaseRef, DeadlineView
from store.models import DeadlineRow, ReviewConversionRow
from store.uow import UnitOfWork


@dataclass(frozen=True)
class ConvertReview:
    """Change a case's review type (a rapid review becoming an LCSPR), with a reason."""

    case_ref: str
    actor: str
    to_type: ReviewType
    reason: str
    board_id: str | None = None


@dataclass(frozen=True)
class ReviewConverted:
    """The case after conversion; the reference stays (002 §1.1), the deadlines follow the type."""

    case: CaseRef
    from_type: ReviewType
    to_type: ReviewType
    deadlines_added: tuple[DeadlineView, ...]
    deadlines_cancelled: tuple[DeadlineView, ...]


def convert_review(cmd: ConvertReview, *, uow: UnitOfWork, now: datetime) -> ReviewConverted:
    """Convert the review type, recording the conversion, and redo the type-specific deadlines.

    Deadlines whose rule does not apply to the new type are cancelled; rules that apply to the
    new type start from the case's key dates. Source: 003_2d53156d33e54857.txt 9B.
    """
    ctx = case_context(uow, cmd.case_ref, cmd.actor, cmd.board_id, for_update=True)
    ctx.require({Role.BUSINESS_MANAGER, Role.DECISION_MAKER}, "change the review type")
    reason = require_reason(cmd.reason)
    check_lengths({TextField.REASON: reason})
    from_type = ctx.case.review_type
    if cmd.to_type is from_type:
        raise InvalidInput(f"{ctx.case.reference} is already a {from_type.label}.")
    if cmd.to_type.is_statutory and cmd.to_type not in STATUTORY_BY_KIND[ctx.board.kind]:
        raise InvalidInput(f"A {cmd.to_type.label} is not a review this board can hold.")
    move(ctx, Trigger.CONVERT_REVIEW, now)
    cancelled = convert_type(uow, ctx, cmd.to_type, reason, now)
    added = start_deadlines(uow, ctx, uow.cases.dates(ctx.case.id), now)
    audit(
        uow,
        ctx,
        now,
        "review_converted",
        entity="case",
        before={"review_type": from_type, "deadlines": due_summary(cancelled)},
        after={
            "review_type": cmd.to_type,
            "reason_sha256": digest(reason),
            "deadlines": due_summary(added),
        },
    )
    calendar, today = board_calendar(ctx.board), today_of(now)
    converted = ReviewConverted(
        case_ref(ctx.case, ctx.board),
        from_type,
        cmd.to_type,
        tuple(deadline_view(d, ctx.case, calendar, today) for d in added),
        tuple(deadline_view(d, ctx.case, calendar, today) for d in cancelled),
    )
    uow.changed(converted)
    uow.commit()
    return converted


def convert_type(
    uow: UnitOfWork, ctx: CaseContext, to_type: ReviewType, reason: str, now: datetime
) -> list[DeadlineRow]:
    """Record a conversion and cancel the unsettled deadlines the new type has no rule for."""
    uow.cases.add(
        ReviewConversionRow(
            case_id=ctx.case.id,
            from_type=ctx.case.review_type,
            to_type=to_type,
            reason=reason,
            converted_at=now,
            converted_by=ctx.actor,
        )
    )
    ctx.case.review_type = to_type
    rules = {r.id: r for r in ctx.board.load_protocol().rules}
    cancelled = []
    for row in uow.deadlines.of_case(ctx.case.id):
        rule = rules.get(row.rule_id)
        if rule is not None and not rule.applies(to_type) and not row.status.is_settled:
            row.status, row.updated_at = DeadlineStatus.CANCELLED, now
            row.reason = f"Review type changed to {to_type.label}"
            cancelled.append(row)
    return cancelled
