"""The vocabulary of boards: their kinds, the roles people hold, and the review types.

Sources: ../shared/SPEC.md §What a case review is and §Who does what; ../shared/PRODUCT.md
§The board file.
"""

from __future__ import annotations

from enum import StrEnum


class BoardKind(StrEnum):
    """What a board safeguards; decides which statutory review applies."""

    CHILDREN = "children"
    ADULTS = "adults"
    COMMUNITY_SAFETY = "community-safety"


class Role(StrEnum):
    """A role a person holds on one board (roles are per board)."""

    BUSINESS_MANAGER = "business_manager"
    CHAIR = "chair"
    MEMBER = "member"
    DECISION_MAKER = "decision_maker"
    ADMIN = "admin"


class ReviewType(StrEnum):
    """A kind of review a case can be referred for or commissioned as."""

    SCR = "scr"
    RAPID_REVIEW = "rapid_review"
    LCSPR = "lcspr"
    SAR = "sar"
    DHR = "dhr"
    PARTNERSHIP_REVIEW = "partnership_review"
    SINGLE_AGENCY_REVIEW = "single_agency_review"
    MULTI_AGENCY_AUDIT = "multi_agency_audit"
    LEARNING_REVIEW = "learning_review"

    @property
    def is_statutory(self) -> bool:
        """Return whether this is a statutory review rather than an alternative one."""
        return self in STATUTORY

    @property
    def label(self) -> str:
        """Return the name a board manager would write."""
        return _LABELS[self]


STATUTORY = frozenset(
    {ReviewType.SCR, ReviewType.RAPID_REVIEW, ReviewType.LCSPR, ReviewType.SAR, ReviewType.DHR}
)

ALTERNATIVES = tuple(t for t in ReviewType if t not in STATUTORY)
"""Alternatives to a statutory review. Source: 000 §8, 001 §4, 002 §1.3, 003 §10."""

STATUTORY_BY_KIND: dict[BoardKind, tuple[ReviewType, ...]] = {
    # Children: SCR (LSCB Regulations 2006 reg. 5) or, under Working Together 2018, a rapid review
    # leading to an LCSPR (Children Act 2004 s16C). Source: SPEC.md §What a case review is.
    BoardKind.CHILDREN: (ReviewType.SCR, ReviewType.RAPID_REVIEW, ReviewType.LCSPR),
    # Adults: SAR under the Care Act 2014 s44.
    BoardKind.ADULTS: (ReviewType.SAR,),
    # Community safety partnerships: DHR under the Domestic Violence, Crime and Victims Act 2004 s9.
    BoardKind.COMMUNITY_SAFETY: (ReviewType.DHR,),
}

_LABELS = {
    ReviewType.SCR: "Serious Case Review",
    ReviewType.RAPID_REVIEW: "Rapid Review",
    ReviewType.LCSPR: "Local Child Safeguarding Practice Review",
    ReviewType.SAR: "Safeguarding Adults Review",
    ReviewType.DHR: "Domestic Homicide Review",
    ReviewType.PARTNERSHIP_REVIEW: "Partnership review",
    ReviewType.SINGLE_AGENCY_REVIEW: "Single agency review",
    ReviewType.MULTI_AGENCY_AUDIT: "Multi-agency audit",
    ReviewType.LEARNING_REVIEW: "Learning review",
}
