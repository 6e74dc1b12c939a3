"""The case lifecycle: every state and trigger pair, allowed or refused."""

from __future__ import annotations

import itertools

import pytest

from bot.domain.cases import TRANSITIONS, CaseState, Trigger, allowed_triggers, next_state
from bot.domain.errors import DomainError, InvalidTransition

S, T = CaseState, Trigger

# The allowed steps, written out again here so that a change to the table must be made twice.
# Sources: PRODUCT.md §The life of a case; 002_0ceef0fde733de82.txt §1.1-§1.2, §3.3-§4.0.
EXPECTED = {
    (S.REFERRED, T.REQUEST_INFORMATION): S.GATHERING,
    (S.GATHERING, T.REQUEST_INFORMATION): S.GATHERING,
    (S.VOTING, T.REQUEST_INFORMATION): S.VOTING,
    (S.AWAITING_DECISION, T.REQUEST_INFORMATION): S.GATHERING,
    (S.REFERRED, T.OPEN_VOTING): S.VOTING,
    (S.GATHERING, T.OPEN_VOTING): S.VOTING,
    (S.VOTING, T.CLOSE_VOTING): S.AWAITING_DECISION,
    (S.AWAITING_DECISION, T.RECORD_DECISION): S.DECIDED,
    (S.DECIDED, T.COMMISSION_REVIEW): S.IN_REVIEW,
    (S.DECIDED, T.CLOSE): S.CLOSED,
    (S.IN_REVIEW, T.SUBMIT_DRAFT): S.REPORTING,
    (S.REPORTING, T.PUBLISH): S.PUBLISHED,
    (S.PUBLISHED, T.START_MONITORING): S.MONITORING,
    (S.MONITORING, T.CLOSE): S.CLOSED,
    (S.REFERRED, T.CONVERT_REVIEW): S.REFERRED,
    (S.GATHERING, T.CONVERT_REVIEW): S.GATHERING,
    (S.VOTING, T.CONVERT_REVIEW): S.VOTING,
    (S.AWAITING_DECISION, T.CONVERT_REVIEW): S.AWAITING_DECISION,
    (S.DECIDED, T.CONVERT_REVIEW): S.DECIDED,
}

PAIRS = list(itertools.product(CaseState, Trigger))
ALLOWED = [p for p in PAIRS if p in EXPECTED]
FORBIDDEN = [p for p in PAIRS if p not in EXPECTED]


def _id(pair: tuple[CaseState, Trigger]) -> str:
    return f"{pair[0].value}-{pair[1].value}"


def test_the_transitions_table_is_exactly_the_expected_one():
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize("pair", ALLOWED, ids=_id)
def test_an_allowed_step_moves_the_case_to_its_next_state(pair):
    state, trigger = pair
    assert next_state(state, trigger) is EXPECTED[pair]


@pytest.mark.parametrize("pair", FORBIDDEN, ids=_id)
def test_a_forbidden_step_is_refused_with_an_invalid_transition(pair):
    state, trigger = pair
    with pytest.raises(InvalidTransition) as caught:
        next_state(state, trigger)
    assert isinstance(caught.value, DomainError)
    message = str(caught.value)
    assert state.label in message and trigger.label in message


def test_a_refusal_says_what_the_state_allows_instead():
    with pytest.raises(InvalidTransition, match="it can now .*close voting"):
        next_state(S.VOTING, T.RECORD_DECISION)


def test_a_closed_case_allows_nothing():
    assert allowed_triggers(S.CLOSED) == ()
    with pytest.raises(InvalidTransition, match="nothing more can happen"):
        next_state(S.CLOSED, T.REQUEST_INFORMATION)


def test_every_state_but_closed_can_be_left_and_every_state_can_be_reached():
    reachable = {S.REFERRED}
    frontier = [S.REFERRED]
    while frontier:
        state = frontier.pop()
        for trigger in allowed_triggers(state):
            after = next_state(state, trigger)
            if after not in reachable:
                reachable.add(after)
                frontier.append(after)
    assert reachable == set(CaseState)
    assert all(allowed_triggers(s) for s in CaseState if s is not S.CLOSED)


def test_only_closed_is_not_open():
    assert [s for s in CaseState if not s.is_open] == [S.CLOSED]
