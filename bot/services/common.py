"""What every use case does the same way: find the case, check the person, audit, make deadlines.

Commands name a case by its reference (and the board when the handler knows it); the person by
their Slack user id. :data:`SYSTEM` is the bot itself acting on a board's standing rules (voting
opened on referral, closed at its deadline); only jobs use it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

from bot.clock import LONDON
from bot.domain.board_config import DEFAULT_PREFIXES, BoardConfig
from bot.domain.boards import ReviewType, Role
from bot.domain.calendar import Nation, WorkingCalendar
from bot.domain.cases import CaseState, Trigger, next_state
from bot.domain.deadlines import DeadlineStatus, working_days_left
from bot.domain.errors import InvalidInput, NotAllowed, NotFound
from bot.domain.protocols import Event
from bot.domain.votes import Quorum
from bot.services.views import CaseRef, DeadlineView, InformationRequestView
from store.models import BoardRow, CaseRow, DeadlineRow, InformationRequestRow, MemberRow
from store.repositories import CaseReach
from store.uow import UnitOfWork

SYSTEM = "casedesk"
"""The actor for steps the bot takes on a board's standing rules (never a Slack user id)."""

ROLE_NAMES = {
    Role.BUSINESS_MANAGER: "business manager",
    Role.CHAIR: "sub-group chair",
    Role.MEMBER: "sub-group members",
    Role.DECISION_MAKER: "decision-maker",
    Role.ADMIN: "board admin",
}


def today_of(now: datetime) -> date:
    """Return the date in London at ``now`` (boards work on London dates)."""
    return now.astimezone(LONDON).date()


@lru_cache(maxsize=256)
def calendar_for(nation: Nation, closures: tuple[date, ...]) -> WorkingCalendar:
    """Return a (shared) working calendar for a nation and a board's closure days."""
    return WorkingCalendar(nation, closures)


def board_config(row: BoardRow) -> BoardConfig:
    """Return the board's settings as a domain value."""
    prefixes = dict(DEFAULT_PREFIXES)
    prefixes.update({ReviewType(k): v for k, v in row.reference_prefixes.items()})
    return BoardConfig(
        id=row.id,
        name=row.name,
        kind=row.kind,
        nation=row.nation,
        protocol=row.protocol,
        channel=row.channel_id,
        closure_days=tuple(date.fromisoformat(d) for d in row.closure_days),
        digest_time=time.fromisoformat(row.digest_time),
        sending_hours=(time.fromisoformat(row.sending_start), time.fromisoformat(row.sending_end)),
        vote_visibility=row.vote_visibility,
        quorum=Quorum.parse(row.quorum),
        open_voting_on_referral=row.open_voting_on_referral,
        reference_prefixes=prefixes,
        rule_events=dict(row.rule_events),
        step_rules={Trigger(k): tuple(v) for k, v in row.step_rules.items()},
    )


def board_calendar(board: BoardConfig) -> WorkingCalendar:
    """Return the board's working calendar (cached)."""
    return calendar_for(board.nation, tuple(board.closure_days))


@dataclass
class CaseContext:
    """A case loaded for a use case, with its board and the person acting."""

    case: CaseRow
    board: BoardConfig
    actor: str
    member: MemberRow | None  # None when the bot acts (SYSTEM)
    roles: frozenset[Role]

    @property
    def actor_name(self) -> str:
        """Return the acting person's name as the board file gives it."""
        return self.member.name if self.member else "casedesk"

    def require(self, roles: Collection[Role], doing: str) -> None:
        """Check that the person holds one of ``roles`` (the bot always may).

        Raises:
            NotAllowed: naming who may, politely.
        """
        if self.member is None or self.roles & set(roles):
            return
        names = " or the ".join(ROLE_NAMES[r] for r in sorted(roles, key=list(Role).index))
        raise NotAllowed(f"Only the {names} can {doing} on {self.case.reference}.")


def member_on(uow: UnitOfWork, board_id: str, actor: str) -> tuple[MemberRow, frozenset[Role]]:
    """Return the person's active membership of a board and their roles.

    Raises:
        NotAllowed: they are not (or no longer) a member of the board.
    """
    member = uow.members.find(board_id, actor)
    if member is None or not member.active:
        raise NotAllowed("Only members of this board can do that.")
    return member, uow.members.roles(member.id)


def case_context(
    uow: UnitOfWork,
    reference: str,
    actor: str,
    board_id: str | None = None,
    *,
    for_update: bool = False,
) -> CaseContext:
    """Load a case by reference for ``actor``, locking it when ``for_update``.

    A person finds only the cases of boards they belong to; any other case is "not found", so
    that a reference gives nothing away.

    Raises:
        NotFound: no such case on the person's boards (or on ``board_id``).
        InvalidInput: the reference is on two of their boards and ``board_id`` was not given.
    """
    reference = reference.strip().upper()
    if actor == SYSTEM:
        if board_id is None:
            raise InvalidInput("The bot must name the board of the case it acts on.")
        cases = uow.cases.with_reference(reference, [board_id])
        board = uow.boards.get(board_id) if cases else None
        found = [CaseReach(c, None, board, frozenset()) for c in cases if board is not None]
    else:
        found = [
            access
            for access in uow.cases.with_reference_for(reference, actor)
            if board_id is None or access.case.board_id == board_id
        ]
    if not found:
        raise NotFound(f"I can't find case {reference} on any board you belong to.")
    if len(found) > 1:
        raise InvalidInput(
            f"{reference} is a case on more than one of your boards; open it from its card."
        )
    case, member, board_row, roles = found[0]
    if for_update:
        case = uow.cases.get(case.id, for_update=True) or case
    return CaseContext(case, board_config(board_row), actor, member, roles)


def deadline_context(
    uow: UnitOfWork, deadline_id: int, actor: str
) -> tuple[CaseContext, DeadlineRow]:
    """Load a deadline (locked) and its case for ``actor``.

    Raises:
        NotFound: no such deadline on the person's boards.
    """
    deadline = uow.deadlines.get(deadline_id, for_update=True)
    case = uow.cases.get(deadline.case_id) if deadline else None
    if deadline is None or case is None:
        raise NotFound("I can't find that deadline.")
    ctx = case_context(uow, case.reference, actor, case.board_id, for_update=True)
    return ctx, deadline


def move(ctx: CaseContext, trigger: Trigger, now: datetime) -> tuple[CaseState, CaseState]:
    """Apply ``trigger`` to the case (checked by the transitions table); return before, after."""
    before = ctx.case.state
    after = next_state(before, trigger)
    ctx.case.state = after
    ctx.case.updated_at = now
    return before, after


def start_voting_round(uow: UnitOfWork, ctx: CaseContext, now: datetime, **why: Any) -> None:
    """Open the case's next voting round and audit it (``why``: extra audit fields, e.g. a rule).

    Source: 002_0ceef0fde733de82.txt §1.2; PRODUCT.md §Voting.
    """
    before, after = move(ctx, Trigger.OPEN_VOTING, now)
    ctx.case.voting_round += 1
    audit(
        uow,
        ctx,
        now,
        "voting_opened",
        before={"state": before},
        after={"state": after, "round": ctx.case.voting_round, **why},
    )


def audit(
    uow: UnitOfWork,
    ctx: CaseContext,
    now: datetime,
    action: str,
    *,
    entity: str = "case",
    entity_id: Any = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Append the audit event of a use case, in its transaction. No identifying details here."""
    uow.audit.append(
        at=now,
        actor=ctx.actor,
        actor_name=ctx.actor_name,
        action=action,
        entity=entity,
        entity_id=ctx.case.id if entity_id is None else entity_id,
        board_id=ctx.board.id,
        case_id=ctx.case.id,
        case_reference=ctx.case.reference,
        before=before,
        after=after,
    )


def start_deadlines(
    uow: UnitOfWork,
    ctx: CaseContext,
    events: Mapping[Event, date],
    now: datetime,
) -> list[DeadlineRow]:
    """Create the deadlines the board's protocol starts from ``events`` (those not yet made)."""
    protocol = ctx.board.load_protocol()
    dues = protocol.deadlines(
        events, board_calendar(ctx.board), ctx.case.review_type, only=events.keys()
    )
    existing = {
        (d.rule_id, d.event_date)
        for d in uow.deadlines.of_case(ctx.case.id)
        if d.status is not DeadlineStatus.CANCELLED
    }
    created = []
    for due in dues:
        if (due.rule.id, due.event_date) in existing:
            continue
        row = new_deadline(
            ctx.case.id,
            due.rule.id,
            due.rule.label,
            due.rule.event,
            due.event_date,
            due.due,
            due.rule.owner,
            due.rule.reminders,
            due.rule.source,
            now,
        )
        uow.deadlines.add(row)
        created.append(row)
    return created


def new_deadline(
    case_id: int,
    rule_id: str,
    label: str,
    event: Event,
    event_date: date,
    due: date,
    owner: Role,
    reminders: Iterable[int],
    source: str,
    now: datetime,
    information_request_id: int | None = None,
) -> DeadlineRow:
    """Return a new open deadline row."""
    return DeadlineRow(
        case_id=case_id,
        rule_id=rule_id,
        label=label,
        event=event,
        event_date=event_date,
        due_on=due,
        original_due_on=due,
        owner_role=owner,
        reminders=list(reminders),
        status=DeadlineStatus.OPEN,
        source=source,
        information_request_id=information_request_id,
        created_at=now,
        updated_at=now,
    )


def complete_step(
    uow: UnitOfWork, ctx: CaseContext, trigger: Trigger, now: datetime
) -> list[DeadlineRow]:
    """Mark done the running deadlines the board says ``trigger`` meets (``step_rules``)."""
    rule_ids = set(ctx.board.step_rules.get(trigger, ()))
    done = []
    for row in uow.deadlines.of_case(ctx.case.id):
        if row.rule_id in rule_ids and not row.status.is_settled:
            row.status, row.completed_at, row.completed_by = DeadlineStatus.DONE, now, ctx.actor
            row.updated_at = now
            done.append(row)
    return done


def digest(text: str) -> str:
    """Return the SHA-256 of free text, for audit payloads (free text may name the subject)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def due_summary(rows: Iterable[DeadlineRow]) -> list[dict[str, str]]:
    """Return deadlines as audit values: rule and due date."""
    return [{"rule": r.rule_id, "due": r.due_on.isoformat()} for r in rows]


def case_ref(case: CaseRow, board: BoardConfig) -> CaseRef:
    """Return the case as a channel may name it."""
    return CaseRef(
        board_id=case.board_id,
        board_channel=board.channel,
        reference=case.reference,
        pseudonym=case.pseudonym,
        review_type=case.review_type,
        state=case.state,
        card_channel=case.card_channel,
        card_ts=case.card_ts,
        case_id=case.id,
    )


def request_view(row: InformationRequestRow) -> InformationRequestView:
    """Return an information request as a view model."""
    return InformationRequestView(
        row.id or 0, row.agency, row.requested_on, row.due_on, row.returned_at
    )


def deadline_view(
    row: DeadlineRow, case: CaseRow, calendar: WorkingCalendar, today: date
) -> DeadlineView:
    """Return a deadline with its working days left on ``today``."""
    left = working_days_left(row.due_on, today, calendar)
    return DeadlineView(
        id=row.id or 0,
        reference=case.reference,
        pseudonym=case.pseudonym,
        rule_id=row.rule_id,
        label=row.label,
        event=row.event,
        event_date=row.event_date,
        due_on=row.due_on,
        original_due_on=row.original_due_on,
        owner_role=row.owner_role,
        status=row.status,
        reason=row.reason,
        source=row.source,
        reminders=tuple(row.reminders),
        working_days_left=left,
        overdue=row.status.is_running and row.due_on < today,
    )
