"""Key dates: the day an event happened (or will), and the deadlines counting from it.

Recording a date creates the deadlines that count from it; correcting one moves them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.boards import Role
from bot.domain.deadlines import DeadlineStatus
from bot.domain.errors import InvalidInput
from bot.domain.protocols import Event
from bot.services.common import (
    CaseContext,
    audit,
    board_calendar,
    case_context,
    case_ref,
    deadline_view,
    due_summary,
    start_deadlines,
    today_of,
)
from bot.services.views import CaseRef, DeadlineView
from store.models import DeadlineRow
from store.uow import UnitOfWork


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
    change = set_key_date(uow, ctx, cmd.event, cmd.on, now)
    audit(
        uow,
        ctx,
        now,
        "key_date_recorded",
        before={cmd.event.value: change.previous},
        after={
            cmd.event.value: cmd.on,
            "deadlines": due_summary(change.created),
            "moved": due_summary(change.moved),
        },
    )
    recorded = KeyDateRecorded(
        case_ref(ctx.case, ctx.board),
        cmd.event,
        cmd.on,
        change.previous,
        tuple(
            deadline_view(d, ctx.case, calendar, today) for d in [*change.moved, *change.created]
        ),
    )
    uow.changed(recorded)
    uow.commit()
    return recorded


@dataclass(frozen=True)
class KeyDateChange:
    """What setting one key date did: the date it replaced, the deadlines moved and created."""

    previous: date | None
    moved: list[DeadlineRow]
    created: list[DeadlineRow]


def set_key_date(
    uow: UnitOfWork, ctx: CaseContext, event: Event, on: date, now: datetime
) -> KeyDateChange:
    """Set one key date in the caller's transaction; move and start the deadlines counting from it.

    Open deadlines counting from the event are recounted from the new date; extended, paused or
    settled ones keep their dates (a person chose those). No audit, no commit: the caller's use
    case does both (recording a date, correcting a case).
    """
    calendar = board_calendar(ctx.board)
    previous = uow.cases.set_date(ctx.case.id, event, on, now=now, actor=ctx.actor)
    rules = {r.id: r for r in ctx.board.load_protocol().rules}
    moved = []
    for row in uow.deadlines.of_case(ctx.case.id):
        rule = rules.get(row.rule_id)
        if (
            row.event is event
            and row.status is DeadlineStatus.OPEN
            and rule
            and row.event_date != on
        ):
            row.event_date, row.updated_at = on, now
            row.due_on = row.original_due_on = rule.due(on, calendar)
            moved.append(row)
    created = start_deadlines(uow, ctx, {event: on}, now)
    return KeyDateChange(previous, moved, created)
