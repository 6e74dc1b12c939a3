"""Example contexts for the case card, status, list, home and referral templates (render tests)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from bot.domain.boards import BoardKind, ReviewType, Role
from bot.domain.cases import CaseState
from bot.domain.deadlines import DeadlineStatus
from bot.domain.decisions import DecisionOutcome
from bot.domain.limits import MAX_LENGTH
from bot.domain.protocols import Event
from bot.domain.votes import VoteVisibility
from bot.services.queries import CaseLine, CaseStatus, Dashboard
from bot.services.views import BoardView, CaseRef, DeadlineView, DecisionView
from handlers.referral import CRITERIA
from messages.ids import ActionId
from messages.render import mention

NASTY = 'She said "stop" & <!channel> <@U123> <https://evil.example|click> \\ end'

CASE = CaseRef(
    "surrey-children",
    "C0CASEREV01",
    "RR-2026-001",
    NASTY,
    ReviewType.RAPID_REVIEW,
    CaseState.VOTING,
    "C0CASEREV01",
    "1767000001.000100",
)
DUE = DeadlineView(
    1,
    "RR-2026-001",
    NASTY,
    "rapid-review",
    "Rapid review " + NASTY,
    Event.REFERRAL,
    date(2026, 3, 2),
    date(2026, 3, 16),
    date(2026, 3, 16),
    Role.CHAIR,
    DeadlineStatus.OPEN,
    None,
    "002 §1.1",
    (5, 1),
    10,
    False,
)
LATE = DeadlineView(
    2,
    "RR-2026-001",
    NASTY,
    "notify",
    "Notify the panel",
    Event.NOTIFICATION,
    date(2026, 2, 2),
    date(2026, 2, 9),
    date(2026, 2, 9),
    Role.BUSINESS_MANAGER,
    DeadlineStatus.OPEN,
    None,
    "002 §1.1",
    (),
    -15,
    True,
)

CASE_EXAMPLES = {
    "case_card": [
        {
            "case": CASE,
            "deadlines": (DUE, LATE),
            "voting_open": True,
            "chair_action": (ActionId.CLOSE_VOTING, "Close voting"),
            "vote_summary": NASTY,
        },
        {
            "case": CASE,
            "deadlines": (),
            "voting_open": False,
            "chair_action": None,
            "vote_summary": None,
        },
    ],
}

BOARDS = (
    BoardView(
        "surrey-children",
        NASTY,
        BoardKind.CHILDREN,
        "C0CASEREV01",
        VoteVisibility.HIDDEN_UNTIL_CLOSE,
        frozenset({Role.MEMBER}),
    ),
    BoardView(
        "stockport-adults",
        "Stockport",
        BoardKind.ADULTS,
        "C0ADULTS01",
        VoteVisibility.COUNTS,
        frozenset({Role.MEMBER}),
    ),
)
LINE = CaseLine(CASE, DUE, 1)
STATUS = CaseStatus(
    case=CASE,
    board_name=NASTY,
    roles=frozenset({Role.MEMBER}),
    key_dates={Event.REFERRAL: date(2026, 3, 2), Event.AWARE: date(2026, 2, 27)},
    deadlines=(LATE, DUE),
    votes=None,
    my_vote="statutory_review",
    conflicted=False,
    decision=DecisionView(
        DecisionOutcome.STATUTORY_REVIEW,
        ReviewType.SCR,
        None,
        NASTY,
        date(2026, 3, 20),
        "U0GRA00005",
        datetime(2026, 3, 20, 12, 0),
    ),
    conversions=(),
    information_requests=(),
)

CASE_EXAMPLES.update(
    {
        "referral_modal": [
            {
                "boards": BOARDS,
                "review_types": list(ReviewType),
                "criteria": CRITERIA,
                "metadata": '{"board": "surrey-children"}',
                "limits": MAX_LENGTH,
            },
            {
                "boards": (),
                "review_types": [ReviewType.SCR],
                "criteria": CRITERIA,
                "metadata": "{}",
                "limits": MAX_LENGTH,
            },
        ],
        "referral_ack": [{"case": CASE, "deadlines": (DUE, LATE)}, {"case": CASE, "deadlines": ()}],
        "referral_done": [
            {"case": CASE, "deadlines": (DUE, LATE)},
            {"case": CASE, "deadlines": ()},
        ],
        "bm_notice": [{"case": CASE, "referrer": mention("U0BEN00001")}],
        "status": [
            {"status": STATUS, "vote_summary": NASTY},
            {
                "status": replace(STATUS, deadlines=(), decision=None, key_dates={}),
                "vote_summary": None,
            },
        ],
        "list": [
            {"lines": (LINE, LINE), "which": "overdue"},
            {"lines": (), "which": "open"},
            {"lines": (LINE,) * 60, "which": "mine"},
        ],
        "home": [
            {"dashboard": Dashboard((LINE,), (LATE, DUE), (LINE,) * 40)},
            {"dashboard": Dashboard((), (), ())},
        ],
    }
)
