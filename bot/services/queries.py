"""Read-only queries for the Slack surfaces: status, lists, App Home, the recommendation.

Every query takes the person's Slack user id and sees only the boards they belong to; a case on
another board is "not found". Nothing here commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.domain.boards import ReviewType, Role
from bot.domain.cases import CaseState
from bot.domain.deadlines import DeadlineStatus
from bot.domain.errors import NotAllowed
from bot.domain.protocols import Event
from bot.services.common import (
    board_calendar,
    board_config,
    case_context,
    case_ref,
    deadline_view,
    request_view,
)
from bot.services.decisions import decision_view
from bot.services.tally import recommendation_view
from bot.services.views import (
    BoardView,
    CaseRef,
    DeadlineView,
    DecisionView,
    InformationRequestView,
    RecommendationView,
    SubjectDetails,
    VoteCounts,
)
from store.models import CaseRow
from store.uow import UnitOfWork

UNSETTLED = (DeadlineStatus.OPEN, DeadlineStatus.EXTENDED, DeadlineStatus.PAUSED)


class CaseFilter(StrEnum):
    """Which cases ``/review list`` shows."""

    OPEN = "open"
    OVERDUE = "overdue"
    MINE = "mine"
    ALL = "all"


@dataclass(frozen=True)
class Conversion:
    """A change of review type, as the record shows it."""

    from_type: ReviewType
    to_type: ReviewType
    on: date


@dataclass(frozen=True)
class CaseStatus:
    """Everything ``/review status REF`` shows (no identifying details)."""

    case: CaseRef
    board_name: str
    roles: frozenset[Role]  # the asking person's roles on the case's board
    key_dates: dict[Event, date]
    deadlines: tuple[DeadlineView, ...]  # open, extended and paused, soonest first
    votes: VoteCounts | None  # None until voting first opens
    my_vote: str | None  # the asking person's current recommendation, if any
    conflicted: bool
    decision: DecisionView | None
    conversions: tuple[Conversion, ...]
    information_requests: tuple[InformationRequestView, ...]

    @property
    def counts_visible(self) -> bool:
        """Return whether the asking person may see the vote counts per option now."""
        return self.votes is not None and self.votes.visible_to(self.roles)


@dataclass(frozen=True)
class CaseAccess:
    """A case, the asking person's roles on its board and whether they declared a conflict."""

    case: CaseRef
    roles: frozenset[Role]
    conflicted: bool


@dataclass(frozen=True)
class CaseLine:
    """A case in a list: its next deadline and how many are overdue."""

    case: CaseRef
    next_deadline: DeadlineView | None
    overdue: int


@dataclass(frozen=True)
class Dashboard:
    """The App Home: what the person owes first, then their boards' open cases."""

    pending_votes: tuple[CaseLine, ...]
    deadlines_owned: tuple[DeadlineView, ...]
    open_cases: tuple[CaseLine, ...]


def member_boards(actor: str, *, uow: UnitOfWork) -> tuple[BoardView, ...]:
    """Return the active boards the person belongs to, with their roles on each."""
    members = uow.members.of_person(actor)
    roles = uow.members.roles_of(m.id for m in members)
    out = []
    for m in members:
        row = uow.boards.get(m.board_id)
        if row is not None and row.active:
            out.append(
                BoardView(
                    row.id, row.name, row.kind, row.channel_id, row.vote_visibility, roles[m.id]
                )
            )
    return tuple(out)


def board_member_ids(board_id: str, *, uow: UnitOfWork) -> tuple[str, ...]:
    """Return the Slack ids of the board's active members (each once, ordered by name).

    For steps that change what every member's App Home shows (a case's state, its deadlines).
    """
    return tuple(dict.fromkeys(m.slack_id for m in uow.members.of_board(board_id)))


def case_by_ref(
    reference: str, actor: str, *, uow: UnitOfWork, board_id: str | None = None
) -> CaseRef:
    """Return a case of the person's boards by reference (NotFound otherwise)."""
    ctx = case_context(uow, reference, actor, board_id)
    return case_ref(ctx.case, ctx.board)


def case_access(
    reference: str, actor: str, *, uow: UnitOfWork, board_id: str | None = None
) -> CaseAccess:
    """Return a case of the person's boards with their roles and conflict (NotFound otherwise).

    What a button checks before it opens a modal: a few reads, not the whole status.
    """
    ctx = case_context(uow, reference, actor, board_id)
    conflicted = (
        ctx.member is not None and uow.conflicts.find(ctx.case.id, ctx.member.id) is not None
    )
    return CaseAccess(case_ref(ctx.case, ctx.board), ctx.roles, conflicted)


def case_status(
    reference: str, actor: str, *, uow: UnitOfWork, today: date, board_id: str | None = None
) -> CaseStatus:
    """Return a case's state, key dates, open deadlines, vote counts and decision."""
    ctx = case_context(uow, reference, actor, board_id)
    case, calendar = ctx.case, board_calendar(ctx.board)
    deadlines = uow.deadlines.of_case(case.id, UNSETTLED)
    votes = my_vote = None
    if case.voting_round:
        view = recommendation_view(uow, ctx)
        votes = view.counts
        mine = [b for b in view.ballots if b.slack_id == actor]
        my_vote = mine[0].recommendation.value if mine else None
    conflicted = ctx.member is not None and uow.conflicts.find(case.id, ctx.member.id) is not None
    decision = uow.decisions.of_case(case.id)
    return CaseStatus(
        case=case_ref(case, ctx.board),
        board_name=ctx.board.name,
        roles=ctx.roles,
        key_dates=uow.cases.dates(case.id),
        deadlines=tuple(deadline_view(d, case, calendar, today) for d in deadlines),
        votes=votes,
        my_vote=my_vote,
        conflicted=conflicted,
        decision=decision_view(decision) if decision else None,
        conversions=tuple(
            Conversion(c.from_type, c.to_type, c.converted_at.date())
            for c in uow.cases.conversions(case.id)
        ),
        information_requests=tuple(request_view(r) for r in uow.requests.of_case(case.id)),
    )


def list_cases(
    actor: str,
    *,
    uow: UnitOfWork,
    today: date,
    which: CaseFilter = CaseFilter.OPEN,
    board_id: str | None = None,
) -> tuple[CaseLine, ...]:
    """Return the person's boards' cases for ``/review list``, overdue first."""
    lines = _lines(uow, actor, today, board_id, include_closed=which is CaseFilter.ALL)
    if which is CaseFilter.OVERDUE:
        lines = [line for line in lines if line.overdue]
    elif which is CaseFilter.MINE:
        mine = _mine(uow, actor, today)
        lines = [line for line in lines if (line.case.board_id, line.case.reference) in mine]
    return tuple(lines)


def dashboard(actor: str, *, uow: UnitOfWork, today: date) -> Dashboard:
    """Return the person's pending votes, the deadlines they own and their open cases."""
    lines = _lines(uow, actor, today, None, include_closed=False)
    pending = _pending_votes(uow, actor)
    owned = [d for _, d in _owned_deadlines(uow, actor, today)]
    return Dashboard(
        pending_votes=tuple(
            line for line in lines if (line.case.board_id, line.case.reference) in pending
        ),
        deadlines_owned=tuple(sorted(owned, key=lambda d: (not d.overdue, d.due_on, d.id))),
        open_cases=tuple(lines),
    )


def recommendation(
    reference: str, actor: str, *, uow: UnitOfWork, board_id: str | None = None
) -> RecommendationView:
    """Return the votes by name with rationales: for the chair and the decision-maker only.

    Source: PRODUCT.md §Voting ("names and rationales go to the chair and decision-maker
    privately"); 002_0ceef0fde733de82.txt §1.2.
    """
    ctx = case_context(uow, reference, actor, board_id)
    if not ctx.roles & {Role.CHAIR, Role.DECISION_MAKER}:
        raise NotAllowed("Only the sub-group chair and the decision-maker see votes by name.")
    return recommendation_view(uow, ctx)


def subject_details(
    reference: str, actor: str, *, uow: UnitOfWork, board_id: str | None = None
) -> SubjectDetails:
    """Return the subject's identifying details, for a view shown only to a board member."""
    ctx = case_context(uow, reference, actor, board_id)
    subject = uow.cases.subject(ctx.case.id)
    return SubjectDetails(
        ctx.case.reference,
        ctx.case.pseudonym,
        subject.name if subject else "",
        subject.date_of_birth if subject else None,
        subject.address if subject else "",
        subject.summary if subject else "",
    )


# -- helpers -----------------------------------------------------------------------------------


def _lines(
    uow: UnitOfWork, actor: str, today: date, board_id: str | None, *, include_closed: bool
) -> list[CaseLine]:
    boards = {m.board_id for m in uow.members.of_person(actor)}
    if board_id is not None:
        boards &= {board_id}
    states = None if include_closed else [s for s in CaseState if s.is_open]
    cases = uow.cases.of_boards(boards, states)
    configs = {b: board_config(row) for b in boards if (row := uow.boards.get(b))}
    by_case: dict[int, list] = defaultdict(list)
    for d in uow.deadlines.of_cases([c.id for c in cases], UNSETTLED):
        by_case[d.case_id].append(d)
    lines = []
    for case in cases:
        board = configs[case.board_id]
        calendar = board_calendar(board)
        views = [deadline_view(d, case, calendar, today) for d in by_case[case.id]]
        running = [v for v in views if v.status.is_running]
        lines.append(
            CaseLine(
                case_ref(case, board),
                running[0] if running else None,
                sum(v.overdue for v in views),
            )
        )
    far = date.max
    return sorted(
        lines,
        key=lambda ln: (
            not ln.overdue,
            ln.next_deadline.due_on if ln.next_deadline else far,
            ln.case.reference,
        ),
    )


def _pending_votes(uow: UnitOfWork, actor: str) -> set[tuple[str, str]]:
    out = set()
    members = uow.members.of_person(actor)
    roles = uow.members.roles_of(m.id for m in members)
    for m in members:
        if roles[m.id] & {Role.MEMBER, Role.CHAIR}:
            out |= {(c.board_id, c.reference) for c in uow.ballots.pending_cases(m.id, m.board_id)}
    return out


def _owned_deadlines(uow: UnitOfWork, actor: str, today: date) -> list[tuple[str, DeadlineView]]:
    """Return (board id, deadline) for the deadlines whose owner role the person holds."""
    out = []
    members = uow.members.of_person(actor)
    roles = uow.members.roles_of(m.id for m in members)
    for m in members:
        row = uow.boards.get(m.board_id)
        if row is None:
            continue
        calendar = board_calendar(board_config(row))
        cases: dict[int, CaseRow] = {c.id: c for c in uow.cases.of_boards([m.board_id])}
        for d in uow.deadlines.of_cases(list(cases), UNSETTLED):
            if d.owner_role in roles[m.id]:
                out.append((m.board_id, deadline_view(d, cases[d.case_id], calendar, today)))
    return out


def _mine(uow: UnitOfWork, actor: str, today: date) -> set[tuple[str, str]]:
    """Return (board id, reference) of the cases where the person owes something or referred."""
    owned = {(board, d.reference) for board, d in _owned_deadlines(uow, actor, today)}
    boards = {m.board_id for m in uow.members.of_person(actor)}
    referred = {
        (c.board_id, c.reference) for c in uow.cases.of_boards(boards) if c.referred_by == actor
    }
    return _pending_votes(uow, actor) | referred | owned
