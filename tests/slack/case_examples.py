"""Example contexts for the case card, status, list, home and referral templates (render tests)."""

from __future__ import annotations

from datetime import date

from bot.domain.boards import ReviewType, Role
from bot.domain.cases import CaseState
from bot.domain.deadlines import DeadlineStatus
from bot.domain.protocols import Event
from bot.services.views import CaseRef, DeadlineView
from messages.ids import ActionId

NASTY = 'She said "stop" & <!channel> <@U123> <https://evil.example|click> \\ end'

CASE = CaseRef(
    "surrey-children", "C0CASEREV01", "RR-2026-001", NASTY, ReviewType.RAPID_REVIEW,
    CaseState.VOTING, "C0CASEREV01", "1767000001.000100",
)
DUE = DeadlineView(
    1, "RR-2026-001", NASTY, "rapid-review", "Rapid review " + NASTY, Event.REFERRAL,
    date(2026, 3, 2), date(2026, 3, 16), date(2026, 3, 16), Role.CHAIR, DeadlineStatus.OPEN,
    None, "002 §1.1", (5, 1), 10, False,
)
LATE = DeadlineView(
    2, "RR-2026-001", NASTY, "notify", "Notify the panel", Event.NOTIFICATION,
    date(2026, 2, 2), date(2026, 2, 9), date(2026, 2, 9), Role.BUSINESS_MANAGER,
    DeadlineStatus.OPEN, None, "002 §1.1", (), -15, True,
)

CASE_EXAMPLES = {
    "case_card": [
        {"case": CASE, "deadlines": (DUE, LATE), "voting_open": True,
         "chair_action": (ActionId.CLOSE_VOTING, "Close voting"), "vote_summary": NASTY},
        {"case": CASE, "deadlines": (), "voting_open": False, "chair_action": None,
         "vote_summary": None},
    ],
}
