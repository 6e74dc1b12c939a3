"""The App Home: published when opened, what the person owes first, reference and pseudonym."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

from sqlmodel import select

from messages.ids import ActionId, CallbackId
from store.models import OutboxRow
from tests.fakes.signing import TEAM_ID, bolt_request, load_payload
from tests.handlers.interactions import PRIYA, TOM, click


def open_home(app, user: str, tab: str = "home"):
    payload = copy.deepcopy(load_payload("app_home_opened_home_tab.json"))
    payload["team_id"] = TEAM_ID
    payload["event"].update(user=user, tab=tab)
    return app.dispatch(bolt_request(json.dumps(payload)))


def texts(view: dict) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]


def test_opening_the_home_tab_publishes_the_persons_home(app, slack_api, ref):
    response = open_home(app, TOM)
    assert response.status == 200
    call = slack_api.last("views.publish")
    assert call.args["user_id"] == TOM
    view = call.args["view"]
    assert (view["type"], view["callback_id"]) == ("home", CallbackId.HOME)
    assert view["blocks"][1]["elements"][0]["action_id"] == ActionId.REFER_CASE
    sections = texts(view)
    assert sections[0] == "*Waiting for your vote* (0)"
    assert "*Open cases on your boards* (1)" in sections
    assert sections[-1].startswith(f"*{ref}* · Child A · referred\nNext: ")


def test_the_messages_tab_publishes_nothing(app, slack_api, ref):
    open_home(app, TOM, tab="messages")
    assert "views.publish" not in slack_api.methods()


def test_a_case_open_for_votes_waits_for_a_members_vote_on_their_home(app, slack_api, ref):
    click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)
    open_home(app, TOM)
    sections = texts(slack_api.last("views.publish").args["view"])
    assert sections[0] == "*Waiting for your vote* (1)"
    assert sections[1] == f":ballot_box_with_ballot: *{ref}* · Child A"


def test_the_deadlines_a_person_owns_are_listed_overdue_first(app, slack_api, ref, clock):
    clock.advance(timedelta(days=120))
    open_home(app, PRIYA)  # the chair owns the sub-group's recommendation
    sections = texts(slack_api.last("views.publish").args["view"])
    heading = sections.index("*Deadlines you own* (1)")
    assert sections[heading + 1].startswith(f":warning: *OVERDUE* *{ref}* · Child A: ")
    assert "overdue by" in sections[heading + 1]


def test_opening_the_home_is_answered_before_the_home_is_published_and_owes_it_once(
    app, slack_api, ref, uow_factory
):
    open_home(app, TOM)
    with uow_factory() as uow:
        [row] = [r for r in uow.session.exec(select(OutboxRow)) if r.kind == "home"]
    assert (row.recipient, row.template, row.board_id, row.payload) == (TOM, "home", None, None)
    assert row.sent_at is not None  # drawn when sent: no home is stored
    assert [c.args["user_id"] for c in slack_api.calls_to("views.publish")] == [TOM]
