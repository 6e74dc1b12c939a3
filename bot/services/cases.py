"""Referring a case, correcting its details, and its card (conversion: ``services.conversion``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.domain.board_config import BoardConfig
from bot.domain.boards import STATUTORY_BY_KIND, BoardKind, ReviewType, Role
from bot.domain.cases import CaseState
from bot.domain.errors import FieldsRefused, InvalidInput, NotFound
from bot.domain.limits import TextField, check_lengths
from bot.domain.protocols import Event
from bot.domain.pseudonym import pseudonym_problem
from bot.services.common import (
    CaseContext,
    audit,
    board_calendar,
    board_config,
    case_context,
    case_ref,
    deadline_view,
    due_summary,
    member_on,
    start_deadlines,
    start_voting_round,
    today_of,
)
from bot.services.views import CaseRef, DeadlineView
from store.models import CaseRow, CaseSubjectRow, DeadlineRow
from store.uow import UnitOfWork

IDENTIFYING = ("name", "date_of_birth", "address", "summary")
"""Fields of ``case_subjects``: audit records that they changed, never their values."""


@dataclass(frozen=True)
class ReferCase:
    """Refer a case to a board (the referral modal). Source: 002_0ceef0fde733de82.txt §1.1."""

    board_id: str
    actor: str
    review_type: ReviewType
    pseudonym: str
    subject_name: str = ""
    date_of_birth: date | None = None
    address: str = ""
    summary: str = ""
    referring_agency: str = ""
    incident_on: date | None = None
    aware_on: date | None = None
    criteria: tuple[str, ...] = ()  # the referral criteria ticked: the modal's option values
    referred_on: date | None = None  # default: today
    idempotency_key: str | None = None  # Slack's view id: a redelivered submission refers once


@dataclass(frozen=True)
class CaseReferred:
    """The new case, its first deadlines, and who to tell.

    ``case_id``: the case's row id; ``referrer``: who referred it; ``replayed``: a redelivered
    submission, which changed nothing (and so owes nothing).
    """

    case: CaseRef
    deadlines: tuple[DeadlineView, ...]
    voting_opened: bool
    business_managers: tuple[str, ...]
    replayed: bool = False
    case_id: int = 0
    referrer: str = ""


def refer_case(cmd: ReferCase, *, uow: UnitOfWork, now: datetime) -> CaseReferred:
    """Log a referral, allocate its reference and start the deadlines that count from it.

    The reference is ``<PREFIX>-<YEAR>-<NNN>``, numbered per board, prefix and year of referral
    (002 §1.1: "allocate a reference number to that referral"); the number comes from a counter
    row updated atomically, so two referrals at the same moment never share one. The referral is
    its change (:mod:`bot.notify` owes its card and messages in the same transaction); a
    replayed submission changes nothing.

    Raises:
        NotAllowed: the person is not a member of the board.
        InvalidInput: a required field is missing or a date is in the future.
    """
    if cmd.idempotency_key and (earlier := uow.cases.by_idempotency_key(cmd.idempotency_key)):
        return _referred(uow, earlier, now, replayed=True)
    board_row = uow.boards.get(cmd.board_id)
    if board_row is None or not board_row.active:
        raise NotFound("I can't find that board.")
    member, roles = member_on(uow, cmd.board_id, cmd.actor)
    board = board_config(board_row)
    today = today_of(now)
    referred_on = cmd.referred_on or today
    _check_referral(cmd, board.kind, today, referred_on)
    case = _new_case(uow, cmd, board, referred_on, now)
    try:
        uow.cases.add(case)
    except IntegrityError:
        uow.rollback()  # the same submission won a race: answer with its case
        earlier = uow.cases.by_idempotency_key(cmd.idempotency_key or "")
        if earlier is None:
            raise
        return _referred(uow, earlier, now, replayed=True)
    details = _add_subject(uow, cmd, case, now)
    ctx = CaseContext(case, board, cmd.actor, member, roles)
    events = _set_referral_dates(uow, cmd, case, referred_on, now)
    created = start_deadlines(uow, ctx, events, now)
    _audit_referral(uow, ctx, cmd, events, details, created, now)
    if board.open_voting_on_referral:
        _open_voting_on_referral(uow, ctx, now)
    referred = _referred(uow, case, now, replayed=False)
    uow.changed(referred)
    uow.commit()
    return referred


def _new_case(
    uow: UnitOfWork, cmd: ReferCase, board: BoardConfig, referred_on: date, now: datetime
) -> CaseRow:
    """Return the referral's case row, numbered next for its prefix and year (not yet added)."""
    prefix = board.prefix(cmd.review_type)
    number = uow.cases.next_number(board.id, prefix, referred_on.year)
    return CaseRow(
        board_id=board.id,
        reference=f"{prefix}-{referred_on.year}-{number:03d}",
        review_type=cmd.review_type,
        state=CaseState.REFERRED,
        pseudonym=cmd.pseudonym.strip(),
        referring_agency=cmd.referring_agency.strip(),
        incident_on=cmd.incident_on,
        criteria=list(dict.fromkeys(c.strip() for c in cmd.criteria if c.strip())),
        referred_by=cmd.actor,
        idempotency_key=cmd.idempotency_key,
        created_at=now,
        updated_at=now,
    )


def _add_subject(uow: UnitOfWork, cmd: ReferCase, case: CaseRow, now: datetime) -> dict[str, Any]:
    """Write the subject's identifying details, kept apart from the case; return them."""
    details = {
        "name": cmd.subject_name.strip(),
        "date_of_birth": cmd.date_of_birth,
        "address": cmd.address.strip(),
        "summary": cmd.summary.strip(),
    }
    uow.cases.add(CaseSubjectRow(case_id=case.id, updated_at=now, **details))
    return details


def _set_referral_dates(
    uow: UnitOfWork, cmd: ReferCase, case: CaseRow, referred_on: date, now: datetime
) -> dict[Event, date]:
    """Record the referral's key dates (referral, notification, awareness if given); return them."""
    events = {Event.REFERRAL: referred_on, Event.NOTIFICATION: referred_on}
    if cmd.aware_on:
        events[Event.AWARE] = cmd.aware_on
    for event, on in events.items():
        uow.cases.set_date(case.id, event, on, now=now, actor=cmd.actor)
    return events


def _audit_referral(
    uow: UnitOfWork,
    ctx: CaseContext,
    cmd: ReferCase,
    events: dict[Event, date],
    details: dict[str, Any],
    created: list[DeadlineRow],
    now: datetime,
) -> None:
    """Audit the referral: which identifying details were given, never their values."""
    case = ctx.case
    audit(
        uow,
        ctx,
        now,
        "case_referred",
        after={
            "reference": case.reference,
            "review_type": case.review_type,
            "state": case.state,
            "pseudonym": case.pseudonym,
            "referring_agency": case.referring_agency,
            "criteria": list(case.criteria),
            "key_dates": {e.value: d.isoformat() for e, d in events.items()},
            "identifying_details_recorded": sorted(k for k, v in details.items() if v),
            "incident_date_recorded": cmd.incident_on is not None,
            "deadlines": due_summary(created),
        },
    )


def _open_voting_on_referral(uow: UnitOfWork, ctx: CaseContext, now: datetime) -> None:
    """Open the first round of voting at once, as the board's standing rule says."""
    start_voting_round(uow, ctx, now, rule="open_voting_on_referral")


def _check_referral(cmd: ReferCase, kind: BoardKind, today: date, referred_on: date) -> None:
    """Refuse a referral field by field (the modal shows each under its field; Source: SPEC.md)."""
    problems: dict[str, str] = {}
    if not cmd.pseudonym.strip():
        problems["pseudonym"] = 'Please give a pseudonym such as "Child A"; channels see only that.'
    check_lengths(
        {
            TextField.PSEUDONYM: cmd.pseudonym,
            TextField.SUBJECT_NAME: cmd.subject_name,
            TextField.ADDRESS: cmd.address,
            TextField.SUMMARY: cmd.summary,
            TextField.REFERRING_AGENCY: cmd.referring_agency,
        }
    )
    problem = pseudonym_problem(
        cmd.pseudonym, name=cmd.subject_name, date_of_birth=cmd.date_of_birth, address=cmd.address
    )
    if problem and "pseudonym" not in problems:
        problems["pseudonym"] = problem
    allowed = STATUTORY_BY_KIND[kind] if cmd.review_type.is_statutory else (cmd.review_type,)
    if cmd.review_type not in allowed:
        problems["review_type"] = f"A {cmd.review_type.label} is not a review this board can hold."
    for field, value, label in (
        ("referred_on", referred_on, "The referral date"),
        ("aware_on", cmd.aware_on, "The date the board became aware"),
        ("incident_on", cmd.incident_on, "The incident date"),
        ("date_of_birth", cmd.date_of_birth, "The date of birth"),
    ):
        if value is not None and value > today:
            problems[field] = f"{label} cannot be in the future."
    if cmd.incident_on and cmd.aware_on and cmd.incident_on > cmd.aware_on:
        problems.setdefault("incident_on", "The incident must come before awareness.")
    if problems:
        raise FieldsRefused(problems)


def _referred(uow: UnitOfWork, case: CaseRow, now: datetime, *, replayed: bool) -> CaseReferred:
    row = uow.boards.get(case.board_id)
    assert row is not None
    board = board_config(row)
    calendar, today = board_calendar(board), today_of(now)
    deadlines = uow.deadlines.of_case(case.id or 0)
    managers = uow.members.with_role(case.board_id, Role.BUSINESS_MANAGER)
    return CaseReferred(
        case=case_ref(case, board),
        deadlines=tuple(deadline_view(d, case, calendar, today) for d in deadlines),
        voting_opened=case.state is CaseState.VOTING,
        business_managers=tuple(m.slack_id for m in managers),
        replayed=replayed,
        case_id=case.id or 0,
        referrer=case.referred_by,
    )


@dataclass(frozen=True)
class SetCaseCard:
    """Remember where the case's one canonical card was posted (channel and message ts)."""

    board_id: str
    reference: str
    channel: str
    ts: str


def set_case_card(cmd: SetCaseCard, *, uow: UnitOfWork, now: datetime) -> CaseRef:
    """Store the card's channel and ts on the case (no audit: it is not part of the record)."""
    case = uow.cases.by_reference(cmd.board_id, cmd.reference, for_update=True)
    board_row = uow.boards.get(cmd.board_id)
    if case is None or board_row is None:
        raise NotFound(f"I can't find case {cmd.reference}.")
    case.card_channel, case.card_ts = cmd.channel, cmd.ts
    uow.commit()
    return case_ref(case, board_config(board_row))


@dataclass(frozen=True)
class UpdateCaseDetails:
    """Correct a case's details (business manager). ``None`` leaves a field unchanged."""

    case_ref: str
    actor: str
    pseudonym: str | None = None
    referring_agency: str | None = None
    incident_on: date | None = None
    subject_name: str | None = None
    date_of_birth: date | None = None
    address: str | None = None
    summary: str | None = None
    board_id: str | None = None


@dataclass(frozen=True)
class CaseDetailsUpdated:
    """The case after the change, and the names of the fields that changed."""

    case: CaseRef
    changed: tuple[str, ...]


def update_case_details(
    cmd: UpdateCaseDetails, *, uow: UnitOfWork, now: datetime
) -> CaseDetailsUpdated:
    """Change a case's details; the audit names identifying fields changed, never their values."""
    ctx = case_context(uow, cmd.case_ref, cmd.actor, cmd.board_id, for_update=True)
    ctx.require({Role.BUSINESS_MANAGER}, "edit the case's details")
    check_lengths(
        {
            TextField.PSEUDONYM: cmd.pseudonym,
            TextField.SUBJECT_NAME: cmd.subject_name,
            TextField.ADDRESS: cmd.address,
            TextField.SUMMARY: cmd.summary,
            TextField.REFERRING_AGENCY: cmd.referring_agency,
        }
    )
    case = ctx.case
    subject = uow.cases.subject(case.id) or CaseSubjectRow(case_id=case.id, updated_at=now)
    before, after, hidden = {}, {}, []
    for field, value in (("pseudonym", cmd.pseudonym), ("referring_agency", cmd.referring_agency)):
        if value is not None and value.strip() != getattr(case, field):
            before[field], after[field] = getattr(case, field), value.strip()
            setattr(case, field, value.strip())
    if not case.pseudonym:
        raise InvalidInput("The pseudonym cannot be empty.")
    if cmd.incident_on is not None and cmd.incident_on != case.incident_on:
        case.incident_on = cmd.incident_on
        hidden.append("incident_on")
    values = (cmd.subject_name, cmd.date_of_birth, cmd.address, cmd.summary)
    for field, value in zip(IDENTIFYING, values, strict=True):
        value = value.strip() if isinstance(value, str) else value
        if value is not None and value != getattr(subject, field):
            setattr(subject, field, value)
            hidden.append(field)
    problem = pseudonym_problem(
        case.pseudonym,
        name=subject.name,
        date_of_birth=subject.date_of_birth,
        address=subject.address,
    )
    if problem:  # the new pseudonym, or the new details, would let channels identify the subject
        raise InvalidInput(problem)
    changed = tuple(sorted([*after, *hidden]))
    if changed:
        subject.updated_at = case.updated_at = now
        uow.cases.add(subject)
        after["identifying_details_changed"] = sorted(hidden)
        audit(uow, ctx, now, "case_details_changed", before=before, after=after)
    updated = CaseDetailsUpdated(case_ref(case, ctx.board), changed)
    if changed:
        uow.changed(updated)
    uow.commit()
    return updated
