"""The steps after the decision (review to closure), and key dates.

Information from agencies is :mod:`bot.services.information` (re-exported here for the callers
that import it from here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.cases import CaseState, Trigger
from bot.domain.decisions import DecisionOutcome
from bot.domain.errors import InvalidInput, InvalidTransition
from bot.domain.protocols import Event
from bot.services.common import (
    CaseContext,
    audit,
    board_calendar,
    case_context,
    case_ref,
    complete_step,
    deadline_view,
    due_summary,
    move,
    start_deadlines,
    today_of,
)
from bot.services.information import (
    MANAGERS,
    InformationRequested,
    InformationReturned,
    RecordInformationReturn,
    RequestInformation,
    record_information_return,
    request_information,
)
from bot.services.views import CaseRef, DeadlineView
from store.uow import UnitOfWork

__all__ = [
    "MANAGERS", "AdvanceCase", "CaseAdvanced", "InformationRequested", "InformationReturned",
    "RecordInformationReturn", "RequestInformation",
    "advance_case", "record_information_return", "request_information",
]  # fmt: skip

_STEP_EVENTS = {Trigger.COMMISSION_REVIEW: Event.INITIATION, Trigger.PUBLISH: Event.PUBLICATION}
_STEPS = (
    Trigger.COMMISSION_REVIEW,
    Trigger.SUBMIT_DRAFT,
    Trigger.PUBLISH,
    Trigger.START_MONITORING,
    Trigger.CLOSE,
)


@dataclass(frozen=True)
class AdvanceCase:
    """Take a step after the decision: commission, draft, publish, monitor, close."""

    case_ref: str
    actor: str
    trigger: Trigger
    on: date | None = None  # the day it happened (initiation, publication); default today
    board_id: str | None = None


@dataclass(frozen=True)
class CaseAdvanced:
    """The case after the step, the deadlines it started and those it met."""

    case: CaseRef
    before: CaseState
    deadlines: tuple[DeadlineView, ...]
    completed: tuple[DeadlineView, ...]


def advance_case(cmd: AdvanceCase, *, uow: UnitOfWork, now: datetime) -> CaseAdvanced:
    """Move the case on after its decision, starting the deadlines of the step's event.

    Commissioning starts the clock "within six months of initiating it" (Source:
    002_0ceef0fde733de82.txt §1.5); publication starts the action-plan reports (§4.0).

    Raises:
        InvalidInput: the trigger is not one of these steps, or the date is in the future.
        InvalidTransition: the case's state does not allow it, or the decision was no review.
    """
    if cmd.trigger not in _STEPS:
        raise InvalidInput(f"Use its own command to {cmd.trigger.label}.")
    ctx = case_context(uow, cmd.case_ref, cmd.actor, cmd.board_id, for_update=True)
    ctx.require(MANAGERS, cmd.trigger.label)
    today = today_of(now)
    on = cmd.on or today
    if on > today:
        raise InvalidInput("The date of a step taken cannot be in the future.")
    before, after = move(ctx, cmd.trigger, now)  # the state is checked first
    _check_step(uow, ctx, cmd.trigger)
    event = _STEP_EVENTS.get(cmd.trigger)
    created = []
    if event is not None:
        uow.cases.set_date(ctx.case.id, event, on, now=now, actor=ctx.actor)
        created = start_deadlines(uow, ctx, {event: on}, now)
    completed = complete_step(uow, ctx, cmd.trigger, now)
    audit(
        uow,
        ctx,
        now,
        cmd.trigger.value,
        before={"state": before},
        after={
            "state": after,
            "on": on,
            "deadlines": due_summary(created),
            "completed": due_summary(completed),
        },
    )
    calendar = board_calendar(ctx.board)
    advanced = CaseAdvanced(
        case_ref(ctx.case, ctx.board),
        before,
        tuple(deadline_view(d, ctx.case, calendar, today) for d in created),
        tuple(deadline_view(d, ctx.case, calendar, today) for d in completed),
    )
    uow.changed(advanced)
    uow.commit()
    return advanced


def _check_step(uow: UnitOfWork, ctx: CaseContext, trigger: Trigger) -> None:
    if trigger is Trigger.COMMISSION_REVIEW:
        decision = uow.decisions.of_case(ctx.case.id)
        if decision is not None and decision.outcome is DecisionOutcome.NO_REVIEW:
            raise InvalidTransition(
                f"The decision on {ctx.case.reference} was not to review; close it instead."
            )
    if trigger is Trigger.CLOSE:
        unsettled = [d for d in uow.deadlines.of_case(ctx.case.id) if not d.status.is_settled]
        if unsettled:
            raise InvalidInput(
                f"{ctx.case.reference} still has {len(unsettled)} deadline(s) open or paused; "
                "mark them done before closing it."
            )
