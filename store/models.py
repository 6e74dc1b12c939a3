"""The tables: persistence only, no behaviour. Every datetime is aware; enums are domain StrEnums.

Boards and members come from the board file (``casedesk board sync``); members are deactivated,
never deleted. Identifying details of a case's subject live in ``case_subjects`` alone. The audit
log (``audit_events``) is insert-only: triggers refuse UPDATE and DELETE on both databases.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.domain.boards import BoardKind, ReviewType, Role
from bot.domain.calendar import Nation
from bot.domain.cases import CaseState
from bot.domain.deadlines import DeadlineStatus
from bot.domain.decisions import DecisionOutcome, Methodology
from bot.domain.protocols import Event
from bot.domain.votes import Recommendation, VoteVisibility
from store.audit_tables import AuditEventRow, AuditHeadRow
from store.columns import enum_column as _enum
from store.columns import fk as _fk
from store.columns import metadata
from store.columns import when as _when
from store.types import StrEnumType

__all__ = ["AuditEventRow", "AuditHeadRow", "metadata"]


class BoardRow(SQLModel, table=True):
    """A safeguarding board, as its board file last described it."""

    __tablename__ = "boards"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    kind: BoardKind = _enum(BoardKind)
    nation: Nation = _enum(Nation)
    protocol: str = Field(max_length=500)
    channel_id: str = Field(max_length=32, index=True)
    closure_days: list[str] = Field(default_factory=list, sa_type=JSON)
    digest_time: str = Field(default="09:00", max_length=5)
    sending_start: str = Field(default="08:00", max_length=5)
    sending_end: str = Field(default="18:00", max_length=5)
    vote_visibility: VoteVisibility = _enum(VoteVisibility)
    quorum: str = Field(default="majority", max_length=16)
    open_voting_on_referral: bool = False
    # A "no review" decision closes the case (True) or leaves it decided for the business
    # manager to close (False).
    close_on_no_review: bool = Field(default=True, sa_column_kwargs={"server_default": "1"})
    reference_prefixes: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    rule_events: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    step_rules: dict[str, list[str]] = Field(default_factory=dict, sa_type=JSON)
    active: bool = True
    synced_at: datetime = _when()


class MemberRow(SQLModel, table=True):
    """A person on one board (roles are per board); deactivated when they leave, never deleted."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("board_id", "slack_id", name="uq_members_board_slack"),)

    id: int | None = Field(default=None, primary_key=True)
    board_id: str = _fk("boards.id")
    slack_id: str = Field(max_length=32, index=True)
    name: str = Field(max_length=200)
    agency: str = Field(default="", max_length=200)
    active: bool = True
    joined_at: datetime = _when()
    left_at: datetime | None = _when(nullable=True)


class MemberRoleRow(SQLModel, table=True):
    """One role a member holds on their board."""

    __tablename__ = "member_roles"

    member_id: int = Field(foreign_key="members.id", primary_key=True)
    role: Role = Field(sa_type=StrEnumType(Role), primary_key=True)


class ReferenceCounterRow(SQLModel, table=True):
    """The last reference number given per board, prefix and year (002 §1.1)."""

    __tablename__ = "reference_counters"

    board_id: str = Field(foreign_key="boards.id", primary_key=True, max_length=64)
    prefix: str = Field(primary_key=True, max_length=16)
    year: int = Field(primary_key=True)
    last: int = 0


class CaseRow(SQLModel, table=True):
    """A referred case. Named in channels only by ``reference`` and ``pseudonym``."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("board_id", "reference", name="uq_cases_board_reference"),
        Index("ix_cases_board_state", "board_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    board_id: str = _fk("boards.id")
    reference: str = Field(max_length=40, index=True)
    review_type: ReviewType = _enum(ReviewType)
    state: CaseState = _enum(CaseState)
    pseudonym: str = Field(max_length=100)
    referring_agency: str = Field(default="", max_length=200)
    incident_on: date | None = None
    criteria: list[str] = Field(  # the referral criteria ticked (option values; not identifying)
        default_factory=list, sa_type=JSON, sa_column_kwargs={"server_default": "[]"}
    )
    referred_by: str = Field(max_length=32)
    voting_round: int = 0
    # The member who answers for the case's rules owned by the role ``member`` (set by the
    # business manager; until then, the business managers do).
    lead_member: str | None = Field(default=None, max_length=32)
    closed_reason: str | None = Field(default=None, sa_type=Text)  # why it closed, once closed
    card_channel: str | None = Field(default=None, max_length=32)
    card_ts: str | None = Field(default=None, max_length=32)
    idempotency_key: str | None = Field(default=None, max_length=255, unique=True)
    created_at: datetime = _when()
    updated_at: datetime = _when()


class CaseSubjectRow(SQLModel, table=True):
    """Identifying details of a case's subject: shown only in views to board members."""

    __tablename__ = "case_subjects"

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    name: str = Field(default="", max_length=200)
    date_of_birth: date | None = None
    address: str = Field(default="", sa_type=Text)
    summary: str = Field(default="", sa_type=Text)
    updated_at: datetime = _when()


class CaseDateRow(SQLModel, table=True):
    """A key date of a case: the day an event happened that deadlines count from."""

    __tablename__ = "case_dates"

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    event: Event = Field(sa_type=StrEnumType(Event), primary_key=True)
    occurred_on: date
    recorded_at: datetime = _when()
    recorded_by: str = Field(max_length=32)
    note: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})


class FormerReferenceRow(SQLModel, table=True):
    """A reference a case had before its review type converted: it still finds the case."""

    __tablename__ = "former_references"
    __table_args__ = (
        UniqueConstraint("board_id", "reference", name="uq_former_references_board_reference"),
    )

    id: int | None = Field(default=None, primary_key=True)
    board_id: str = _fk("boards.id")
    reference: str = Field(max_length=40)
    case_id: int = _fk("cases.id", index=True)
    replaced_at: datetime = _when()


class ReviewConversionRow(SQLModel, table=True):
    """A change of a case's review type (rapid review -> LCSPR, for example)."""

    __tablename__ = "review_conversions"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = _fk("cases.id", index=True)
    from_type: ReviewType = _enum(ReviewType)
    to_type: ReviewType = _enum(ReviewType)
    reason: str = Field(sa_type=Text)
    converted_at: datetime = _when()
    converted_by: str = Field(max_length=32)


class InformationRequestRow(SQLModel, table=True):
    """A request to an agency for its chronology and summary. Source: 002 §1.1, 003 §4.3."""

    __tablename__ = "information_requests"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = _fk("cases.id", index=True)
    agency: str = Field(max_length=200)
    requested_on: date
    due_on: date
    requested_at: datetime = _when()
    requested_by: str = Field(max_length=32)
    returned_at: datetime | None = _when(nullable=True)
    returned_by: str | None = Field(default=None, max_length=32)
    note: str = Field(default="", sa_type=Text)


class BallotRow(SQLModel, table=True):
    """One version of a member's vote; the highest version per round is the current one."""

    __tablename__ = "ballots"
    __table_args__ = (
        UniqueConstraint(
            "case_id", "member_id", "round", "version", name="uq_ballots_member_version"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = _fk("cases.id")
    member_id: int = _fk("members.id")
    round: int
    version: int
    recommendation: Recommendation = _enum(Recommendation)
    alternative_type: ReviewType | None = _enum(ReviewType, nullable=True)
    rationale: str = Field(sa_type=Text)
    cast_at: datetime = _when()
    idempotency_key: str | None = Field(default=None, max_length=255, unique=True)


class ConflictRow(SQLModel, table=True):
    """A member's declared conflict of interest on a case. Source: 002 §2.1, 001 §5."""

    __tablename__ = "conflicts"
    __table_args__ = (UniqueConstraint("case_id", "member_id", name="uq_conflicts_case_member"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = _fk("cases.id")
    member_id: int = _fk("members.id")
    reason: str = Field(sa_type=Text)
    declared_at: datetime = _when()


class DecisionRow(SQLModel, table=True):
    """The decision-maker's decision and its revisions: the highest ``revision`` stands.

    A revised decision (after peer challenge or the National Panel's view, 003 §4.6) is a new
    row; the earlier one stays, marked ``superseded_at``. Source: 002 §1.2.
    """

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("case_id", "revision", name="uq_decisions_case_revision"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    revision: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    superseded_at: datetime | None = _when(nullable=True)
    outcome: DecisionOutcome = _enum(DecisionOutcome)
    review_type: ReviewType | None = _enum(ReviewType, nullable=True)
    methodology: Methodology | None = _enum(Methodology, nullable=True)
    reasons: str = Field(sa_type=Text)
    decided_on: date
    recorded_at: datetime = _when()
    decided_by: str = Field(max_length=32)
    idempotency_key: str | None = Field(default=None, max_length=255, unique=True)


class DeadlineRow(SQLModel, table=True):
    """A deadline computed from a protocol rule for one case."""

    __tablename__ = "deadlines"
    __table_args__ = (Index("ix_deadlines_status_due", "status", "due_on"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = _fk("cases.id", index=True)
    rule_id: str = Field(max_length=100)
    label: str = Field(max_length=300)
    event: Event = _enum(Event)
    event_date: date
    due_on: date
    original_due_on: date
    owner_role: Role = _enum(Role)
    reminders: list[int] = Field(default_factory=list, sa_type=JSON)
    status: DeadlineStatus = _enum(DeadlineStatus)
    reason: str | None = Field(default=None, sa_type=Text)
    source: str = Field(sa_type=Text)
    paused_on: date | None = None
    occurrence: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # recurring: nth
    information_request_id: int | None = _fk("information_requests.id", nullable=True)
    completed_at: datetime | None = _when(nullable=True)
    completed_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = _when()
    updated_at: datetime = _when()


class OutboxRow(SQLModel, table=True):
    """One Slack message owed: the only road by which casedesk sends anything but an answer.

    Written in the transaction of what owes it (a step's change, a reminder slot, a day's digest,
    a failure to tell the business managers of), sent after commit by the one sender and retried
    with backoff until Slack takes it or refuses it for good.

    Exactly once is kept by typed unique keys, one group per source, the others null (a null
    never collides): a step's change (``change_id``, the audit event it wrote; ``template``;
    ``recipient``), a reminder slot (``deadline_id``, ``slot``, ``recipient``), a day's digest
    (``board_id``, ``digest_on``) and a notice about a failed row (``about_id``, ``recipient``).
    ``payload`` is the rendered message (JSON of ``text`` and ``blocks``) for the kinds rendered
    when owed; the kinds drawn when sent (a card, a home, a reminder, a digest) have none. It is
    cleared once sent or failed for good, so names and rationales are not kept twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("change_id", "template", "recipient", name="uq_outbox_change"),
        UniqueConstraint("deadline_id", "slot", "recipient", name="uq_outbox_slot"),
        UniqueConstraint("board_id", "digest_on", name="uq_outbox_digest"),
        UniqueConstraint("about_id", "recipient", name="uq_outbox_about"),
        Index("ix_outbox_pending", "sent_at", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    board_id: str | None = _fk("boards.id", nullable=True)  # None: a home, of no one board
    case_id: int | None = _fk("cases.id", nullable=True, index=True)
    kind: str = Field(max_length=40)  # how it is sent (bot.notify.kinds.Kind)
    template: str = Field(max_length=40)  # which message: its template's name
    recipient: str = Field(max_length=32)  # a Slack user or channel ID ("": nobody to send to)
    payload: str | None = Field(default=None, sa_type=Text)
    change_id: int | None = _fk("audit_events.id", nullable=True)
    deadline_id: int | None = _fk("deadlines.id", nullable=True)
    slot: str | None = Field(default=None, max_length=64)  # a reminder slot (ReminderDue.key)
    lead: int | None = None  # a reminder's working days before due; negative: overdue
    slot_due: date | None = None  # the due date a reminder's slot was computed from
    digest_on: date | None = None
    about_id: int | None = _fk("outbox.id", nullable=True)
    created_at: datetime = _when()
    claimed_by: str = Field(default="", max_length=100)
    attempts: int = 0
    next_attempt_at: datetime | None = _when(nullable=True)
    last_error: str | None = Field(default=None, sa_type=Text)
    sent_at: datetime | None = _when(nullable=True)
    channel: str | None = Field(default=None, max_length=32)  # where Slack put it, once sent
    ts: str | None = Field(default=None, max_length=32)
    # Whether Slack may have taken it though no success came back (a send under way when its
    # sender died, a connection dropped after the request): looked up before it is sent again.
    uncertain: bool = False
