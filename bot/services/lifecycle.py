"""Information from agencies, key dates, and the steps after the decision (review to closure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.boards import Role
from bot.domain.cases import CaseState, Trigger
from bot.domain.deadlines import DeadlineStatus
from bot.domain.decisions import DecisionOutcome
from bot.domain.errors import InvalidInput, InvalidTransition
from bot.domain.limits import TextField, check_lengths
from bot.domain.protocols import DEFAULT_REMINDERS, Event
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
    new_deadline,
    request_view,
    start_deadlines,
    today_of,
)
from bot.services.views import CaseRef, DeadlineView, InformationRequestView
from store.models import DeadlineRow, InformationRequestRow
from store.uow import UnitOfWork

MANAGERS = frozenset({Role.BUSINESS_MANAGER, Role.CHAIR})


@dataclass(frozen=True)
class RequestInformation:
    """Ask agencies for a skeleton chronology and summary. Source: 002 §1.1; 003 §4.3."""

    case_ref: str
    actor: str
    agencies: tuple[str, ...]
    due_on: date | None = None  # default: the board's protocol rule for information requests
    note: str = ""
    board_id: str | None = None


@dataclass(frozen=True)
class InformationRequested:
    """The requests made and the deadline each one carries."""

    case: CaseRef
    requests: tuple[InformationRequestView, ...]
    deadlines: tuple[DeadlineView, ...]


def request_information(
    cmd: RequestInformation, *, uow: UnitOfWork, now: datetime
) -> InformationRequested:
    """Record a request to each agency, with a deadline from the protocol or the given date.

    Source: 003_2d53156d33e54857.txt §4.3 ("agencies will be required to provide the necessary
    information within 5 working days"), as the board's protocol says.

    Raises:
        FieldsRefused: (``agency``, ``note``) an agency's name or the note is too long.
    """
    ctx = case_context(uow, cmd.case_ref, cmd.actor, cmd.board_id, for_update=True)
    ctx.require(MANAGERS, "request information from agencies")
    before, after = move(ctx, Trigger.REQUEST_INFORMATION, now)  # the state is checked first
    agencies = tuple(dict.fromkeys(a.strip() for a in cmd.agencies if a.strip()))
    if not agencies:
        raise InvalidInput("Please name at least one agency.")
    check_lengths({TextField.AGENCY: max(agencies, key=len), TextField.NOTE: cmd.note})
    today = today_of(now)
    calendar = board_calendar(ctx.board)
    rules = [
        r
        for r in ctx.board.load_protocol().rules
        if r.event is Event.INFORMATION_REQUEST and r.applies(ctx.case.review_type)
    ]
    rule = min(rules, key=lambda r: r.due(today, calendar), default=None)
    due = cmd.due_on or (rule.due(today, calendar) if rule else None)
    if due is None:
        raise InvalidInput("Please give the date the information is due; the protocol sets none.")
    if due < today:
        raise InvalidInput("The due date cannot be in the past.")
    requests: list[InformationRequestRow] = []
    deadlines: list[DeadlineRow] = []
    for agency in agencies:
        request = InformationRequestRow(
            case_id=ctx.case.id,
            agency=agency,
            requested_on=today,
            due_on=due,
            requested_at=now,
            requested_by=ctx.actor,
            note=cmd.note.strip(),
        )
        uow.requests.add(request)
        requests.append(request)
        deadline = new_deadline(
            ctx.case.id,
            rule.id if rule else "information-request",
            f"{rule.label if rule else 'Information returned'}: {agency}",
            Event.INFORMATION_REQUEST,
            today,
            due,
            rule.owner if rule else Role.BUSINESS_MANAGER,
            rule.reminders if rule else DEFAULT_REMINDERS,
            rule.source if rule else "Due date set when the information was requested",
            now,
            information_request_id=request.id,
        )
        uow.deadlines.add(deadline)
        deadlines.append(deadline)
    audit(
        uow,
        ctx,
        now,
        "information_requested",
        before={"state": before},
        after={
            "state": after,
            "agencies": list(agencies),
            "due": due,
            "note_sha256": digest(cmd.note.strip()) if cmd.note.strip() else None,
            "deadlines": due_summary(deadlines),
        },
    )
    requested = InformationRequested(
        case_ref(ctx.case, ctx.board),
        tuple(request_view(r) for r in requests),
        tuple(deadline_view(d, ctx.case, calendar, today) for d in deadlines),
    )
    uow.changed(requested)
    uow.commit()
    return requested


@dataclass(frozen=True)
class RecordInformationReturn:
    """Record that an agency returned the information asked for."""

    case_ref: str
    actor: str
    request_id: int
    board_id: str | None = None


@dataclass(frozen=True)
class InformationReturned:
    """The request as it now stands; ``changed`` is False when it was already returned."""

    case: CaseRef
    request: InformationRequestView
    changed: bool


def record_information_return(
    cmd: RecordInformationReturn, *, uow: UnitOfWork, now: datetime
) -> InformationReturned:
    """Mark a request returned and its deadline done (once; a repeat changes nothing)."""
    ctx = case_context(uow, cmd.case_ref, cmd.actor, cmd.board_id, for_update=True)
    ctx.require(MANAGERS, "record information returned")
    request = uow.requests.get(cmd.request_id)
    if request is None or request.case_id != ctx.case.id:
        raise InvalidInput(f"{ctx.case.reference} has no such information request.")
    changed = request.returned_at is None
    if changed:
        request.returned_at, request.returned_by = now, ctx.actor
        done = []
        for d in uow.deadlines.of_case(ctx.case.id):
            if d.information_request_id == request.id and not d.status.is_settled:
                d.status, d.completed_at, d.completed_by = DeadlineStatus.DONE, now, ctx.actor
                d.updated_at = now
                done.append(d)
        audit(
            uow,
            ctx,
            now,
            "information_returned",
            entity="information_request",
            entity_id=request.id,
            after={"agency": request.agency, "deadlines": due_summary(done)},
        )
    returned = InformationReturned(case_ref(ctx.case, ctx.board), request_view(request), changed)
    if changed:
        uow.changed(returned)
        uow.commit()
    return returned


# -- after the decision ------------------------------------------------------------------------

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


@dataclass(frozen=True)
class RecordKeyDate:
    """Record the day an event happened (a meeting, a complaint, a planned publication...)."""

    case_ref: str
    actor: str
    event: Event
    on: date
    board_id: str | None = None


@dataclass(frozen=True)
class KeyDateRecorded:
    """The key date, the one it replaced, and the deadlines started or moved."""

    case: CaseRef
    event: Event
    on: date
    previous: date | None
    deadlines: tuple[DeadlineView, ...]


_OWN_STEPS = {
    Event.RECOMMENDATION: "close voting",
    Event.DECISION: "record the decision",
    Event.INFORMATION_REQUEST: "request information",
}


def record_key_date(cmd: RecordKeyDate, *, uow: UnitOfWork, now: datetime) -> KeyDateRecorded:
    """Set a key date and start (or move) the deadlines that count from it.

    Open deadlines counting from the event are recounted from the new date; extended, paused or
    settled ones keep their dates (a person chose those).
    """
    if cmd.event in _OWN_STEPS:
        raise InvalidInput(f"That date is set when you {_OWN_STEPS[cmd.event]}.")
    ctx = case_context(uow, cmd.case_ref, cmd.actor, cmd.board_id, for_update=True)
    ctx.require({Role.BUSINESS_MANAGER}, "record key dates")
    calendar, today = board_calendar(ctx.board), today_of(now)
    previous = uow.cases.set_date(ctx.case.id, cmd.event, cmd.on, now=now, actor=ctx.actor)
    rules = {r.id: r for r in ctx.board.load_protocol().rules}
    moved = []
    for row in uow.deadlines.of_case(ctx.case.id):
        rule = rules.get(row.rule_id)
        if (
            row.event is cmd.event
            and row.status is DeadlineStatus.OPEN
            and rule
            and row.event_date != cmd.on
        ):
            row.event_date, row.updated_at = cmd.on, now
            row.due_on = row.original_due_on = rule.due(cmd.on, calendar)
            moved.append(row)
    created = start_deadlines(uow, ctx, {cmd.event: cmd.on}, now)
    audit(
        uow,
        ctx,
        now,
        "key_date_recorded",
        before={cmd.event.value: previous},
        after={
            cmd.event.value: cmd.on,
            "deadlines": due_summary(created),
            "moved": due_summary(moved),
        },
    )
    recorded = KeyDateRecorded(
        case_ref(ctx.case, ctx.board),
        cmd.event,
        cmd.on,
        previous,
        tuple(deadline_view(d, ctx.case, calendar, today) for d in [*moved, *created]),
    )
    uow.changed(recorded)
    uow.commit()
    return recorded
