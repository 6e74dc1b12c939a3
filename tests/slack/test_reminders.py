"""Reminder buttons and deadline commands by signed Slack payloads: done, pause, resume.

Extending (the Extend button and ``/review extend``): ``test_extend.py``.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.domain.deadlines import DeadlineStatus
from messages.ids import ActionId
from store.models import AuditEventRow, DeadlineRow
from tests.fakes.signing import bolt_request, slash_command_body
from tests.slack.interactions import BEN, SUBJECT, click, refer


@pytest.fixture
def app(make_bolt_app, uow_factory, clock, board):
    return make_bolt_app(uow_factory=uow_factory, clock=clock)


@pytest.fixture
def ref(uow_factory, clock, board) -> str:
    return refer(uow_factory, clock)


def deadlines(uow_factory) -> list[DeadlineRow]:
    with uow_factory() as uow:
        return list(uow.session.exec(select(DeadlineRow).order_by(DeadlineRow.due_on)))


def audited(uow_factory, action: str) -> list[AuditEventRow]:
    with uow_factory() as uow:
        return list(uow.session.exec(select(AuditEventRow).where(AuditEventRow.action == action)))


def command(app, slack_api, text: str, user: str = BEN) -> None:
    body = slash_command_body(text=text, user_id=user, response_url=slack_api.response_url("c"))
    assert app.dispatch(bolt_request(body)).status == 200


def test_mark_done_on_a_reminder_marks_the_deadline_done_and_audits_it(
    app, slack_api, ref, uow_factory
):
    first = deadlines(uow_factory)[0]

    click(app, slack_api, ActionId.MARK_DONE, f"{ref}:{first.id}", BEN)

    done = next(d for d in deadlines(uow_factory) if d.id == first.id)
    assert done.status is DeadlineStatus.DONE and done.completed_by == BEN
    [row] = audited(uow_factory, "deadline_done") or audited(uow_factory, "deadline_completed")
    assert row.case_reference == ref and row.actor == BEN
    answer = slack_api.calls_to("response_url")[-1].args
    assert "marked done" in answer["text"] and ref in answer["text"]
    assert SUBJECT not in answer["text"]


def test_pause_and_resume_need_a_reason_change_the_deadlines_and_are_audited(
    app, slack_api, ref, uow_factory
):
    command(app, slack_api, f"pause {ref}")
    assert "reason" in slack_api.calls_to("response_url")[-1].args["text"]
    assert audited(uow_factory, "deadlines_paused") == []

    command(app, slack_api, f"pause {ref} criminal proceedings")
    assert {d.status for d in deadlines(uow_factory)} <= {
        DeadlineStatus.PAUSED,
        DeadlineStatus.CANCELLED,
        DeadlineStatus.DONE,
    }
    assert "Paused" in slack_api.calls_to("response_url")[-1].args["text"]
    [paused] = audited(uow_factory, "deadlines_paused")
    assert paused.case_reference == ref

    command(app, slack_api, f"resume {ref} proceedings concluded")
    assert any(d.status.is_running for d in deadlines(uow_factory))
    assert "Resumed" in slack_api.calls_to("response_url")[-1].args["text"]
    assert len(audited(uow_factory, "deadlines_resumed")) == 1


def test_open_case_shows_the_case_status_with_a_paused_deadline_and_its_reason(
    app, slack_api, ref, uow_factory
):
    command(app, slack_api, f"pause {ref} criminal proceedings")

    click(app, slack_api, ActionId.OPEN_CASE, ref, BEN)

    answer = slack_api.calls_to("response_url")[-1].args
    shown = str(answer)
    assert ref in shown and "Child A" in shown
    assert "paused" in shown.lower()
    assert SUBJECT not in shown
