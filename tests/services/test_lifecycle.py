"""Information requests, key dates, conversions and the steps from decision to closure."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.board_file import parse_board_file
from bot.domain.boards import ReviewType
from bot.domain.cases import CaseState, Trigger
from bot.domain.decisions import DecisionOutcome as O
from bot.domain.errors import InvalidInput, InvalidTransition, NotAllowed
from bot.domain.protocols import Event
from bot.services.boards import sync_boards
from bot.services.cases import ReferCase, refer_case
from bot.services.conversion import ConvertReview, convert_review
from bot.services.deadlines import MarkDone, mark_done
from bot.services.decisions import RecordDecision, record_decision
from bot.services.key_dates import RecordKeyDate, record_key_date
from bot.services.lifecycle import (
    AdvanceCase,
    RecordInformationReturn,
    RequestInformation,
    advance_case,
    record_information_return,
    request_information,
)
from tests.services.conftest import BEN, GRACE, PRIYA, SURREY, TOM, payload

TWO_BOARDS = """
[[boards]]
id = "bath-children"
name = "Bath and North East Somerset LSCB"
kind = "children"
nation = "england"
protocol = "bath-ne-somerset"
channel = "C0BATH0001"

[[boards.members]]
slack_id = "U0BEN00001"
name = "Ben Okafor"
roles = ["business_manager", "member"]

[[boards]]
id = "wt2023-children"
name = "A Working Together 2023 partnership"
kind = "children"
nation = "england"
protocol = "england-children-2023"
channel = "C0WT2023001"

[[boards.members]]
slack_id = "U0BEN00001"
name = "Ben Okafor"
roles = ["business_manager"]
"""


@pytest.fixture
def other_boards(uow_factory, clock) -> None:
    """Two boards on the Bath and the Working Together 2023 presets, Ben managing both."""
    with uow_factory() as uow:
        sync_boards(parse_board_file(TWO_BOARDS, "two.toml"), uow=uow, now=clock.now())


def test_surrey_requests_need_a_due_date_because_its_protocol_sets_none(refer, run, case_row):
    ref = refer().case.reference
    with pytest.raises(InvalidInput, match="give the date the information is due"):
        run(request_information, RequestInformation(ref, BEN, ("Surrey Police",)))
    assert case_row(ref).state is CaseState.REFERRED


def test_an_information_request_per_agency_carries_its_own_deadline(refer, run, audit_rows):
    ref = refer().case.reference
    cmd = RequestInformation(
        ref,
        BEN,
        ("Surrey Police", "GP practice", "Surrey Police"),
        due_on=date(2026, 3, 13),
        note="Chronology of Zebedee please",
    )
    out = run(request_information, cmd)
    assert out.case.state is CaseState.GATHERING
    assert [(r.agency, r.due_on) for r in out.requests] == [
        ("Surrey Police", date(2026, 3, 13)),
        ("GP practice", date(2026, 3, 13)),
    ]
    assert [(d.label, d.owner_role.value, d.working_days_left) for d in out.deadlines] == [
        ("Information returned: Surrey Police", "business_manager", 9),
        ("Information returned: GP practice", "business_manager", 9),
    ]
    (event,) = audit_rows(ref, "information_requested")
    before, after = payload(event)
    assert before == {"state": "referred"}
    assert after["agencies"] == ["Surrey Police", "GP practice"] and "Zebedee" not in event.after


def test_a_bath_request_is_due_in_five_working_days_and_its_return_meets_it(
    other_boards, run, uow_factory
):
    case = run(refer_case, ReferCase("bath-children", BEN, ReviewType.SCR, "Child B")).case
    out = run(request_information, RequestInformation(case.reference, BEN, ("Avon Police",)))
    (deadline,) = out.deadlines
    # 003 §4.3: "within 5 working days"; Monday 2 March 2026 -> Monday 9 March.
    assert (deadline.rule_id, deadline.due_on) == ("agency-information-returned", date(2026, 3, 9))
    cmd = RecordInformationReturn(case.reference, BEN, out.requests[0].id)
    returned = run(record_information_return, cmd)
    again = run(record_information_return, cmd)
    assert (returned.changed, again.changed) == (True, False)
    assert returned.request.returned_at is not None
    with uow_factory() as uow:
        row = uow.deadlines.get(deadline.id)
        assert (row.status.value, row.completed_by) == ("done", BEN)


def test_only_the_manager_or_chair_requests_information(refer, run):
    ref = refer().case.reference
    with pytest.raises(NotAllowed, match="business manager or the sub-group chair"):
        run(request_information, RequestInformation(ref, TOM, ("Police",), date(2026, 3, 13)))


@pytest.fixture
def decided(refer, run, force_state) -> str:
    ref = refer().case.reference
    force_state(ref, CaseState.AWAITING_DECISION)
    cmd = RecordDecision(ref, GRACE, O.STATUTORY_REVIEW, "Met.", review_type=ReviewType.SCR)
    run(record_decision, cmd)
    return ref


def test_a_case_goes_from_decision_to_closed_with_its_deadlines(decided, run, uow_factory):
    ref = decided
    commissioned = run(advance_case, AdvanceCase(ref, BEN, Trigger.COMMISSION_REVIEW))
    # 002 §1.5: completed within six months of initiating it.
    assert [(d.rule_id, d.due_on) for d in commissioned.deadlines] == [
        ("review-completed", date(2026, 9, 2))
    ]
    assert run(advance_case, AdvanceCase(ref, PRIYA, Trigger.SUBMIT_DRAFT)).case.state is (
        CaseState.REPORTING
    )
    published = run(advance_case, AdvanceCase(ref, BEN, Trigger.PUBLISH, on=date(2026, 3, 2)))
    assert [d.rule_id for d in published.deadlines] == ["action-plan-progress-report"]
    run(advance_case, AdvanceCase(ref, BEN, Trigger.START_MONITORING))
    with pytest.raises(InvalidInput, match="still has 4 deadline"):
        run(advance_case, AdvanceCase(ref, BEN, Trigger.CLOSE))
    with uow_factory() as uow:
        owed = [
            d.id
            for d in uow.deadlines.of_case(uow.cases.by_reference(SURREY, ref).id)
            if not d.status.is_settled
        ]
    for deadline_id in owed:
        run(mark_done, MarkDone(deadline_id, BEN))
    closed = run(advance_case, AdvanceCase(ref, BEN, Trigger.CLOSE))
    assert (closed.before, closed.case.state) == (CaseState.MONITORING, CaseState.CLOSED)


def test_a_decision_not_to_review_cannot_be_commissioned(refer, run, force_state):
    ref = refer().case.reference
    force_state(ref, CaseState.AWAITING_DECISION)
    run(record_decision, RecordDecision(ref, GRACE, O.NO_REVIEW, "Not met."))
    with pytest.raises(InvalidTransition, match="was not to review"):
        run(advance_case, AdvanceCase(ref, BEN, Trigger.COMMISSION_REVIEW))


def test_steps_with_their_own_command_are_refused_here(refer, run):
    ref = refer().case.reference
    with pytest.raises(InvalidInput, match="Use its own command"):
        run(advance_case, AdvanceCase(ref, BEN, Trigger.OPEN_VOTING))


def test_a_meeting_date_starts_and_then_moves_its_deadline(refer, run, audit_rows):
    ref = refer().case.reference
    first = run(record_key_date, RecordKeyDate(ref, BEN, Event.MEETING, date(2026, 3, 20)))
    # 002 §1.1: information in more than 48 hours (two calendar days) before the meeting.
    assert [(d.rule_id, d.due_on) for d in first.deadlines] == [
        ("information-for-meeting", date(2026, 3, 18))
    ]
    moved = run(record_key_date, RecordKeyDate(ref, BEN, Event.MEETING, date(2026, 3, 27)))
    assert moved.previous == date(2026, 3, 20)
    assert [(d.id, d.due_on) for d in moved.deadlines] == [
        (first.deadlines[0].id, date(2026, 3, 25))
    ]
    _, after = payload(audit_rows(ref, "key_date_recorded")[1])
    assert after["moved"] == [{"rule": "information-for-meeting", "due": "2026-03-25"}]


def test_the_decision_date_is_set_by_recording_the_decision(refer, run):
    ref = refer().case.reference
    with pytest.raises(InvalidInput, match="record the decision"):
        run(record_key_date, RecordKeyDate(ref, BEN, Event.DECISION, date(2026, 3, 2)))


def test_a_rapid_review_converting_to_an_alternative_drops_its_rapid_review_deadline(
    other_boards, run, uow_factory, audit_rows
):
    cmd = ReferCase(
        "wt2023-children", BEN, ReviewType.RAPID_REVIEW, "Child C", aware_on=date(2026, 2, 27)
    )
    case = run(refer_case, cmd).case
    out = run(
        convert_review,
        ConvertReview(
            case.reference, BEN, ReviewType.PARTNERSHIP_REVIEW, "Panel advised a partnership review"
        ),
    )
    assert [d.rule_id for d in out.deadlines_cancelled] == ["rapid-review-to-panel"]
    assert out.case.reference == case.reference  # "RR-2026-001" stays (002 §1.1)
    with uow_factory() as uow:
        row = uow.cases.by_reference("wt2023-children", case.reference)
        (conversion,) = uow.cases.conversions(row.id)
        statuses = {d.rule_id: d.status.value for d in uow.deadlines.of_case(row.id)}
    assert (conversion.from_type, conversion.to_type) == (
        ReviewType.RAPID_REVIEW,
        ReviewType.PARTNERSHIP_REVIEW,
    )
    assert statuses == {"national-panel-notified": "open", "rapid-review-to-panel": "cancelled"}
    before, after = payload(audit_rows(case.reference, "review_converted")[0])
    assert (before["review_type"], after["review_type"]) == ("rapid_review", "partnership_review")


def test_a_rapid_review_becoming_an_lcspr_keeps_its_deadlines_and_adds_the_lcspr_ones(
    other_boards, run
):
    cmd = ReferCase(
        "wt2023-children", BEN, ReviewType.RAPID_REVIEW, "Child D", aware_on=date(2026, 2, 27)
    )
    case = run(refer_case, cmd).case
    out = run(convert_review, ConvertReview(case.reference, BEN, ReviewType.LCSPR, "Decided"))
    assert out.deadlines_cancelled == () and out.deadlines_added == ()


@pytest.mark.parametrize(
    ("to_type", "reason", "message"),
    [
        (ReviewType.SCR, "x", "already a Serious Case Review"),
        (ReviewType.SAR, "x", "not a review this board can hold"),
        (ReviewType.LCSPR, " ", "reason"),
    ],
)
def test_a_conversion_needs_a_new_fitting_type_and_a_reason(refer, run, to_type, reason, message):
    ref = refer().case.reference
    with pytest.raises(InvalidInput, match=message):
        run(convert_review, ConvertReview(ref, BEN, to_type, reason))
