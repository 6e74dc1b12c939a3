"""The life of a case: its states, the triggers that move it, and the one table of allowed steps.

::

    referred ──request_information──► gathering ──open_voting──► voting ──close_voting──►
        │                               ▲   │                       │
        └───────────open_voting─────────┼───┘ (gathering → voting)  └─ request_information
                                        │                              (stays in voting)
    awaiting_decision ──record_decision──► decided ──commission_review──► in_review
        └──request_information──► gathering     └──close──► closed (no review)

    in_review ──submit_draft──► reporting ──publish──► published ──start_monitoring──►
    monitoring ──close──► closed

``convert_review`` (a rapid review becoming an LCSPR, for example) keeps the state and is allowed
until the review is under way. Every other pair of state and trigger is refused with
:class:`~bot.domain.errors.InvalidTransition`.

Sources: ../shared/PRODUCT.md §The life of a case; ../shared/SPEC.md §The life of a case;
002_0ceef0fde733de82.txt §1.1-§1.2 (referral, information, recommendation, decision);
000_cd2220454c4486c5.txt §10 (sub-group meets, recommends, chair decides);
002_0ceef0fde733de82.txt §4.0 (action plan monitored after publication).
"""

from __future__ import annotations

from enum import StrEnum

from bot.domain.errors import InvalidTransition


class CaseState(StrEnum):
    """Where a case is in its life."""

    REFERRED = "referred"
    GATHERING = "gathering"
    VOTING = "voting"
    AWAITING_DECISION = "awaiting_decision"
    DECIDED = "decided"
    IN_REVIEW = "in_review"
    REPORTING = "reporting"
    PUBLISHED = "published"
    MONITORING = "monitoring"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """Return the state as a board manager would say it."""
        return _STATE_LABELS[self]

    @property
    def is_open(self) -> bool:
        """Return whether the case still needs work (every state but closed)."""
        return self is not CaseState.CLOSED


class Trigger(StrEnum):
    """Something a person (or the bot on their behalf) does to a case."""

    REQUEST_INFORMATION = "request_information"
    OPEN_VOTING = "open_voting"
    CLOSE_VOTING = "close_voting"
    RECORD_DECISION = "record_decision"
    COMMISSION_REVIEW = "commission_review"
    SUBMIT_DRAFT = "submit_draft"
    PUBLISH = "publish"
    START_MONITORING = "start_monitoring"
    CLOSE = "close"
    CONVERT_REVIEW = "convert_review"

    @property
    def label(self) -> str:
        """Return the step as a board manager would say it (after "cannot ")."""
        return _TRIGGER_LABELS[self]


S, T = CaseState, Trigger

TRANSITIONS: dict[tuple[CaseState, Trigger], CaseState] = {
    # Agencies are asked for a skeleton chronology and a summary once a referral is logged.
    # Source: 002_0ceef0fde733de82.txt §1.1; 003_2d53156d33e54857.txt §4.3.
    (S.REFERRED, T.REQUEST_INFORMATION): S.GATHERING,
    (S.GATHERING, T.REQUEST_INFORMATION): S.GATHERING,
    # A request made while members vote does not stop the vote.
    (S.VOTING, T.REQUEST_INFORMATION): S.VOTING,
    # "Need more information" sends the case back to gathering before the decision.
    # Source: PRODUCT.md §Voting (the "need more information" recommendation).
    (S.AWAITING_DECISION, T.REQUEST_INFORMATION): S.GATHERING,
    # The sub-group considers the referral and each member recommends.
    # Source: 002_0ceef0fde733de82.txt §1.2; 000_cd2220454c4486c5.txt §10.
    (S.REFERRED, T.OPEN_VOTING): S.VOTING,
    (S.GATHERING, T.OPEN_VOTING): S.VOTING,
    (S.VOTING, T.CLOSE_VOTING): S.AWAITING_DECISION,
    # The final decision rests with the independent chair. Source: 002_0ceef0fde733de82.txt §1.2.
    (S.AWAITING_DECISION, T.RECORD_DECISION): S.DECIDED,
    (S.DECIDED, T.COMMISSION_REVIEW): S.IN_REVIEW,
    # No review: the case closes with the decision and its reasons on record (002 §1.2).
    (S.DECIDED, T.CLOSE): S.CLOSED,
    # Draft, accuracy check and approval, then publication.
    # Source: 002_0ceef0fde733de82.txt §3.3-§3.4.
    (S.IN_REVIEW, T.SUBMIT_DRAFT): S.REPORTING,
    (S.REPORTING, T.PUBLISH): S.PUBLISHED,
    # The action plan is monitored until signed off. Source: 002_0ceef0fde733de82.txt §4.0.
    (S.PUBLISHED, T.START_MONITORING): S.MONITORING,
    (S.MONITORING, T.CLOSE): S.CLOSED,
    # A review type can convert (rapid review -> LCSPR) until the review is under way; the
    # state does not change. Source: 003_2d53156d33e54857.txt 9B (a local review "preceded by a
    # Rapid Review").
    **{
        (state, T.CONVERT_REVIEW): state
        for state in (S.REFERRED, S.GATHERING, S.VOTING, S.AWAITING_DECISION, S.DECIDED)
    },
}
"""Every allowed step: (state, trigger) -> the state after it. Anything else is refused."""


def next_state(state: CaseState, trigger: Trigger) -> CaseState:
    """Return the state a case moves to when ``trigger`` happens in ``state``.

    Raises:
        InvalidTransition: the step is not in :data:`TRANSITIONS`; the message says what the
            case's state allows instead.
    """
    try:
        return TRANSITIONS[(state, trigger)]
    except KeyError:
        pass
    allowed = allowed_triggers(state)
    hint = (
        "; it can now " + ", ".join(t.label for t in allowed)
        if allowed
        else "; nothing more can happen to it"
    )
    raise InvalidTransition(f"This case is {state.label}, so it cannot {trigger.label}{hint}.")


def allowed_triggers(state: CaseState) -> tuple[Trigger, ...]:
    """Return the triggers allowed in ``state``, in the order of :class:`Trigger`."""
    return tuple(t for t in Trigger if (state, t) in TRANSITIONS)


_STATE_LABELS = {
    S.REFERRED: "referred",
    S.GATHERING: "gathering information",
    S.VOTING: "open for votes",
    S.AWAITING_DECISION: "awaiting a decision",
    S.DECIDED: "decided",
    S.IN_REVIEW: "in review",
    S.REPORTING: "at the report stage",
    S.PUBLISHED: "published",
    S.MONITORING: "monitoring its action plan",
    S.CLOSED: "closed",
}

_TRIGGER_LABELS = {
    T.REQUEST_INFORMATION: "request information from agencies",
    T.OPEN_VOTING: "open voting",
    T.CLOSE_VOTING: "close voting",
    T.RECORD_DECISION: "record a decision",
    T.COMMISSION_REVIEW: "commission the review",
    T.SUBMIT_DRAFT: "submit the draft report",
    T.PUBLISH: "publish the report",
    T.START_MONITORING: "start monitoring the action plan",
    T.CLOSE: "close",
    T.CONVERT_REVIEW: "change its review type",
}
