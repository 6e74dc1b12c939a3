"""Information from agencies: the requests for it, each with its deadline, and its return.

Source: 002_0ceef0fde733de82.txt §1.1; 003_2d53156d33e54857.txt §4.3.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.boards import Role
from bot.domain.calendar import WorkingCalendar
from bot.domain.cases import Trigger
from bot.domain.deadlines import DeadlineStatus
from bot.domain.errors import InvalidInput
from bot.domain.limits import TextField, check_lengths
from bot.domain.protocols import DEFAULT_REMINDERS, Event, Rule
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
    new_deadline,
    request_view,
    today_of,
)
from bot.services.views import CaseRef, DeadlineView, InformationRequestView
from store.models import DeadlineRow, InformationRequestRow
from store.uow import UnitOfWork

MANAGERS = frozenset({Role.BUSINESS_MANAGER, Role.CHAIR})
"""Who may ask for information and take the case's steps after the decision."""


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
    agencies = _agencies_named(cmd)
    today = today_of(now)
    calendar = board_calendar(ctx.board)
    rule = _information_rule(ctx, today, calendar)
    due = _information_due(cmd, rule, today, calendar)
    requests: list[InformationRequestRow] = []
    deadlines: list[DeadlineRow] = []
    for agency in agencies:
        request = _add_request(uow, ctx, agency, cmd.note, today, due, now)
        requests.append(request)
        deadlines.append(_add_request_deadline(uow, ctx, request, rule, now))
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


def _agencies_named(cmd: RequestInformation) -> tuple[str, ...]:
    """Return the agencies asked, each once and in order, checking them and the note.

    Raises:
        InvalidInput: no agency is named.
        FieldsRefused: (``agency``, ``note``) an agency's name or the note is too long.
    """
    agencies = tuple(dict.fromkeys(a.strip() for a in cmd.agencies if a.strip()))
    if not agencies:
        raise InvalidInput("Please name at least one agency.")
    check_lengths({TextField.AGENCY: max(agencies, key=len), TextField.NOTE: cmd.note})
    return agencies


def _information_rule(ctx: CaseContext, today: date, calendar: WorkingCalendar) -> Rule | None:
    """Return the protocol's information-request rule for the case due soonest, if any."""
    rules = [
        r
        for r in ctx.board.load_protocol().rules
        if r.event is Event.INFORMATION_REQUEST and r.applies(ctx.case.review_type)
    ]
    return min(rules, key=lambda r: r.due(today, calendar), default=None)


def _information_due(
    cmd: RequestInformation, rule: Rule | None, today: date, calendar: WorkingCalendar
) -> date:
    """Return the date the information is due: the one given, else the rule's.

    Raises:
        InvalidInput: neither gives a date, or the date is in the past.
    """
    due = cmd.due_on or (rule.due(today, calendar) if rule else None)
    if due is None:
        raise InvalidInput("Please give the date the information is due; the protocol sets none.")
    if due < today:
        raise InvalidInput("The due date cannot be in the past.")
    return due


def _add_request(
    uow: UnitOfWork,
    ctx: CaseContext,
    agency: str,
    note: str,
    today: date,
    due: date,
    now: datetime,
) -> InformationRequestRow:
    """Write the request to one agency, made today and due on ``due``."""
    request = InformationRequestRow(
        case_id=ctx.case.id,
        agency=agency,
        requested_on=today,
        due_on=due,
        requested_at=now,
        requested_by=ctx.actor,
        note=note.strip(),
    )
    uow.requests.add(request)
    return request


def _add_request_deadline(
    uow: UnitOfWork,
    ctx: CaseContext,
    request: InformationRequestRow,
    rule: Rule | None,
    now: datetime,
) -> DeadlineRow:
    """Write the deadline of one request, counted from the day it was made to its due date.

    Without a protocol rule, the deadline is the business manager's, with the default reminders.
    """
    deadline = new_deadline(
        ctx.case.id,
        rule.id if rule else "information-request",
        f"{rule.label if rule else 'Information returned'}: {request.agency}",
        Event.INFORMATION_REQUEST,
        request.requested_on,
        request.due_on,
        rule.owner if rule else Role.BUSINESS_MANAGER,
        rule.reminders if rule else DEFAULT_REMINDERS,
        rule.source if rule else "Due date set when the information was requested",
        now,
        information_request_id=request.id,
    )
    uow.deadlines.add(deadline)
    return deadline


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
