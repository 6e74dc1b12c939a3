"""Extending, pausing, resuming and completing deadlines: reasons required, all audited."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot.clock import LONDON
from bot.domain.deadlines import ExtensionField, ExtensionRefused
from bot.domain.errors import InvalidInput, NotAllowed, NotFound
from bot.services.deadlines import (
    ExtendDeadline,
    MarkDone,
    PauseDeadlines,
    ResumeDeadlines,
    extend_deadline,
    mark_done,
    pause_deadlines,
    resume_deadlines,
)
from tests.services.conftest import BEN, GRACE, OUTSIDER, PRIYA, TOM, payload


@pytest.fixture
def referred(refer):
    """A Surrey referral: chair-decision (decision-maker) and sub-group-recommendation (chair)."""
    out = refer()
    by_rule = {d.rule_id: d for d in out.deadlines}
    return out.case.reference, by_rule["chair-decision"], by_rule["sub-group-recommendation"]


def test_an_extension_moves_the_date_and_keeps_the_reason(referred, run, uow_factory, audit_rows):
    ref, decision, _ = referred
    out = run(
        extend_deadline,
        ExtendDeadline(
            decision.id, BEN, date(2026, 4, 30), "Criminal trial of the father in April"
        ),
    )
    assert (out.due_before, out.deadline.due_on, out.deadline.status.value) == (
        date(2026, 4, 2),
        date(2026, 4, 30),
        "extended",
    )
    with uow_factory() as uow:
        row = uow.deadlines.get(decision.id)
    assert (row.due_on, row.original_due_on, row.reason) == (
        date(2026, 4, 30),
        date(2026, 4, 2),
        "Criminal trial of the father in April",
    )
    (event,) = audit_rows(ref, "deadline_extended")
    before, after = payload(event)
    assert before == {"rule": "chair-decision", "due": "2026-04-02"}
    assert after["due"] == "2026-04-30" and after["status"] == "extended"
    assert "trial" not in event.after


@pytest.mark.parametrize(
    ("new_due", "reason", "fields", "message"),
    [
        (date(2026, 4, 30), "  ", {ExtensionField.REASON}, "reason"),
        (
            date(2026, 4, 2),
            "x",
            {ExtensionField.NEW_DUE},
            r"after the current due date \(Thu 2 Apr",
        ),
        (date(2026, 3, 1), "", {ExtensionField.REASON, ExtensionField.NEW_DUE}, "reason.*after"),
    ],
)
def test_an_extension_needs_a_reason_and_a_later_date(
    referred, run, uow_factory, new_due, reason, fields, message
):
    _, decision, _ = referred
    with pytest.raises(ExtensionRefused, match=message) as refused:
        run(extend_deadline, ExtendDeadline(decision.id, BEN, new_due, reason))
    assert set(refused.value.problems) == fields and isinstance(refused.value, InvalidInput)
    with uow_factory() as uow:
        assert uow.deadlines.get(decision.id).due_on == date(2026, 4, 2)


def test_an_extension_chosen_from_one_case_refuses_a_deadline_of_another(
    referred, refer, run, uow_factory, audit_rows
):
    ref, decision, _ = referred
    other = refer(pseudonym="Child B").case.reference

    with pytest.raises(ExtensionRefused, match=f"not one of {other}") as refused:
        run(
            extend_deadline,
            ExtendDeadline(decision.id, BEN, date(2026, 4, 30), "Trial", case_ref=other),
        )
    out = run(
        extend_deadline,
        ExtendDeadline(decision.id, BEN, date(2026, 4, 30), "Trial", case_ref=ref.lower()),
    )

    assert set(refused.value.problems) == {ExtensionField.DEADLINE}
    assert out.deadline.due_on == date(2026, 4, 30)
    assert len(audit_rows(ref, "deadline_extended")) == 1
    assert audit_rows(other, "deadline_extended") == []


def test_a_deadline_no_longer_running_is_not_extended(referred, run, uow_factory):
    ref, _, recommendation = referred
    run(mark_done, MarkDone(recommendation.id, BEN))

    with pytest.raises(ExtensionRefused, match="done") as refused:
        run(
            extend_deadline,
            ExtendDeadline(recommendation.id, BEN, date(2026, 5, 1), "Late", case_ref=ref),
        )

    assert set(refused.value.problems) == {ExtensionField.DEADLINE}
    with uow_factory() as uow:
        assert uow.deadlines.get(recommendation.id).due_on == recommendation.due_on


def test_the_owner_may_extend_their_own_deadline_but_a_member_may_not(referred, run):
    _, decision, _ = referred
    run(extend_deadline, ExtendDeadline(decision.id, GRACE, date(2026, 4, 9), "Peer challenge"))
    with pytest.raises(NotAllowed, match="business manager or the decision-maker"):
        run(extend_deadline, ExtendDeadline(decision.id, TOM, date(2026, 4, 16), "x"))


def test_a_deadline_of_another_board_is_not_found(referred, run):
    _, decision, _ = referred
    with pytest.raises(NotFound):
        run(mark_done, MarkDone(decision.id, OUTSIDER))
    with pytest.raises(NotFound):
        run(mark_done, MarkDone(99999, BEN))


def test_marking_done_records_who_and_when_once(referred, run, audit_rows, clock):
    ref, _, recommendation = referred
    first = run(mark_done, MarkDone(recommendation.id, PRIYA))
    again = run(mark_done, MarkDone(recommendation.id, PRIYA))
    assert (first.changed, again.changed, first.deadline.status.value) == (True, False, "done")
    (event,) = audit_rows(ref, "deadline_done")
    assert event.actor == PRIYA and payload(event)[0] == {
        "rule": "sub-group-recommendation",
        "status": "open",
    }


def test_pausing_stops_the_clocks_and_resuming_counts_the_days_left_from_then(
    referred, run, clock, uow_factory, audit_rows
):
    ref, decision, recommendation = referred
    paused = run(pause_deadlines, PauseDeadlines(ref, BEN, "Criminal proceedings"))
    assert {d.status.value for d in paused.deadlines} == {"paused"}
    assert {d.id for d in paused.deadlines} == {decision.id, recommendation.id}
    # Paused on Mon 2 March with 23 working days left; resumed on Mon 16 March.
    clock.set(datetime(2026, 3, 16, 9, 0, tzinfo=LONDON))
    resumed = run(resume_deadlines, ResumeDeadlines(ref, BEN, "Trial concluded"))
    assert {(d.due_on, d.status.value, d.working_days_left) for d in resumed.deadlines} == {
        (date(2026, 4, 20), "extended", 23)  # Good Friday and Easter Monday skipped
    }
    with uow_factory() as uow:
        row = uow.deadlines.get(decision.id)
        assert (row.paused_on, row.reason) == (None, "Trial concluded")
    assert [r.action for r in audit_rows(ref)][-2:] == ["deadlines_paused", "deadlines_resumed"]
    before, after = payload(audit_rows(ref, "deadlines_resumed")[0])
    assert before["deadlines"][0]["due"] == "2026-04-02"
    assert after["deadlines"][0]["due"] == "2026-04-20"


def test_one_deadline_can_be_paused_alone(referred, run):
    ref, decision, _ = referred
    out = run(pause_deadlines, PauseDeadlines(ref, BEN, "Inquest", deadline_id=decision.id))
    assert [d.id for d in out.deadlines] == [decision.id]


def test_pause_needs_a_reason_and_the_business_manager(referred, run):
    ref, _, _ = referred
    with pytest.raises(InvalidInput, match="reason"):
        run(pause_deadlines, PauseDeadlines(ref, BEN, ""))
    with pytest.raises(NotAllowed, match="Only the business manager"):
        run(pause_deadlines, PauseDeadlines(ref, PRIYA, "x"))


def test_resuming_with_nothing_paused_is_refused(referred, run, clock):
    ref, _, _ = referred
    clock.advance(timedelta(days=1))
    with pytest.raises(InvalidInput, match="no paused deadline"):
        run(resume_deadlines, ResumeDeadlines(ref, BEN))
