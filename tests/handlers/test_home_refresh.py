"""App Homes refreshed after a vote, a conflict, opening and closing voting, a decision and a
deadline change: whose, with what, and a failed publish never undoes the step."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest
from sqlmodel import select

from bot.domain.deadlines import DeadlineStatus
from messages.ids import ActionId, BlockId, CallbackId
from store.models import BallotRow, DeadlineRow, OutboxRow
from tests.fakes.signing import bolt_request, slash_command_body
from tests.handlers.interactions import (
    ANA,
    BEN,
    GRACE,
    PRIYA,
    SAM,
    SUBJECT,
    TOM,
    body_of,
    click,
    opened_view,
    submit,
)
from tests.handlers.test_home import open_home

OWNER = {"chair": PRIYA, "business_manager": BEN, "decision_maker": GRACE, "member": TOM}
MEMBERS = {BEN, PRIYA, TOM, ANA, GRACE, SAM}  # the Surrey board's active members
VOTERS = {BEN, PRIYA, TOM, ANA}  # members and the chair


@pytest.fixture
def voting(app, slack_api, ref) -> str:
    """The case open for votes, the calls so far forgotten."""
    click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)
    slack_api.reset()
    return ref


def homes(slack_api) -> dict[str, list[str]]:
    """Each person's latest published home since the last reset, as its section texts."""
    out = {}
    for call in slack_api.calls_to("views.publish"):
        view = call.args["view"]
        assert view["type"] == "home" and view["callback_id"] == CallbackId.HOME
        assert SUBJECT not in json.dumps(view)
        out[call.args["user_id"]] = [
            b["text"]["text"] for b in view["blocks"] if b["type"] == "section"
        ]
    return out


def vote(app, slack_api, ref, user, rationale="Criteria met."):
    click(app, slack_api, ActionId.VOTE_STATUTORY, ref, user)
    values = {BlockId.RATIONALE: {"value": rationale}}
    return submit(app, opened_view(slack_api), values, user)


def command(app, slack_api, text: str, user: str) -> None:
    body = slash_command_body(text=text, user_id=user, response_url=slack_api.response_url("c"))
    assert app.dispatch(bolt_request(body)).status == 200


def deadlines(uow_factory) -> list[DeadlineRow]:
    with uow_factory() as uow:
        return list(uow.session.exec(select(DeadlineRow).order_by(DeadlineRow.due_on)))


def owned(sections: list[str]) -> list[str]:
    """The lines under "Deadlines you own"."""
    start = next(i for i, s in enumerate(sections) if s.startswith("*Deadlines you own*"))
    end = next(i for i, s in enumerate(sections) if s.startswith("*Open cases on your boards*"))
    return sections[start + 1 : end]


def test_opening_voting_refreshes_every_members_home_and_voters_see_it_pending(app, slack_api, ref):
    click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)
    published = homes(slack_api)
    assert set(published) == MEMBERS
    for user in VOTERS:
        assert published[user][0] == "*Waiting for your vote* (1)"
        assert published[user][1] == f":ballot_box_with_ballot: *{ref}* · Child A"
    assert published[GRACE][0] == "*Waiting for your vote* (0)"  # the decision-maker does not vote
    assert any(s.startswith(f"*{ref}* · Child A · open for votes") for s in published[GRACE])


def test_a_vote_refreshes_only_the_voters_home_and_the_pending_vote_disappears(
    app, slack_api, voting
):
    vote(app, slack_api, voting, TOM)
    published = homes(slack_api)
    assert set(published) == {TOM}
    assert published[TOM][0] == "*Waiting for your vote* (0)"
    assert f":ballot_box_with_ballot: *{voting}* · Child A" not in published[TOM]


def test_a_changed_vote_refreshes_the_voters_home_again(app, slack_api, voting):
    vote(app, slack_api, voting, TOM)
    vote(app, slack_api, voting, TOM, rationale="On reflection, still met.")
    assert [c.args["user_id"] for c in slack_api.calls_to("views.publish")] == [TOM, TOM]
    assert homes(slack_api)[TOM][0] == "*Waiting for your vote* (0)"


def test_a_declared_conflict_refreshes_the_members_home_without_the_pending_vote(
    app, slack_api, voting
):
    click(app, slack_api, ActionId.DECLARE_CONFLICT, voting, ANA)
    values = {BlockId.CONFLICT_REASON: {"value": "I chaired the strategy meeting."}}
    submit(app, opened_view(slack_api), values, ANA)
    published = homes(slack_api)
    assert set(published) == {ANA}
    assert published[ANA][0] == "*Waiting for your vote* (0)"


def test_a_failed_publish_is_logged_and_the_vote_still_stands(
    app, slack_api, voting, uow_factory, caplog
):
    slack_api.fail_next("views.publish", error="internal_error")
    with caplog.at_level(logging.WARNING):
        response = vote(app, slack_api, voting, TOM)
    assert response.status == 200 and body_of(response) == {}
    with uow_factory() as uow:
        [ballot] = uow.session.exec(select(BallotRow)).all()
        assert ballot.recommendation.value == "statutory_review"
    assert slack_api.calls_to("views.publish")[0].response["ok"] is False
    assert "chat.postEphemeral" in slack_api.methods()  # and the vote confirmed
    warnings = [r.getMessage() for r in caplog.records if "views.publish" in r.getMessage()]
    assert warnings == [f"Slack views.publish to {TOM} failed: internal_error (server_error)"]
    assert not any(s in w for w in caplog.messages for s in ("Zebedee", voting, "Child A"))
    with uow_factory() as uow:  # the home stays owed: the sender publishes it on its next pass
        rows = uow.session.exec(select(OutboxRow)).all()
        [home] = [r for r in rows if r.kind == "home" and r.sent_at is None]
    assert (home.recipient, home.sent_at, home.last_error) == (TOM, None, "internal_error")


def test_a_failed_publish_for_one_member_leaves_the_others_published(app, slack_api, ref):
    slack_api.fail_next("views.publish", error="internal_error")
    response = click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)
    assert response.status == 200
    calls = slack_api.calls_to("views.publish")
    [failed] = [c.args["user_id"] for c in calls if not c.response["ok"]]
    published = [c.args["user_id"] for c in calls if c.response["ok"]]
    assert sorted(published) == sorted(MEMBERS - {failed})


def test_closing_voting_refreshes_every_members_home_and_pending_votes_vanish(
    app, slack_api, voting
):
    for user in (BEN, PRIYA, ANA):
        vote(app, slack_api, voting, user)
    slack_api.reset()
    click(app, slack_api, ActionId.CLOSE_VOTING, voting, PRIYA)
    published = homes(slack_api)
    assert set(published) == MEMBERS
    assert published[TOM][0] == "*Waiting for your vote* (0)"  # Tom never voted: not pending now
    for user in MEMBERS:
        assert any(
            s.startswith(f"*{voting}* · Child A · awaiting a decision") for s in published[user]
        )


def test_a_decision_refreshes_every_members_home_with_the_new_deadlines_owned(
    app, slack_api, voting
):
    for user in (BEN, PRIYA, ANA):
        vote(app, slack_api, voting, user)
    click(app, slack_api, ActionId.CLOSE_VOTING, voting, PRIYA)
    click(app, slack_api, ActionId.RECORD_DECISION, voting, GRACE)
    opened = opened_view(slack_api)
    before = homes(slack_api)
    slack_api.reset()
    values = {
        BlockId.OUTCOME: {"selected_option": {"value": "statutory_review"}},
        BlockId.DECISION_REVIEW_TYPE: {"selected_option": {"value": "lcspr"}},
        BlockId.METHODOLOGY: {"selected_option": {"value": "silp"}},
        BlockId.REASONS: {"value": "Serious harm."},
        BlockId.DECISION_DATE: {"selected_date": "2026-03-02"},
    }
    submit(app, opened, values, GRACE)
    published = homes(slack_api)
    assert set(published) == MEMBERS
    changed = [u for u in MEMBERS if owned(published[u]) != owned(before[u])]
    assert changed, "the decision's new deadlines should show on their owners' homes"
    for user in MEMBERS:
        assert any(s.startswith(f"*{voting}* · Child A · ") for s in published[user])


def test_mark_done_refreshes_the_members_homes_and_the_owner_no_longer_owns_it(
    app, slack_api, ref, uow_factory
):
    first = deadlines(uow_factory)[0]
    owner = OWNER[first.owner_role.value]
    click(app, slack_api, ActionId.OPEN_CASE, ref, owner)  # nothing changes: no home published
    assert "views.publish" not in slack_api.methods()
    open_home(app, owner)
    assert any(first.label in line for line in owned(homes(slack_api)[owner]))
    slack_api.reset()
    click(app, slack_api, ActionId.MARK_DONE, f"{ref}:{first.id}", BEN)
    published = homes(slack_api)
    assert set(published) == MEMBERS
    assert not any(first.label in line for line in owned(published[owner]))
    done = next(d for d in deadlines(uow_factory) if d.id == first.id)
    assert done.status is DeadlineStatus.DONE


def test_an_extension_refreshes_the_members_homes_with_the_new_due_date(
    app, slack_api, ref, uow_factory
):
    first = deadlines(uow_factory)[0]
    owner = OWNER[first.owner_role.value]
    click(app, slack_api, ActionId.EXTEND, f"{ref}:{first.id}", BEN)
    view = opened_view(slack_api)
    slack_api.reset()
    values = {
        BlockId.NEW_DUE_DATE: {"selected_date": "2027-01-15"},
        BlockId.EXTEND_REASON: {"value": "Police disclosure pending."},
    }
    submit(app, view, values, BEN)
    published = homes(slack_api)
    assert set(published) == MEMBERS
    [line] = [ln for ln in owned(published[owner]) if first.label in ln]
    assert "due Fri 15 Jan 2027" in line
    assert next(d for d in deadlines(uow_factory) if d.id == first.id).due_on == date(2027, 1, 15)


def test_pause_and_resume_refresh_the_members_homes(app, slack_api, ref):
    command(app, slack_api, f"pause {ref} criminal proceedings", BEN)
    assert set(homes(slack_api)) == MEMBERS
    slack_api.reset()
    command(app, slack_api, f"resume {ref} proceedings concluded", BEN)
    assert set(homes(slack_api)) == MEMBERS
