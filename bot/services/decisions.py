"""The decision-maker's decision: recorded once, with reasons, starting the deadlines after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError

from bot.domain.boards import ReviewType, Role
from bot.domain.cases import CaseState, Trigger
from bot.domain.decisions import DecisionOutcome, Methodology, check_decision
from bot.domain.errors import Conflict, FieldsRefused, NotAllowed
from bot.domain.limits import TextField, check_lengths
from bot.domain.protocols import Event
from bot.services.common import (
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
    today_of,
)
from bot.services.conversion import convert_type
from bot.services.views import CaseRef, DeadlineView, DecisionView
from store.models import DeadlineRow, DecisionRow
from store.uow import UnitOfWork


@dataclass(frozen=True)
class RecordDecision:
    """The decision modal's submission."""

    case_ref: str
    actor: str
    outcome: DecisionOutcome
    reasons: str
    decided_on: date | None = None  # default: today
    review_type: ReviewType | None = None
    methodology: Methodology | None = None
    board_id: str | None = None
    idempotency_key: str | None = None  # Slack's view id: a redelivered submission decides once


@dataclass(frozen=True)
class DecisionRecorded:
    """The decision, the deadlines it started and met, and who to send the notifications list.

    ``case_id``: the case's row id; ``replayed``: a redelivered submission, which changed nothing.
    """

    case: CaseRef
    decision: DecisionView
    deadlines: tuple[DeadlineView, ...]
    completed: tuple[DeadlineView, ...]
    business_managers: tuple[str, ...]
    case_id: int
    replayed: bool = False


def record_decision(
    cmd: RecordDecision,
    *,
    uow: UnitOfWork,
    now: datetime,
) -> DecisionRecorded:
    """Record the decision on a case awaiting one; only its decision-maker may.

    "The final decision ... rests with SSCB independent Chair" (Source:
    002_0ceef0fde733de82.txt §1.2); the reasons are required (same section). The decision starts
    the deadlines counted from it, such as informing the national bodies within five working
    days (002 §1.2), in the board's protocol.

    Raises:
        NotAllowed: the person is not the board's decision-maker.
        Conflict: a decision on the case is already recorded (by this person or another).
        InvalidTransition: the case is not awaiting a decision.
        InvalidInput: reasons missing, a review type that does not fit, a date in the future.
        FieldsRefused: (``reasons``) the reasons are too long.
    """
    ctx = case_context(uow, cmd.case_ref, cmd.actor, cmd.board_id, for_update=True)
    if cmd.idempotency_key and (earlier := uow.decisions.by_idempotency_key(cmd.idempotency_key)):
        return _recorded(uow, ctx, earlier, [], [], now, replayed=True)
    _check_decision_maker(uow, ctx)
    check_decision(ctx.board.kind, cmd.outcome, cmd.review_type, cmd.methodology, cmd.reasons)
    check_lengths({TextField.REASONS: cmd.reasons})
    decided_on = _decision_date(uow, ctx, cmd, today_of(now))
    before, after = move(ctx, Trigger.RECORD_DECISION, now)
    decision = _add_decision(uow, ctx, cmd, decided_on, now)
    from_type = ctx.case.review_type
    cancelled = _convert_to_decided_type(uow, ctx, cmd, now)
    uow.cases.set_date(ctx.case.id, Event.DECISION, decided_on, now=now, actor=ctx.actor)
    created = start_deadlines(uow, ctx, uow.cases.dates(ctx.case.id), now)
    completed = complete_step(uow, ctx, Trigger.RECORD_DECISION, now)
    _audit_decision(
        uow,
        ctx,
        decision,
        now,
        moved=(before, after),
        from_type=from_type,
        created=created,
        completed=completed,
        cancelled=cancelled,
    )
    recorded = _recorded(uow, ctx, decision, created, completed, now, replayed=False)
    uow.changed(recorded)
    uow.commit()
    return recorded


def _check_decision_maker(uow: UnitOfWork, ctx: CaseContext) -> None:
    """Check that the person is the board's decision-maker and no decision is recorded yet.

    Raises:
        NotAllowed: the person is not the board's decision-maker (or is the bot).
        Conflict: a decision on the case is already recorded.
    """
    if ctx.member is None:
        raise NotAllowed("Only the decision-maker records a decision.")
    ctx.require({Role.DECISION_MAKER}, "record the decision")
    _refuse_second(uow, ctx)


def _decision_date(uow: UnitOfWork, ctx: CaseContext, cmd: RecordDecision, today: date) -> date:
    """Return the day of the decision (today unless given), between the referral and today.

    Raises:
        FieldsRefused: (``decided_on``) the date is in the future or before the referral.
    """
    decided_on = cmd.decided_on or today
    referred_on = uow.cases.dates(ctx.case.id).get(Event.REFERRAL)
    if decided_on > today:
        raise FieldsRefused({"decided_on": "The decision date cannot be in the future."})
    if referred_on is not None and decided_on < referred_on:
        raise FieldsRefused({"decided_on": "The decision date cannot be before the referral."})
    return decided_on


def _add_decision(
    uow: UnitOfWork, ctx: CaseContext, cmd: RecordDecision, decided_on: date, now: datetime
) -> DecisionRow:
    """Write the decision row; the database keeps it to one per case.

    Raises:
        Conflict: another decision on the case was written a moment ago (the transaction is
            rolled back).
    """
    decision = DecisionRow(
        case_id=ctx.case.id,
        outcome=cmd.outcome,
        review_type=cmd.review_type,
        methodology=cmd.methodology,
        reasons=cmd.reasons.strip(),
        decided_on=decided_on,
        recorded_at=now,
        decided_by=ctx.actor,
        idempotency_key=cmd.idempotency_key,
    )
    try:
        uow.decisions.add(decision)
    except IntegrityError:
        uow.rollback()
        raise Conflict(f"A decision on {ctx.case.reference} was recorded a moment ago.") from None
    return decision


def _convert_to_decided_type(
    uow: UnitOfWork, ctx: CaseContext, cmd: RecordDecision, now: datetime
) -> list[DeadlineRow]:
    """Convert the case to the review type decided on, if another; return deadlines cancelled."""
    if cmd.review_type is None or cmd.review_type is ctx.case.review_type:
        return []
    reason = f"Decided: {cmd.outcome.value.replace('_', ' ')}"
    return convert_type(uow, ctx, cmd.review_type, reason, now)


def _audit_decision(
    uow: UnitOfWork,
    ctx: CaseContext,
    decision: DecisionRow,
    now: datetime,
    *,
    moved: tuple[CaseState, CaseState],
    from_type: ReviewType,
    created: list[DeadlineRow],
    completed: list[DeadlineRow],
    cancelled: list[DeadlineRow],
) -> None:
    """Audit the decision (its reasons only as their digest) and the deadlines it changed.

    ``moved`` is the case's state before and after; ``from_type`` its review type before; the
    deadlines are those the decision started, met, and cancelled by a change of review type.
    """
    before, after = moved
    audit(
        uow,
        ctx,
        now,
        "decision_recorded",
        entity="decision",
        entity_id=decision.id,
        before={"state": before, "review_type": from_type},
        after={
            "state": after,
            "outcome": decision.outcome,
            "review_type": ctx.case.review_type,
            "methodology": decision.methodology,
            "decided_on": decision.decided_on,
            "reasons_sha256": digest(decision.reasons),
            "deadlines": due_summary(created),
            "completed": due_summary(completed),
            "cancelled": due_summary(cancelled),
        },
    )


def _refuse_second(uow: UnitOfWork, ctx: CaseContext) -> None:
    existing = uow.decisions.of_case(ctx.case.id)
    if existing is None:
        return
    maker = uow.members.find(ctx.board.id, existing.decided_by)
    by = maker.name if maker else "the decision-maker"
    raise Conflict(
        f"A decision on {ctx.case.reference} was already recorded by {by} "
        f"on {existing.decided_on.isoformat()}."
    )


def _recorded(
    uow: UnitOfWork,
    ctx: CaseContext,
    decision: DecisionRow,
    created: list[DeadlineRow],
    completed: list[DeadlineRow],
    now: datetime,
    *,
    replayed: bool,
) -> DecisionRecorded:
    calendar, today = board_calendar(ctx.board), today_of(now)
    managers = uow.members.with_role(ctx.board.id, Role.BUSINESS_MANAGER)
    assert ctx.case.id is not None
    return DecisionRecorded(
        case=case_ref(ctx.case, ctx.board),
        decision=decision_view(decision),
        deadlines=tuple(deadline_view(d, ctx.case, calendar, today) for d in created),
        completed=tuple(deadline_view(d, ctx.case, calendar, today) for d in completed),
        business_managers=tuple(m.slack_id for m in managers),
        case_id=ctx.case.id,
        replayed=replayed,
    )


def decision_view(row: DecisionRow) -> DecisionView:
    """Return the decision as a view model."""
    return DecisionView(
        row.outcome,
        row.review_type,
        row.methodology,
        row.reasons,
        row.decided_on,
        row.decided_by,
        row.recorded_at,
    )
