"""Extending deadlines by signed Slack payloads: ``/review extend REF`` and the reminder's button.

A Surrey referral leaves two running deadlines: the sub-group's recommendation (the chair's) and
the decision (the decision-maker's), due on different days.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from bot.domain.deadlines import DeadlineStatus
from bot.services.deadlines import ExtendDeadline, MarkDone, extend_deadline, mark_done
from messages.ids import ActionId, BlockId, CallbackId
from messages.render import clip, day
from store.models import AuditEventRow
from tests.handlers.interactions import (
    BEN,
    SUBJECT,
    TOM,
    audit_rows,
    body_of,
    click,
    command_answer,
    deadline_rows,
    opened_view,
    refer,
    slash,
    submit,
)


def extensions(uow_factory) -> list[AuditEventRow]:
    return audit_rows(uow_factory, "deadline_extended")


def fields(deadline_id: int | str, new_due: date | None, reason: str) -> dict:
    """The modal's state as Slack submits it."""
    values: dict = {
        BlockId.EXTEND_DEADLINE: {"selected_option": {"value": str(deadline_id)}},
        BlockId.EXTEND_REASON: {"value": reason},
    }
    values[BlockId.NEW_DUE_DATE] = {"selected_date": new_due.isoformat() if new_due else None}
    return values


def extend(uow_factory, clock, deadline_id: int, new_due: date) -> date:
    """Extend a deadline through the service (set-up), as the business manager."""
    with uow_factory() as uow:
        extend_deadline(
            ExtendDeadline(deadline_id, BEN, new_due, "Set-up"), uow=uow, now=clock.now()
        )
    return new_due


def picker(view: dict) -> dict:
    [block] = [b for b in view["blocks"] if b.get("block_id") == BlockId.EXTEND_DEADLINE]
    assert block["type"] == "input"
    return block["element"]


def test_review_extend_lists_the_running_deadlines_with_the_next_one_chosen(
    app, slack_api, ref, uow_factory, clock
):
    first, second = deadline_rows(uow_factory)  # both due Thu 2 Apr: extend one to order them
    later = extend(uow_factory, clock, first.id, first.due_on + timedelta(days=14))

    slash(app, slack_api, f"extend {ref.lower()}")

    view = opened_view(slack_api)
    assert view["callback_id"] == CallbackId.EXTEND_MODAL
    select_ = picker(view)
    assert select_["type"] == "static_select"
    assert [(o["value"], o["text"]["text"]) for o in select_["options"]] == [
        (str(second.id), f"{clip(second.label, 53)} - due {day(second.due_on)}"),
        (str(first.id), f"{clip(first.label, 53)} - due {day(later)}"),
    ]
    assert select_["initial_option"]["value"] == str(second.id)
    assert json.loads(view["private_metadata"])["case"] == ref
    assert view["blocks"][0]["text"]["text"].startswith(f"*{ref}* (Child A)")
    assert SUBJECT not in json.dumps(view)


def test_a_deadline_already_done_is_not_offered(app, slack_api, ref, uow_factory, clock):
    first, second = deadline_rows(uow_factory)
    with uow_factory() as uow:
        mark_done(MarkDone(first.id, BEN), uow=uow, now=clock.now())

    slash(app, slack_api, f"extend {ref}")

    select_ = picker(opened_view(slack_api))
    assert [o["value"] for o in select_["options"]] == [str(second.id)]
    assert select_["initial_option"]["value"] == str(second.id)


def test_extending_the_second_deadline_moves_only_that_one_audits_it_and_status_shows_it(
    app, slack_api, ref, uow_factory
):
    first, second = deadline_rows(uow_factory)
    slash(app, slack_api, f"extend {ref}")
    new_due = second.due_on + timedelta(days=28)

    answer = submit(app, opened_view(slack_api), fields(second.id, new_due, "Police asked"), BEN)

    assert body_of(answer) == {}
    rows = {d.id: d for d in deadline_rows(uow_factory)}
    assert (rows[second.id].due_on, rows[second.id].status) == (new_due, DeadlineStatus.EXTENDED)
    assert rows[second.id].reason == "Police asked"
    assert (rows[first.id].due_on, rows[first.id].status) == (first.due_on, DeadlineStatus.OPEN)
    [audit] = extensions(uow_factory)
    assert (audit.case_reference, audit.actor, audit.entity_id) == (ref, BEN, str(second.id))
    shown = json.dumps(command_answer(slash(app, slack_api, f"status {ref}")))
    assert f"{second.label}: due {day(new_due)}" in shown
    assert f"(extended from {day(second.due_on)})" in shown


def test_a_date_not_after_the_chosen_deadline_and_a_blank_reason_are_field_errors(
    app, slack_api, ref, uow_factory, clock
):
    first, second = deadline_rows(uow_factory)
    later = extend(uow_factory, clock, first.id, first.due_on + timedelta(days=14))
    slash(app, slack_api, f"extend {ref}")
    view = opened_view(slack_api)
    between = second.due_on + timedelta(days=7)  # after the second's due date, not the first's

    refused = submit(app, view, fields(first.id, between, "  "), BEN)
    missing = submit(app, view, fields(first.id, None, ""), BEN)

    assert body_of(refused)["response_action"] == "errors"
    assert body_of(refused)["errors"] == {
        BlockId.NEW_DUE_DATE: f"The new date must be after the current due date ({day(later)}).",
        BlockId.EXTEND_REASON: "Please give a reason; an extension or pause is recorded with it.",
    }
    assert body_of(missing)["errors"] == {
        BlockId.NEW_DUE_DATE: "Choose the new due date.",
        BlockId.EXTEND_REASON: "Give the reason for the extension.",
    }
    rows = {d.id: d for d in deadline_rows(uow_factory)}
    assert (rows[first.id].due_on, rows[second.id].due_on) == (later, second.due_on)
    assert len(extensions(uow_factory)) == 1  # the set-up's own

    accepted = submit(app, view, fields(second.id, between, "Police asked"), BEN)

    assert body_of(accepted) == {}
    assert next(d for d in deadline_rows(uow_factory) if d.id == second.id).due_on == between


def test_a_deadline_done_since_the_modal_opened_is_an_error_on_the_picker(
    app, slack_api, ref, uow_factory, clock
):
    first, _ = deadline_rows(uow_factory)
    slash(app, slack_api, f"extend {ref}")
    with uow_factory() as uow:
        mark_done(MarkDone(first.id, BEN), uow=uow, now=clock.now())

    answer = submit(app, opened_view(slack_api), fields(first.id, date(2026, 12, 1), "Trial"), BEN)

    assert body_of(answer)["errors"] == {
        BlockId.EXTEND_DEADLINE: "That deadline is done; only a running one can be extended."
    }
    row = next(d for d in deadline_rows(uow_factory) if d.id == first.id)
    assert (row.due_on, row.status) == (first.due_on, DeadlineStatus.DONE)
    assert extensions(uow_factory) == []


def test_a_deadline_of_another_case_is_refused_on_the_picker(
    app, slack_api, ref, uow_factory, clock
):
    ours = {d.id: d.due_on for d in deadline_rows(uow_factory)}
    other = refer(uow_factory, clock)
    theirs = [d for d in deadline_rows(uow_factory) if d.id not in ours]
    slash(app, slack_api, f"extend {ref}")

    # A forged option value: the id of the other case's deadline.
    answer = submit(
        app, opened_view(slack_api), fields(theirs[0].id, date(2026, 12, 1), "Trial"), BEN
    )

    assert other != ref and len(theirs) == 2
    assert body_of(answer)["errors"] == {
        BlockId.EXTEND_DEADLINE: f"That deadline is not one of {ref}'s."
    }
    assert {d.id: (d.due_on, d.status) for d in deadline_rows(uow_factory)} == {
        **{i: (due, DeadlineStatus.OPEN) for i, due in ours.items()},
        **{d.id: (d.due_on, DeadlineStatus.OPEN) for d in theirs},
    }
    assert extensions(uow_factory) == []


def test_a_member_without_the_owner_role_is_refused_before_the_modal_and_on_submit(
    app, slack_api, ref, uow_factory
):
    first, _ = deadline_rows(uow_factory)
    refusal = json.dumps(command_answer(slash(app, slack_api, f"extend {ref}", user=TOM)))
    opened_for_tom = slack_api.calls_to("views.open")
    slash(app, slack_api, f"extend {ref}", user=BEN)  # a modal opened for Ben, submitted by Tom

    answer = submit(app, opened_view(slack_api), fields(first.id, date(2026, 12, 1), "Trial"), TOM)

    assert opened_for_tom == []
    assert "Only the business manager or a deadline" in refusal and ref in refusal
    [(block, message)] = body_of(answer)["errors"].items()
    assert block == BlockId.EXTEND_DEADLINE and message.startswith("Only the business manager")
    assert deadline_rows(uow_factory)[0].due_on == first.due_on
    assert extensions(uow_factory) == []


def test_the_reminders_extend_button_chooses_its_own_deadline_and_extends_it(
    app, slack_api, ref, uow_factory
):
    first, second = deadline_rows(uow_factory)

    click(app, slack_api, ActionId.EXTEND, f"{ref}:{second.id}", BEN)
    view = opened_view(slack_api)
    chosen = picker(view)["initial_option"]["value"]
    new_due = second.due_on + timedelta(days=7)
    answer = submit(app, view, fields(chosen, new_due, "Inquest adjourned"), BEN)

    assert chosen == str(second.id)
    assert body_of(answer) == {}
    rows = {d.id: d for d in deadline_rows(uow_factory)}
    assert (rows[first.id].due_on, rows[second.id].due_on) == (first.due_on, new_due)


def test_a_modal_opened_before_the_picker_existed_still_extends_its_own_deadline(
    app, slack_api, ref, uow_factory, clock
):
    first, second = deadline_rows(uow_factory)
    click(app, slack_api, ActionId.EXTEND, f"{ref}:{second.id}", BEN)
    old = dict(opened_view(slack_api))
    old["blocks"] = [b for b in old["blocks"] if b.get("block_id") != BlockId.EXTEND_DEADLINE]
    old["private_metadata"] = json.dumps({"deadline": second.id, "due": str(second.due_on)})
    new_due = second.due_on + timedelta(days=7)
    values = {
        BlockId.NEW_DUE_DATE: {"selected_date": new_due.isoformat()},
        BlockId.EXTEND_REASON: {"value": "Police asked"},
    }

    answer = submit(app, old, values, BEN)
    with uow_factory() as uow:
        mark_done(MarkDone(second.id, BEN), uow=uow, now=clock.now())
    again = submit(app, old, values, BEN)

    assert body_of(answer) == {}
    rows = {d.id: d for d in deadline_rows(uow_factory)}
    assert (rows[first.id].due_on, rows[second.id].due_on) == (first.due_on, new_due)
    # Without the picker, a refusal of the deadline shows on a block the old modal has.
    assert body_of(again)["errors"] == {
        BlockId.EXTEND_REASON: "That deadline is done; only a running one can be extended."
    }
