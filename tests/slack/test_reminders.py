"""Reminder buttons and deadline commands by signed Slack payloads: done, extend, pause, resume."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from bot.domain.deadlines import DeadlineStatus
from messages.ids import ActionId, BlockId, CallbackId
from store.models import AuditEventRow, DeadlineRow
from tests.fakes.signing import bolt_request, slash_command_body
from tests.slack.interactions import BEN, SUBJECT, body_of, click, opened_view, submit


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


def test_extend_opens_a_modal_whose_date_and_reason_are_checked_before_extending(
    app, slack_api, ref, uow_factory
):
    first = deadlines(uow_factory)[0]
    click(app, slack_api, ActionId.EXTEND, f"{ref}:{first.id}", BEN)
    view = opened_view(slack_api)
    assert view["callback_id"] == CallbackId.EXTEND_MODAL
    assert SUBJECT not in str(view)

    too_early = submit(
        app,
        view,
        {
            BlockId.NEW_DUE_DATE: {"selected_date": first.due_on.isoformat()},
            BlockId.EXTEND_REASON: {"value": " "},
        },
        BEN,
    )
    later = date(first.due_on.year + 1, 1, 15).isoformat()
    extended = submit(
        app,
        view,
        {
            BlockId.NEW_DUE_DATE: {"selected_date": later},
            BlockId.EXTEND_REASON: {"value": "Police asked"},
        },
        BEN,
    )

    errors = body_of(too_early)["errors"]
    assert set(errors) == {BlockId.NEW_DUE_DATE, BlockId.EXTEND_REASON}
    assert body_of(extended) == {}
    row = next(d for d in deadlines(uow_factory) if d.id == first.id)
    assert row.due_on.isoformat() == later and row.status is DeadlineStatus.EXTENDED
    assert row.reason == "Police asked"
    [audit] = audited(uow_factory, "deadline_extended")
    assert audit.case_reference == ref and audit.actor == BEN


def test_review_extend_ref_opens_the_extend_modal_for_the_next_deadline(
    app, slack_api, ref, uow_factory
):
    command(app, slack_api, f"extend {ref}")

    view = opened_view(slack_api)
    assert view["callback_id"] == CallbackId.EXTEND_MODAL
    assert ref in str(view["blocks"][0])


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
