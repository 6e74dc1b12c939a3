"""Changing deadlines by hand: extend, pause and resume (with reasons), mark done.

An extension needs a reason and a new date (Source: 002_0ceef0fde733de82.txt §1.5); a pause
stops the clocks while a parallel process runs (Source: 000_cd2220454c4486c5.txt §6-7;
004_7704cae59745d9b5.txt §8). Each change is audited with the dates before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.boards import Role
from bot.domain.deadlines import (
    DeadlineStatus,
    ExtensionField,
    ExtensionRefused,
    deadline_keepers,
    extension_date_problem,
    require_reason,
    resumed_due,
)
from bot.domain.errors import InvalidInput
from bot.domain.limits import TextField, check_lengths, length_problems
from bot.services.common import (
    CaseContext,
    audit,
    board_calendar,
    case_context,
    case_ref,
    deadline_context,
    deadline_view,
    digest,
    today_of,
)
from bot.services.views import CaseRef, DeadlineView
from store.models import DeadlineRow
from store.uow import UnitOfWork


@dataclass(frozen=True)
class ExtendDeadline:
    """Move a deadline to a later date, with the reason (the Extend modal).

    ``case_ref`` (and ``board_id``) name the case the deadline was chosen from: when given, the
    deadline must still be one of that case's.
    """

    deadline_id: int
    actor: str
    new_due: date
    reason: str
    case_ref: str | None = None
    board_id: str | None = None


@dataclass(frozen=True)
class MarkDone:
    """Record that what a deadline asked for was done (the reminder's Mark done button)."""

    deadline_id: int
    actor: str


@dataclass(frozen=True)
class DeadlineChanged:
    """The deadline after the change, and its due date before."""

    case: CaseRef
    deadline: DeadlineView
    due_before: date
    changed: bool = True


class DeadlineExtended(DeadlineChanged):
    """A deadline moved to a later date, with the reason."""


class DeadlineDone(DeadlineChanged):
    """A deadline marked done."""


def _owner_or_manager(ctx: CaseContext, deadline: DeadlineRow, doing: str) -> None:
    """The business manager, or a holder of the deadline's owner role, may act on it."""
    ctx.require(deadline_keepers(deadline.owner_role), doing)


def extend_deadline(cmd: ExtendDeadline, *, uow: UnitOfWork, now: datetime) -> DeadlineChanged:
    """Extend a running deadline of the case to a later date, with a reason.

    Source: 002_0ceef0fde733de82.txt §1.5 (an extension gives the reason and the new date).

    Raises:
        NotFound: no such deadline on the person's boards.
        NotAllowed: the person is neither the business manager nor of the deadline's owner role.
        ExtensionRefused: the deadline is not the named case's or is not running (``DEADLINE``),
            the date is not later (``NEW_DUE``), or the reason is missing or too long
            (``REASON``).
    """
    ctx, deadline = deadline_context(uow, cmd.deadline_id, cmd.actor)
    if cmd.case_ref is not None and (
        ctx.case.reference != cmd.case_ref.strip().upper()
        or (cmd.board_id is not None and ctx.case.board_id != cmd.board_id)
    ):
        raise ExtensionRefused(
            {ExtensionField.DEADLINE: f"That deadline is not one of {cmd.case_ref}'s."}
        )
    _owner_or_manager(ctx, deadline, "extend this deadline")
    if not deadline.status.is_running:
        raise ExtensionRefused(
            {
                ExtensionField.DEADLINE: f"That deadline is {deadline.status.value}; "
                "only a running one can be extended."
            }
        )
    problems: dict[ExtensionField, str] = {}
    try:
        reason = require_reason(cmd.reason)
    except InvalidInput as err:
        problems[ExtensionField.REASON] = str(err)
    if too_long := length_problems({TextField.REASON: cmd.reason}):
        problems[ExtensionField.REASON] = too_long[TextField.REASON]
    late = extension_date_problem(deadline.due_on, cmd.new_due)
    if late:
        problems[ExtensionField.NEW_DUE] = late
    if problems:
        raise ExtensionRefused(problems)
    before = deadline.due_on
    deadline.due_on, deadline.status, deadline.reason = cmd.new_due, DeadlineStatus.EXTENDED, reason
    deadline.updated_at = now
    audit(
        uow,
        ctx,
        now,
        "deadline_extended",
        entity="deadline",
        entity_id=deadline.id,
        before={"rule": deadline.rule_id, "due": before},
        after={"due": cmd.new_due, "status": deadline.status, "reason_sha256": digest(reason)},
    )
    extended = _changed(ctx, deadline, before, now, as_=DeadlineExtended)
    uow.changed(extended)
    uow.commit()
    return extended


def mark_done(cmd: MarkDone, *, uow: UnitOfWork, now: datetime) -> DeadlineChanged:
    """Mark a deadline done; marking it again changes nothing (``changed`` is False)."""
    ctx, deadline = deadline_context(uow, cmd.deadline_id, cmd.actor)
    _owner_or_manager(ctx, deadline, "mark this deadline done")
    if deadline.status is DeadlineStatus.CANCELLED:
        raise InvalidInput("That deadline no longer applies to the case.")
    if deadline.status is DeadlineStatus.DONE:
        return _changed(ctx, deadline, deadline.due_on, now, changed=False)
    status = deadline.status
    deadline.status, deadline.completed_at, deadline.completed_by = (
        DeadlineStatus.DONE,
        now,
        ctx.actor,
    )
    deadline.updated_at = now
    audit(
        uow,
        ctx,
        now,
        "deadline_done",
        entity="deadline",
        entity_id=deadline.id,
        before={"rule": deadline.rule_id, "status": status},
        after={"status": deadline.status, "due": deadline.due_on},
    )
    done = _changed(ctx, deadline, deadline.due_on, now, as_=DeadlineDone)
    uow.changed(done)
    uow.commit()
    return done


@dataclass(frozen=True)
class PauseDeadlines:
    """Stop a case's running clocks (or one deadline's) while a parallel process runs."""

    case_ref: str
    actor: str
    reason: str
    deadline_id: int | None = None  # None: every running deadline of the case
    board_id: str | None = None


@dataclass(frozen=True)
class ResumeDeadlines:
    """Restart paused clocks; the working days left when they paused count from today."""

    case_ref: str
    actor: str
    reason: str = ""
    deadline_id: int | None = None  # None: every paused deadline of the case
    board_id: str | None = None


@dataclass(frozen=True)
class DeadlinesChanged:
    """The case and the deadlines the change touched."""

    case: CaseRef
    deadlines: tuple[DeadlineView, ...]


class DeadlinesPaused(DeadlinesChanged):
    """A case's running clocks stopped, with the reason."""


class DeadlinesResumed(DeadlinesChanged):
    """A case's paused clocks restarted."""


def pause_deadlines(cmd: PauseDeadlines, *, uow: UnitOfWork, now: datetime) -> DeadlinesChanged:
    """Pause running deadlines with a reason (business manager).

    Raises:
        InvalidInput: no reason, or nothing running to pause.
        FieldsRefused: (``reason``) the reason is too long.
    """
    ctx = case_context(uow, cmd.case_ref, cmd.actor, cmd.board_id, for_update=True)
    ctx.require({Role.BUSINESS_MANAGER}, "pause deadlines")
    reason = require_reason(cmd.reason)
    check_lengths({TextField.REASON: reason})
    rows = _chosen(uow, ctx, cmd.deadline_id, lambda s: s.is_running)
    if not rows:
        raise InvalidInput(f"{ctx.case.reference} has no running deadline to pause.")
    today = today_of(now)
    for row in rows:
        row.status, row.paused_on, row.reason, row.updated_at = (
            DeadlineStatus.PAUSED,
            today,
            reason,
            now,
        )
    audit(
        uow,
        ctx,
        now,
        "deadlines_paused",
        before={"running": [r.rule_id for r in rows]},
        after={"paused_on": today, "reason_sha256": digest(reason)},
    )
    paused = _many(ctx, rows, now, as_=DeadlinesPaused)
    uow.changed(paused)
    uow.commit()
    return paused


def resume_deadlines(cmd: ResumeDeadlines, *, uow: UnitOfWork, now: datetime) -> DeadlinesChanged:
    """Resume paused deadlines; each is due the working days it had left, counted from today.

    Raises:
        InvalidInput: nothing paused to resume.
        FieldsRefused: (``reason``) the reason is too long.
    """
    ctx = case_context(uow, cmd.case_ref, cmd.actor, cmd.board_id, for_update=True)
    ctx.require({Role.BUSINESS_MANAGER}, "resume deadlines")
    check_lengths({TextField.REASON: cmd.reason})
    rows = _chosen(uow, ctx, cmd.deadline_id, lambda s: s is DeadlineStatus.PAUSED)
    if not rows:
        raise InvalidInput(f"{ctx.case.reference} has no paused deadline to resume.")
    calendar, today = board_calendar(ctx.board), today_of(now)
    before = []
    for row in rows:
        before.append({"rule": row.rule_id, "due": row.due_on.isoformat()})
        row.due_on = resumed_due(row.due_on, row.paused_on or today, today, calendar)
        row.status = (
            DeadlineStatus.OPEN if row.due_on == row.original_due_on else DeadlineStatus.EXTENDED
        )
        row.paused_on, row.updated_at = None, now
        if cmd.reason.strip():
            row.reason = cmd.reason.strip()
    audit(
        uow,
        ctx,
        now,
        "deadlines_resumed",
        before={"deadlines": before},
        after={
            "deadlines": [{"rule": r.rule_id, "due": r.due_on.isoformat()} for r in rows],
            "reason_sha256": digest(cmd.reason.strip()) if cmd.reason.strip() else None,
        },
    )
    resumed = _many(ctx, rows, now, as_=DeadlinesResumed)
    uow.changed(resumed)
    uow.commit()
    return resumed


def _chosen(
    uow: UnitOfWork,
    ctx: CaseContext,
    deadline_id: int | None,
    wanted: Callable[[DeadlineStatus], bool],
) -> list[DeadlineRow]:
    rows = [r for r in uow.deadlines.of_case(ctx.case.id) if wanted(r.status)]
    if deadline_id is not None:
        rows = [r for r in rows if r.id == deadline_id]
    return rows


def _changed(
    ctx: CaseContext,
    row: DeadlineRow,
    before: date,
    now: datetime,
    *,
    changed: bool = True,
    as_: type[DeadlineChanged] = DeadlineChanged,
) -> DeadlineChanged:
    view = deadline_view(row, ctx.case, board_calendar(ctx.board), today_of(now))
    return as_(case_ref(ctx.case, ctx.board), view, before, changed)


def _many(
    ctx: CaseContext, rows: list[DeadlineRow], now: datetime, *, as_: type[DeadlinesChanged]
) -> DeadlinesChanged:
    calendar, today = board_calendar(ctx.board), today_of(now)
    return as_(
        case_ref(ctx.case, ctx.board),
        tuple(deadline_view(r, ctx.case, calendar, today) for r in rows),
    )
