"""The one reminder engine's sweep: owe every reminder due now, close votes past their deadline.

One transaction plans what is due (:func:`bot.jobs.planning.plan_sweep`, the deadlines locked
SKIP LOCKED on PostgreSQL so several sweepers share them) and owes each reminder slot as outbox
rows, one per recipient, keyed (deadline, slot, recipient): however many sweepers run, each
recipient is owed each slot once. The sender (:mod:`bot.notify.sender`) sends them, drawn when
sent, so a retry tomorrow says tomorrow's working days left. A slot nobody can be sent, because
nobody holds the deadline's owner role, is owed to nobody (a row failed for good, so the slot is
not planned again) and told to the business managers, once per deadline and role.

Source: PRODUCT.md §Deadlines and reminders ("sent once: not twice after a restart, not twice
when two instances run against one PostgreSQL database, and not lost if Slack is down or
rate-limits"); §Scale.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.domain.reminders import ReminderDue
from bot.jobs.digest import owe_digests
from bot.jobs.planning import plan_sweep
from bot.jobs.vote_deadline import close_at_deadline
from bot.notify.drawn import REMINDER_TEMPLATE, VOTE_REMINDER_TEMPLATE
from bot.notify.kinds import Kind
from bot.notify.outbox import tell_business_managers
from bot.notify.undelivered import NO_OWNER_ERROR, Undelivered, What
from store.models import CaseRow, DeadlineRow
from store.uow import UnitOfWork, UowFactory

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    """What one sweep did (the sending is the sender's: ``sent`` and the rest count its pass).

    Attributes:
        considered: running deadlines loaded (due by the horizon).
        claimed: reminder slots this sweep owed (a slot another sweeper owed is not counted).
        closed: votes this sweep closed at their deadline.
        digests: board digests this sweep owed.
        sent: rows the pass that followed sent (``run_once``).
        deferred: rows left for a retry.
        failed: rows that failed for good.
    """

    considered: int = 0
    claimed: int = 0
    closed: int = 0
    digests: int = 0
    sent: int = 0
    deferred: int = 0
    failed: int = 0


def sweep(*, uow_factory: UowFactory, clock: Clock) -> SweepResult:
    """Owe every reminder and digest due now, and close the votes past their deadline.

    Args:
        uow_factory: opens a unit of work whose commit owes what its changes owe (a close's
            recommendation) and wakes the sender.
        clock: the current time.
    """
    now = clock.now()
    result = SweepResult()
    with uow_factory() as uow:
        plan = plan_sweep(uow, now)
        result.considered = plan.considered
        for deadline, case, _board, slot, recipients in plan.slots:
            result.claimed += owe_slot(uow, deadline, case, slot, recipients, now)
        for deadline, case, _board, user, slot in plan.votes:
            result.claimed += owe_slot(uow, deadline, case, slot, (user,), now, vote=True)
        uow.commit()
    for reference, board_id in plan.closes:
        result.closed += close_at_deadline(reference, board_id, uow_factory=uow_factory, now=now)
    result.digests = owe_digests(uow_factory, now)
    return result


def owe_slot(
    uow: UnitOfWork,
    deadline: DeadlineRow,
    case: CaseRow,
    slot: ReminderDue,
    recipients: tuple[str, ...],
    now: datetime,
    *,
    vote: bool = False,
) -> int:
    """Owe one reminder slot to each recipient; return 1 if this call owed it, else 0."""
    template = VOTE_REMINDER_TEMPLATE if vote else REMINDER_TEMPLATE
    where = {"board_id": case.board_id, "case_id": case.id, "deadline_id": deadline.id}
    owed = [
        uow.outbox.owe(
            now=now, kind=Kind.REMINDER, template=template, recipient=user, slot=slot.key,
            lead=slot.lead, slot_due=slot.due, **where,
        )
        for user in recipients or ("",)
    ]  # fmt: skip
    if recipients or owed[0] is None:
        return int(any(row_id is not None for row_id in owed))
    row = uow.outbox.get(owed[0])
    assert row is not None
    uow.outbox.mark_failed(row, error=NO_OWNER_ERROR, retry_at=None)
    failure = Undelivered(
        f"reminder:no_owner:{deadline.id}:{deadline.owner_role}",
        case.board_id,
        case.id,
        What.NO_OWNER,
        "",
        NO_OWNER_ERROR,
        deadline.label,
        deadline.due_on,
        role=deadline.owner_role,
    )
    slot_key = f"no_owner:{deadline.owner_role}"
    tell_business_managers(uow, failure, now=now, deadline_id=deadline.id, slot=slot_key)
    return 1
