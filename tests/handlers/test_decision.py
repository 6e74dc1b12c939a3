"""The decision by signed Slack payloads: the modal, refusals, notices and the deadlines."""

from __future__ import annotations

import json
import threading
from datetime import date

import pytest
from sqlmodel import select

from bot.domain.boards import Role
from bot.domain.decisions import DecisionOutcome, Methodology
from bot.domain.protocols import Event
from messages.ids import ActionId, BlockId, CallbackId
from store.models import AuditEventRow, CaseRow, DeadlineRow, DecisionRow, MemberRow
from tests.fakes.signing import CHANNEL_ID
from tests.fakes.slack_api import dm_channel
from tests.handlers.interactions import (
    ANA,
    BEN,
    GRACE,
    PRIYA,
    SUBJECT,
    TOM,
    body_of,
    click,
    command_answer,
    opened_view,
    slash,
    submit,
)

REASONS = "Serious harm; agencies could have worked together more effectively."


@pytest.fixture
def closed(app, slack_api, ref) -> str:
    """The case with voting closed: Ben, Priya and Ana recommend a statutory review."""
    click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)
    for user in (BEN, PRIYA, ANA):
        click(app, slack_api, ActionId.VOTE_STATUTORY, ref, user)
        submit(app, opened_view(slack_api), {BlockId.RATIONALE: {"value": "Met."}}, user)
    click(app, slack_api, ActionId.CLOSE_VOTING, ref, PRIYA)
    slack_api.reset()
    return ref


def decision_values(decided_on: str = "2026-03-02", outcome: str = "statutory_review"):
    return {
        BlockId.OUTCOME: {"selected_option": {"value": outcome}},
        BlockId.DECISION_REVIEW_TYPE: {"selected_option": {"value": "lcspr"}},
        BlockId.METHODOLOGY: {"selected_option": {"value": "silp"}},
        BlockId.REASONS: {"value": REASONS},
        BlockId.DECISION_DATE: {"selected_date": decided_on},
    }


def decisions(uow_factory) -> list[DecisionRow]:
    with uow_factory() as uow:
        return list(uow.session.exec(select(DecisionRow)))


def ephemeral_text(slack_api) -> str:
    return slack_api.last("chat.postEphemeral").args["text"]


def test_the_record_decision_button_opens_the_decision_modal_for_the_decision_maker(
    app, slack_api, closed
):
    click(app, slack_api, ActionId.RECORD_DECISION, closed, GRACE)
    view = slack_api.last("views.open").args["view"]
    assert view["callback_id"] == CallbackId.DECISION_MODAL
    assert json.loads(view["private_metadata"]) == {"case": closed, "board": "surrey-children"}
    assert [b["block_id"] for b in view["blocks"]] == [
        "case_summary",
        "outcome",
        "decision_review_type",
        "methodology",
        "reasons",
        "decision_date",
    ]
    assert view["blocks"][-1]["element"]["initial_date"] == "2026-03-02"


def test_a_recorded_decision_tells_the_channel_and_dms_the_business_manager_what_is_due(
    app, slack_api, closed, uow_factory
):
    click(app, slack_api, ActionId.RECORD_DECISION, closed, GRACE)
    response = submit(app, opened_view(slack_api), decision_values(), GRACE)
    assert response.status == 200 and body_of(response) == {}

    [decision] = decisions(uow_factory)
    assert (decision.outcome, decision.review_type.value, decision.methodology) == (
        DecisionOutcome.STATUTORY_REVIEW,
        "lcspr",
        Methodology.SILP,
    )
    assert (decision.reasons, decision.decided_on, decision.decided_by) == (
        REASONS,
        date(2026, 3, 2),
        GRACE,
    )
    with uow_factory() as uow:
        rows = uow.session.exec(select(DeadlineRow).where(DeadlineRow.event == Event.DECISION))
        due = {d.rule_id: d.due_on for d in rows}
        assert uow.session.exec(select(CaseRow)).one().state.value == "decided"
    assert due["national-bodies-informed"] == date(2026, 3, 9)  # five working days after Mon 2

    notice, to_manager = slack_api.calls_to("chat.postMessage")
    assert notice.args["channel"] == CHANNEL_ID
    assert notice.args["text"] == (
        f"Decision recorded on {closed} (Child A): statutory review, "
        "Local Child Safeguarding Practice Review, decided Mon 2 Mar 2026."
    )
    assert slack_api.last("conversations.open").args["users"] == BEN
    assert to_manager.args["channel"] == dm_channel(BEN)
    assert (
        "Ofsted, the DfE and the National Panel informed of the Chair's decision: "
        "due Mon 9 Mar 2026."
    ) in to_manager.args["text"]
    lines = [b["text"]["text"] for b in to_manager.args["blocks"]][1:]
    assert len(lines) == len(due)
    assert SUBJECT not in json.dumps([c.args for c in slack_api.calls])


def test_the_same_decision_submitted_twice_is_recorded_and_announced_once(
    app, slack_api, closed, uow_factory
):
    click(app, slack_api, ActionId.RECORD_DECISION, closed, GRACE)
    form = opened_view(slack_api)
    submit(app, form, decision_values(), GRACE)
    again = submit(app, form, decision_values(), GRACE)
    assert again.status == 200 and body_of(again) == {}
    assert len(decisions(uow_factory)) == 1
    assert len(slack_api.calls_to("chat.postMessage")) == 2  # channel + business manager, once


def test_a_decision_date_in_the_future_is_a_field_error_and_records_nothing(
    app, slack_api, closed, uow_factory
):
    click(app, slack_api, ActionId.RECORD_DECISION, closed, GRACE)
    response = submit(app, opened_view(slack_api), decision_values("2026-03-03"), GRACE)
    assert body_of(response) == {
        "response_action": "errors",
        "errors": {"decision_date": "The decision date cannot be in the future."},
    }
    assert decisions(uow_factory) == []


def test_a_decision_submitted_without_a_date_is_taken_on_today(
    app, slack_api, closed, uow_factory, clock
):
    click(app, slack_api, ActionId.RECORD_DECISION, closed, GRACE)
    values = decision_values()
    values[BlockId.DECISION_DATE] = {"type": "datepicker", "selected_date": None}
    response = submit(app, opened_view(slack_api), values, GRACE)
    assert body_of(response) == {}
    [decision] = decisions(uow_factory)
    assert decision.decided_on == clock.today()  # the use case's default, said in one place


def test_a_member_who_is_not_the_decision_maker_gets_no_modal(app, slack_api, closed):
    click(app, slack_api, ActionId.RECORD_DECISION, closed, TOM)
    assert ephemeral_text(slack_api) == "Only the board's decision-maker records a decision."
    assert "views.open" not in slack_api.methods()


def test_review_decide_opens_the_modal_and_refuses_others_privately(app, slack_api, closed):
    opened, refused = (slash(app, slack_api, f"decide {closed}", user) for user in (GRACE, PRIYA))
    assert (opened.status, opened.body) == (200, "")  # the modal opens; the ack says nothing
    assert slack_api.last("views.open").args["view"]["callback_id"] == CallbackId.DECISION_MODAL
    reply = command_answer(refused)
    assert reply["response_type"] == "ephemeral"
    assert reply["text"] == "Only the board's decision-maker records a decision."
    assert len(slack_api.calls_to("views.open")) == 1
    assert slack_api.calls_to("response_url") == []


def test_authorisation_is_checked_again_on_submission(app, slack_api, closed, uow_factory):
    click(app, slack_api, ActionId.RECORD_DECISION, closed, GRACE)
    response = submit(app, opened_view(slack_api), decision_values(), TOM)
    pushed = body_of(response)
    assert pushed["response_action"] == "push"
    assert pushed["view"]["blocks"][0]["text"]["text"].startswith(":warning: Only the ")
    assert decisions(uow_factory) == []


def test_a_second_decision_is_refused_on_open_and_on_submission(
    app, slack_api, closed, uow_factory
):
    click(app, slack_api, ActionId.RECORD_DECISION, closed, GRACE)
    second_form_first = opened_view(slack_api)
    click(app, slack_api, ActionId.RECORD_DECISION, closed, GRACE)
    submit(app, opened_view(slack_api), decision_values(), GRACE)
    click(app, slack_api, ActionId.RECORD_DECISION, closed, GRACE)
    assert ephemeral_text(slack_api) == f"A decision on {closed} is already recorded."
    pushed = body_of(submit(app, second_form_first, decision_values(), GRACE))
    assert pushed["view"]["blocks"][0]["text"]["text"] == (
        f":warning: A decision on {closed} was already recorded by Grace Mensah on 2026-03-02."
    )
    assert len(decisions(uow_factory)) == 1


def test_a_decision_before_voting_closes_is_refused(app, slack_api, ref, uow_factory):
    click(app, slack_api, ActionId.RECORD_DECISION, ref, GRACE)
    pushed = body_of(submit(app, opened_view(slack_api), decision_values(), GRACE))
    assert pushed["response_action"] == "push"
    assert decisions(uow_factory) == []


def test_a_case_from_referral_to_decision_with_a_conflict_and_a_changed_vote(
    app, slack_api, ref, uow_factory
):
    def vote(user, action, rationale):
        click(app, slack_api, action, ref, user)
        submit(app, opened_view(slack_api), {BlockId.RATIONALE: {"value": rationale}}, user)

    click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)
    vote(TOM, ActionId.VOTE_STATUTORY, "Criteria met.")
    click(app, slack_api, ActionId.DECLARE_CONFLICT, ref, TOM)
    submit(app, opened_view(slack_api), {BlockId.CONFLICT_REASON: {"value": "Related."}}, TOM)
    vote(BEN, ActionId.VOTE_MORE_INFO, "Waiting for health chronology.")
    vote(BEN, ActionId.VOTE_STATUTORY, "Chronology in: criteria met.")
    vote(PRIYA, ActionId.VOTE_STATUTORY, "Serious harm.")
    vote(ANA, ActionId.VOTE_NFA, "Single-agency learning.")
    vote(GRACE, ActionId.VOTE_NFA, "Not a voter.")  # refused: no modal, so no new ballot
    click(app, slack_api, ActionId.CLOSE_VOTING, ref, PRIYA)
    dm = slack_api.calls_to("chat.postMessage")[0]
    assert dm.args["channel"] == dm_channel(GRACE)
    assert (
        "Tom Hughes: " not in dm.args["text"] and "Ben Okafor: Statutory review" in dm.args["text"]
    )
    assert "Ana Kowalski: No further action (dissent)" in dm.args["text"]

    click(app, slack_api, ActionId.RECORD_DECISION, ref, GRACE)
    submit(app, opened_view(slack_api), decision_values(), GRACE)
    [decision] = decisions(uow_factory)
    assert (decision.outcome, decision.decided_by) == (DecisionOutcome.STATUTORY_REVIEW, GRACE)
    with uow_factory() as uow:
        rows = uow.session.exec(select(DeadlineRow).where(DeadlineRow.event == Event.DECISION))
        due = {d.rule_id: (d.event_date, d.due_on) for d in rows}
    assert due["national-bodies-informed"] == (date(2026, 3, 2), date(2026, 3, 9))
    assert SUBJECT not in json.dumps([c.args for c in slack_api.calls])


def test_two_decision_makers_submitting_at_the_same_moment_record_one_decision_and_one_is_told(
    app, slack_api, closed, uow_factory, clock
):
    dee = "U0DEE00011"
    with uow_factory() as uow:
        second = MemberRow(
            board_id="surrey-children", slack_id=dee, name="Dee Patel", joined_at=clock.now()
        )
        uow.members.add(second)
        uow.members.set_roles(second.id, {Role.DECISION_MAKER})
        uow.commit()
    forms = {}
    for user in (GRACE, dee):
        click(app, slack_api, ActionId.RECORD_DECISION, closed, user)
        forms[user] = opened_view(slack_api)
    assert forms[GRACE]["id"] != forms[dee]["id"]
    slack_api.reset()
    barrier = threading.Barrier(2)
    answers: dict[str, dict] = {}

    def decide(user: str) -> None:
        barrier.wait(timeout=10)
        answers[user] = body_of(submit(app, forms[user], decision_values(), user))

    threads = [threading.Thread(target=decide, args=(user,)) for user in (GRACE, dee)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    [decision] = decisions(uow_factory)
    winner = decision.decided_by
    loser = dee if winner == GRACE else GRACE
    winner_name = "Grace Mensah" if winner == GRACE else "Dee Patel"
    assert answers[winner] == {}
    assert answers[loser]["response_action"] == "push"
    assert answers[loser]["view"]["blocks"][0]["text"]["text"] == (
        f":warning: A decision on {closed} was already recorded by {winner_name} on 2026-03-02."
    )
    with uow_factory() as uow:
        recorded = uow.session.exec(
            select(AuditEventRow).where(AuditEventRow.action == "decision_recorded")
        ).all()
    assert [row.actor for row in recorded] == [winner]
    notices = [c for c in slack_api.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL_ID]
    assert len(notices) == 1
    assert notices[0].args["text"].startswith(f"Decision recorded on {closed} (Child A)")
