"""Reminder buttons and deadline commands by signed Slack payloads: done, pause, resume.

Extending (the Extend button and ``/review extend``): ``test_extend.py``.
"""

from __future__ import annotations

from bot.domain.deadlines import DeadlineStatus
from messages.ids import ActionId
from tests.handlers.interactions import (
    BEN,
    SUBJECT,
    audit_rows,
    click,
    command_answer,
    deadline_rows,
    slash,
)


def test_mark_done_on_a_reminder_marks_the_deadline_done_and_audits_it(
    app, slack_api, ref, uow_factory
):
    first = deadline_rows(uow_factory)[0]

    click(app, slack_api, ActionId.MARK_DONE, f"{ref}:{first.id}", BEN)

    done = next(d for d in deadline_rows(uow_factory) if d.id == first.id)
    assert done.status is DeadlineStatus.DONE and done.completed_by == BEN
    [row] = audit_rows(uow_factory, "deadline_done") or audit_rows(
        uow_factory, "deadline_completed"
    )
    assert row.case_reference == ref and row.actor == BEN
    answer = slack_api.calls_to("response_url")[-1].args
    assert "marked done" in answer["text"] and ref in answer["text"]
    assert SUBJECT not in answer["text"]


def test_pause_and_resume_need_a_reason_change_the_deadlines_and_are_audited(
    app, slack_api, ref, uow_factory
):
    asked = command_answer(slash(app, slack_api, f"pause {ref}"))
    assert asked["text"] == (
        "Give the case and the reason, for example `/review pause SCR-2026-003 criminal "
        "proceedings`."
    )
    assert audit_rows(uow_factory, "deadlines_paused") == []

    paused_answer = command_answer(slash(app, slack_api, f"pause {ref} criminal proceedings"))
    assert {d.status for d in deadline_rows(uow_factory)} <= {
        DeadlineStatus.PAUSED,
        DeadlineStatus.CANCELLED,
        DeadlineStatus.DONE,
    }
    assert paused_answer["text"].startswith("Paused ")
    assert f" deadline(s) of {ref}:\n• " in paused_answer["text"]
    [paused] = audit_rows(uow_factory, "deadlines_paused")
    assert paused.case_reference == ref

    resumed = command_answer(slash(app, slack_api, f"resume {ref} proceedings concluded"))
    assert any(d.status.is_running for d in deadline_rows(uow_factory))
    assert resumed["text"].startswith("Resumed ") and ref in resumed["text"]
    assert slack_api.calls_to("response_url") == []
    assert len(audit_rows(uow_factory, "deadlines_resumed")) == 1


def test_open_case_shows_the_case_status_with_a_paused_deadline_and_its_reason(
    app, slack_api, ref, uow_factory
):
    slash(app, slack_api, f"pause {ref} criminal proceedings")

    click(app, slack_api, ActionId.OPEN_CASE, ref, BEN)

    answer = slack_api.calls_to("response_url")[-1].args
    shown = str(answer)
    assert ref in shown and "Child A" in shown
    assert "paused" in shown.lower()
    assert SUBJECT not in shown
