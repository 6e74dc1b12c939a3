"""Vote reminders: eligible members who have not voted are reminded before the vote deadline."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import select

from bot.domain.cases import CaseState
from bot.domain.votes import Recommendation
from store.models import BallotRow, BoardRow, DeadlineRow, MemberRow
from tests.fakes.slack_api import dm_channel
from tests.jobs.conftest import PRIYA, SUBJECT, SURREY, posted

TOM = "U0TOM00003"


@pytest.fixture
def voting_case(make_case, uow_factory, clock):
    """A Surrey case in voting whose vote deadline (the close_voting step rule) is Wed 4 Mar."""

    def _make(*, voted: tuple[str, ...] = ()) -> str:
        reference, deadline_id = make_case(date(2026, 3, 4), label="Sub-group vote")
        with uow_factory() as uow:
            board = uow.session.get(BoardRow, SURREY)
            board.step_rules = {**board.step_rules, "close_voting": ["test-rule"]}
            deadline = uow.session.get(DeadlineRow, deadline_id)
            deadline.reminders = []  # only the vote reminders are under test
            case = uow.cases.by_reference(SURREY, reference)
            case.state = CaseState.VOTING
            case.voting_round = 1
            for slack_id in voted:
                member = uow.session.exec(
                    select(MemberRow).where(
                        MemberRow.board_id == SURREY, MemberRow.slack_id == slack_id
                    )
                ).one()
                uow.ballots.add(
                    BallotRow(
                        case_id=case.id,
                        member_id=member.id,
                        round=1,
                        version=1,
                        recommendation=Recommendation.NO_FURTHER_ACTION,
                        rationale="Single-agency learning is enough.",
                        cast_at=clock.now(),
                    )
                )
            uow.commit()
        return reference

    return _make


def test_members_yet_to_vote_are_reminded_once_and_voters_are_not(
    voting_case, run_sweep, slack_api, dispatches
):
    reference = voting_case(voted=(PRIYA,))

    first = run_sweep()
    second = run_sweep()

    messages = posted(slack_api)
    channels = [m["channel"] for m in messages]
    assert dm_channel(PRIYA) not in channels
    assert channels.count(dm_channel(TOM)) == 1
    assert len(channels) == len(set(channels)) == first.sent
    assert (second.claimed, second.sent) == (0, 0)
    [tom] = [m for m in messages if m["channel"] == dm_channel(TOM)]
    text = tom["text"]
    assert reference in text and "Child A" in text
    assert "Wed 4 Mar 2026" in text and "2 working days left" in text
    buttons = [
        e["action_id"] for b in tom["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == ["open_case"]
    assert SUBJECT not in json.dumps(tom)
    keys = {r.slot_key for r in dispatches()}
    assert f"vote:{TOM}:lead:2:2026-03-04" in keys
    assert not any(k.startswith(f"vote:{PRIYA}:") for k in keys)
