"""Who may vote, and how votes are counted against a board's quorum."""

from __future__ import annotations

import pytest

from bot.domain.boards import Role
from bot.domain.errors import InvalidInput, NotAllowed
from bot.domain.votes import Quorum, Recommendation, Vote, can_vote, tally

R = Recommendation


@pytest.mark.parametrize(
    "roles",
    [{Role.MEMBER}, {Role.CHAIR}, {Role.BUSINESS_MANAGER, Role.MEMBER}],
    ids=["member", "chair", "manager-and-member"],
)
def test_a_member_or_chair_who_is_not_conflicted_may_vote_while_voting_is_open(roles):
    can_vote(frozenset(roles), active=True, conflicted=False, voting_open=True)


@pytest.mark.parametrize(
    ("roles", "active", "conflicted", "voting_open", "reason"),
    [
        (set(), True, False, True, "Only members of this board"),
        ({Role.MEMBER}, False, False, True, "Only members of this board"),
        ({Role.BUSINESS_MANAGER}, True, False, True, "members and chair vote"),
        ({Role.DECISION_MAKER}, True, False, True, "members and chair vote"),
        ({Role.ADMIN}, True, False, True, "members and chair vote"),
        ({Role.MEMBER}, True, True, True, "declared a conflict"),
        ({Role.MEMBER}, True, False, False, "not open"),
    ],
    ids=[
        "not-a-member",
        "left-the-board",
        "business-manager-only",
        "decision-maker-only",
        "admin-only",
        "conflicted-002-s2.1-001-s5",
        "voting-closed",
    ],
)
def test_a_vote_is_refused_politely_with_its_reason(roles, active, conflicted, voting_open, reason):
    with pytest.raises(NotAllowed, match=reason):
        can_vote(frozenset(roles), active=active, conflicted=conflicted, voting_open=voting_open)


def _votes(*pairs):
    return [Vote(member, rec) for member, rec in pairs]


def test_a_majority_quorum_needs_more_than_half_of_the_eligible_members():
    eligible = ["a", "b", "c", "d"]
    two = tally(_votes(("a", R.STATUTORY_REVIEW), ("b", R.STATUTORY_REVIEW)), eligible, Quorum())
    three = tally(
        _votes(("a", R.STATUTORY_REVIEW), ("b", R.STATUTORY_REVIEW), ("c", R.NO_FURTHER_ACTION)),
        eligible,
        Quorum(),
    )
    assert (two.cast, two.eligible, two.quorate) == (2, 4, False)
    assert (three.cast, three.quorate, three.leading, three.majority) == (
        3,
        True,
        R.STATUTORY_REVIEW,
        True,
    )
    assert three.dissenters == ("c",)
    assert three.counts == {
        R.STATUTORY_REVIEW: 2,
        R.ALTERNATIVE_REVIEW: 0,
        R.NO_FURTHER_ACTION: 1,
        R.MORE_INFORMATION: 0,
    }


def test_a_numeric_quorum_needs_that_many_votes():
    votes = _votes(("a", R.NO_FURTHER_ACTION), ("b", R.NO_FURTHER_ACTION))
    assert tally(votes, ["a", "b", "c", "d", "e"], Quorum(votes=2)).quorate
    assert not tally(votes, ["a", "b", "c", "d", "e"], Quorum(votes=3)).quorate


def test_votes_of_members_no_longer_eligible_are_not_counted():
    # A member who declares a conflict after voting stands aside (002 §2.1).
    votes = _votes(("a", R.STATUTORY_REVIEW), ("conflicted", R.NO_FURTHER_ACTION))
    result = tally(votes, ["a", "b"], Quorum())
    assert (result.cast, result.counts[R.NO_FURTHER_ACTION], result.dissenters) == (1, 0, ())


def test_a_tie_has_no_leading_recommendation_and_no_dissenters():
    votes = _votes(("a", R.STATUTORY_REVIEW), ("b", R.ALTERNATIVE_REVIEW))
    result = tally(votes, ["a", "b"], Quorum())
    assert (result.leading, result.majority, result.dissenters) == (None, False, ())


def test_a_plurality_short_of_half_leads_without_a_majority():
    votes = _votes(
        ("a", R.STATUTORY_REVIEW),
        ("b", R.STATUTORY_REVIEW),
        ("c", R.ALTERNATIVE_REVIEW),
        ("d", R.NO_FURTHER_ACTION),
        ("e", R.MORE_INFORMATION),
    )
    result = tally(votes, list("abcde"), Quorum())
    assert (result.leading, result.majority) == (R.STATUTORY_REVIEW, False)
    assert result.dissenters == ("c", "d", "e")


def test_no_votes_is_not_quorate_and_has_no_leader():
    result = tally([], [], Quorum())
    assert (result.cast, result.quorate, result.leading) == (0, False, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("majority", Quorum()), ("Majority", Quorum()), (3, Quorum(votes=3)), ("4", Quorum(votes=4))],
)
def test_a_quorum_is_read_from_the_board_file(text, expected):
    assert Quorum.parse(text) == expected


@pytest.mark.parametrize("text", ["most", 0, -1, True, "2.5", ""])
def test_a_bad_quorum_is_refused_with_what_to_write(text):
    with pytest.raises(InvalidInput, match='"majority" or a whole number'):
        Quorum.parse(text)
