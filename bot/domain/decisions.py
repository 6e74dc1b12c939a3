"""The decision-maker's decision: outcome, review type, methodology and reasons.

The final decision rests with the independent chair (Source: 002_0ceef0fde733de82.txt §1.2), or
with the safeguarding partners under Working Together 2018 (Source: 003_2d53156d33e54857.txt
§4.6). The reasons for reviewing or not are recorded, and that alternatives were considered
(Source: 002_0ceef0fde733de82.txt §1.2-§1.3).
"""

from __future__ import annotations

from enum import StrEnum

from bot.domain.boards import STATUTORY_BY_KIND, BoardKind, ReviewType
from bot.domain.errors import InvalidInput


class DecisionOutcome(StrEnum):
    """What the decision-maker decided."""

    STATUTORY_REVIEW = "statutory_review"
    ALTERNATIVE_REVIEW = "alternative_review"
    NO_REVIEW = "no_review"


class Methodology(StrEnum):
    """How a review is run. Source: 000_cd2220454c4486c5.txt §13; 002_0ceef0fde733de82.txt §1.4."""

    TRADITIONAL_IMR = "traditional_imr"
    SILP = "silp"
    SCIE_LEARNING_TOGETHER = "scie_learning_together"
    ROOT_CAUSE_ANALYSIS = "root_cause_analysis"
    ACTION_LEARNING = "action_learning"
    PEER_REVIEW = "peer_review"
    THEMATIC_REVIEW = "thematic_review"
    OTHER = "other"


def check_decision(
    kind: BoardKind,
    outcome: DecisionOutcome,
    review_type: ReviewType | None,
    methodology: Methodology | None,
    reasons: str,
) -> None:
    """Check that a decision is complete and fits the board.

    Raises:
        InvalidInput: reasons are missing, or the review type does not fit the outcome or the
            board's kind (an SCR on an adults' board, say).
    """
    if not reasons.strip():
        # Source: 002_0ceef0fde733de82.txt §1.2 ("the reason ... is clearly stated").
        raise InvalidInput("Please give the reasons for the decision.")
    if outcome is DecisionOutcome.NO_REVIEW:
        if review_type is not None or methodology is not None:
            raise InvalidInput("A decision not to review has no review type or methodology.")
        return
    if review_type is None:
        raise InvalidInput("Please choose the review type.")
    if outcome is DecisionOutcome.STATUTORY_REVIEW:
        allowed = STATUTORY_BY_KIND[kind]
        if review_type not in allowed:
            names = ", ".join(t.label for t in allowed)
            raise InvalidInput(f"A statutory review on this board is one of: {names}.")
    elif review_type.is_statutory:
        raise InvalidInput("An alternative review cannot be a statutory review type.")
