"""Example contexts for the voting and decision templates, with free text that tries to ping."""

from __future__ import annotations

from datetime import date, datetime

from bot.clock import LONDON
from bot.domain.boards import ALTERNATIVES, ReviewType, Role
from bot.domain.cases import CaseState
from bot.domain.deadlines import DeadlineStatus
from bot.domain.decisions import DecisionOutcome, Methodology
from bot.domain.limits import MAX_LENGTH
from bot.domain.protocols import Event
from bot.domain.votes import Recommendation, VoteVisibility
from bot.services.views import (
    BallotView,
    CaseRef,
    ConflictView,
    DeadlineView,
    DecisionView,
    RecommendationView,
    VoteCounts,
)

NASTY = 'She said "stop" & <!channel> <@U123> <https://evil.example|click> \\ end'
AT = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)
CASE = CaseRef(
    "surrey-children",
    "C0CASEREV01",
    "SCR-2026-001",
    NASTY,
    ReviewType.SCR,
    CaseState.VOTING,
    "C0CASEREV01",
    "1767000000.000100",
)
COUNTS = VoteCounts(
    {r: 1 for r in Recommendation}, 4, 4, True, None, False, VoteVisibility.HIDDEN_UNTIL_CLOSE, True
)
LED = VoteCounts(
    {Recommendation.STATUTORY_REVIEW: 2, Recommendation.NO_FURTHER_ACTION: 1},
    3,
    3,
    True,
    Recommendation.STATUTORY_REVIEW,
    True,
    VoteVisibility.COUNTS,
    True,
)
BALLOTS = (
    BallotView(
        "U0BEN00001",
        "Ben Okafor",
        "Surrey County Council",
        Recommendation.ALTERNATIVE_REVIEW,
        ReviewType.LEARNING_REVIEW,
        NASTY,
        2,
        AT,
    ),
    BallotView(
        "U0PRI00002",
        "Priya Raman",
        "Surrey Police",
        Recommendation.STATUTORY_REVIEW,
        None,
        "x" * 3000,
        1,
        AT,
    ),
)
REC = RecommendationView(
    CASE,
    1,
    LED,
    BALLOTS,
    (ConflictView("U0TOM00003", "Tom Hughes", NASTY, AT),),
    ("U0ANA00004",),
    ("U0BEN00001",),
    ("U0GRA00005",),
)
DECISION = DecisionView(
    DecisionOutcome.ALTERNATIVE_REVIEW,
    ReviewType.LEARNING_REVIEW,
    Methodology.SILP,
    NASTY,
    date(2026, 3, 2),
    "U0GRA00005",
    AT,
)
DEADLINE = DeadlineView(
    1,
    CASE.reference,
    NASTY,
    "national-bodies-informed",
    NASTY,
    Event.DECISION,
    date(2026, 3, 2),
    date(2026, 3, 9),
    date(2026, 3, 9),
    Role.BUSINESS_MANAGER,
    DeadlineStatus.OPEN,
    None,
    "002",
    (3, 1, 0),
    5,
    False,
)
METADATA = '{"case": "SCR-2026-001", "board": "surrey-children"}'

VOTING_EXAMPLES = {
    "vote_modal": [
        {
            "case": CASE,
            "recommendation": r,
            "alternatives": ALTERNATIVES if r is Recommendation.ALTERNATIVE_REVIEW else (),
            "metadata": METADATA,
            "limits": MAX_LENGTH,
        }
        for r in Recommendation
    ],
    "voting_opened": [{"case": CASE, "eligible": 4}, {"case": CASE, "eligible": None}],
    "vote_recorded": [
        {"case": CASE, "recommendation": r, "alternative_type": None} for r in Recommendation
    ]
    + [
        {
            "case": CASE,
            "recommendation": Recommendation.ALTERNATIVE_REVIEW,
            "alternative_type": ReviewType.LEARNING_REVIEW,
        }
    ],
    "vote_quorum_not_met": [{"case": CASE, "message": NASTY}],
    "conflict_modal": [{"case": CASE, "metadata": METADATA, "limits": MAX_LENGTH}],
    "recommendation_dm": [
        {"rec": REC, "can_decide": True},
        {"rec": REC, "can_decide": False},
        {
            "rec": RecommendationView(CASE, 1, COUNTS, BALLOTS * 30, (), (), (), ()),
            "can_decide": True,
        },
    ],
    "voting_closed": [{"case": CASE, "counts": LED}, {"case": CASE, "counts": COUNTS}],
    "decision_modal": [
        {
            "case": CASE,
            "outcomes": list(DecisionOutcome),
            "review_types": list(ReviewType),
            "methodologies": list(Methodology),
            "today": date(2026, 3, 2),
            "metadata": METADATA,
            "limits": MAX_LENGTH,
        }
    ],
    "decision_notice": [{"case": CASE, "decision": DECISION}],
    "notifications_due": [
        {"case": CASE, "deadlines": [DEADLINE]},
        {"case": CASE, "deadlines": []},
        {"case": CASE, "deadlines": [DEADLINE] * 60},
    ],
}
"""Template name -> example contexts, merged into ``tests/handlers/test_render.py``'s EXAMPLES."""
