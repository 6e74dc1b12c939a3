"""Pure rules for extending and pausing deadlines, and for a complete decision."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.boards import BoardKind, ReviewType
from bot.domain.calendar import WorkingCalendar
from bot.domain.deadlines import (
    DeadlineStatus,
    check_extension,
    require_reason,
    resumed_due,
    working_days_left,
)
from bot.domain.decisions import DecisionOutcome as O
from bot.domain.decisions import Methodology, check_decision
from bot.domain.errors import InvalidInput

ENGLAND = WorkingCalendar("england")


def test_resuming_counts_the_working_days_left_at_the_pause_from_the_resume_day():
    # Paused Friday 27 March 2026 with 3 working days left (due Wed 1 April); resumed Thu 2 April:
    # three working days after it skip Good Friday and Easter Monday.
    assert working_days_left(date(2026, 4, 1), date(2026, 3, 27), ENGLAND) == 3
    assert resumed_due(date(2026, 4, 1), date(2026, 3, 27), date(2026, 4, 2), ENGLAND) == date(
        2026, 4, 9
    )


def test_a_deadline_paused_when_overdue_falls_due_on_the_day_it_resumes():
    assert resumed_due(date(2026, 3, 2), date(2026, 3, 10), date(2026, 5, 5), ENGLAND) == date(
        2026, 5, 5
    )


def test_an_extension_must_be_later_and_have_a_reason():  # Source: 002 §1.5
    check_extension(date(2026, 4, 2), date(2026, 4, 3))
    with pytest.raises(InvalidInput, match="after the current due date"):
        check_extension(date(2026, 4, 2), date(2026, 4, 2))
    assert require_reason("  Trial  ") == "Trial"
    with pytest.raises(InvalidInput, match="reason"):
        require_reason("\n")


def test_only_open_and_extended_deadlines_run_and_only_done_or_cancelled_are_settled():
    assert [s for s in DeadlineStatus if s.is_running] == [
        DeadlineStatus.OPEN,
        DeadlineStatus.EXTENDED,
    ]
    assert [s for s in DeadlineStatus if s.is_settled] == [
        DeadlineStatus.DONE,
        DeadlineStatus.CANCELLED,
    ]


@pytest.mark.parametrize(
    ("kind", "outcome", "review_type", "methodology"),
    [
        (BoardKind.CHILDREN, O.STATUTORY_REVIEW, ReviewType.LCSPR, Methodology.SILP),
        (BoardKind.ADULTS, O.STATUTORY_REVIEW, ReviewType.SAR, None),
        (BoardKind.COMMUNITY_SAFETY, O.STATUTORY_REVIEW, ReviewType.DHR, Methodology.OTHER),
        (BoardKind.CHILDREN, O.ALTERNATIVE_REVIEW, ReviewType.MULTI_AGENCY_AUDIT, None),
        (BoardKind.ADULTS, O.NO_REVIEW, None, None),
    ],
)
def test_a_complete_decision_that_fits_the_board_is_accepted(
    kind, outcome, review_type, methodology
):
    check_decision(kind, outcome, review_type, methodology, "Reasons.")


@pytest.mark.parametrize(
    ("kind", "outcome", "review_type", "reasons", "message"),
    [
        (BoardKind.CHILDREN, O.NO_REVIEW, None, "  ", "reasons"),  # 002 §1.2
        (BoardKind.ADULTS, O.STATUTORY_REVIEW, ReviewType.SCR, "r", "one of: Safeguarding Adults"),
        (BoardKind.CHILDREN, O.ALTERNATIVE_REVIEW, ReviewType.SCR, "r", "cannot be a statutory"),
        (BoardKind.CHILDREN, O.ALTERNATIVE_REVIEW, None, "r", "choose the review type"),
        (BoardKind.CHILDREN, O.NO_REVIEW, ReviewType.SCR, "r", "no review type"),
    ],
)
def test_an_incomplete_or_misfitting_decision_is_refused(
    kind, outcome, review_type, reasons, message
):
    with pytest.raises(InvalidInput, match=message):
        check_decision(kind, outcome, review_type, None, reasons)
