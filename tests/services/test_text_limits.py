"""Text longer than its limit, forged past Slack's client, is refused by field: nothing is written.

Every use case that stores typed text checks it against :data:`bot.domain.limits.MAX_LENGTH` and
raises :class:`~bot.domain.errors.FieldsRefused` naming the field, before any row or audit event
is written (the whole database is compared before and after).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from bot.domain.boards import ReviewType
from bot.domain.deadlines import ExtensionRefused
from bot.domain.decisions import DecisionOutcome, Methodology
from bot.domain.errors import FieldsRefused
from bot.domain.votes import Recommendation
from bot.services.cases import UpdateCaseDetails, update_case_details
from bot.services.conversion import ConvertReview, convert_review
from bot.services.deadlines import (
    ExtendDeadline,
    PauseDeadlines,
    ResumeDeadlines,
    extend_deadline,
    pause_deadlines,
    resume_deadlines,
)
from bot.services.decisions import RecordDecision, record_decision
from bot.services.lifecycle import RequestInformation, request_information
from bot.services.voting import (
    CastVote,
    CloseVoting,
    DeclareConflict,
    OpenVoting,
    cast_vote,
    close_voting,
    declare_conflict,
    open_voting,
)
from tests.services.conftest import BEN, GRACE, PRIYA, SUBJECT, TOM
from tests.snapshot import database_rows

LONG = "x" * 3001
"""One character more than any long text may be (and more than any short one)."""


@pytest.fixture
def database(uow_factory) -> Callable[[], dict[str, list[tuple[Any, ...]]]]:
    """Return every row of every table, to compare before and after a refusal."""
    return lambda: database_rows(uow_factory)


def refused(run, database, service, cmd) -> dict[str, str]:
    """Run ``service`` expecting a field refusal; check nothing changed; return its problems."""
    before = database()
    with pytest.raises(FieldsRefused) as caught:
        run(service, cmd)
    assert database() == before
    assert SUBJECT not in str(caught.value)
    return caught.value.problems


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pseudonym", "Child " + "A" * 95, "pseudonym to 100 characters"),
        ("subject_name", "Zebedee " + "Q" * 200, "subject's name to 200 characters"),
        ("address", "1 Long Road " * 50, "address to 500 characters"),
        ("summary", LONG, "summary to 3,000 characters"),
        ("referring_agency", "A" * 201, "referring agency to 200 characters"),
    ],
)
def test_a_referral_with_a_field_too_long_is_refused_under_that_field(
    refer, database, field, value, message
):
    before = database()
    with pytest.raises(FieldsRefused) as caught:
        refer(**{field: value})
    assert list(caught.value.problems) == [field]
    assert message in caught.value.problems[field]
    assert "Zebedee" not in str(caught.value)
    assert database() == before


def test_a_referral_names_every_field_too_long_at_once(refer):
    with pytest.raises(FieldsRefused) as caught:
        refer(summary=LONG, address=LONG, referring_agency=LONG)
    assert set(caught.value.problems) == {"summary", "address", "referring_agency"}


def test_text_at_its_limit_is_kept_whole(refer, uow_factory):
    referred = refer(summary="s" * 3000, pseudonym="Child " + "A" * 94)
    with uow_factory() as uow:
        case = uow.cases.by_reference("surrey-children", referred.case.reference)
        assert len(case.pseudonym) == 100
        assert len(uow.cases.subject(case.id).summary) == 3000


def test_correcting_details_with_a_summary_too_long_changes_nothing(refer, run, database):
    ref = refer().case.reference
    cmd = UpdateCaseDetails(ref, BEN, summary=LONG, referring_agency="Surrey Police CID")
    assert refused(run, database, update_case_details, cmd) == {
        "summary": "Please keep the summary to 3,000 characters or fewer."
    }


def test_a_conversion_reason_too_long_is_refused(refer, run, database):
    ref = refer().case.reference
    cmd = ConvertReview(ref, BEN, ReviewType.LCSPR, LONG)
    assert list(refused(run, database, convert_review, cmd)) == ["reason"]


@pytest.fixture
def voting_case(refer, run) -> str:
    ref = refer().case.reference
    run(open_voting, OpenVoting(ref, PRIYA))
    return ref


def test_a_rationale_too_long_records_no_vote(voting_case, run, database):
    cmd = CastVote(voting_case, TOM, Recommendation.STATUTORY_REVIEW, LONG)
    assert refused(run, database, cast_vote, cmd) == {
        "rationale": "Please keep the rationale to 3,000 characters or fewer."
    }


def test_a_conflict_reason_too_long_records_no_conflict(voting_case, run, database):
    cmd = DeclareConflict(voting_case, TOM, LONG)
    assert list(refused(run, database, declare_conflict, cmd)) == ["reason"]


def test_decision_reasons_too_long_record_no_decision(voting_case, run, database):
    for who in (BEN, PRIYA, TOM):
        run(cast_vote, CastVote(voting_case, who, Recommendation.STATUTORY_REVIEW, "Met."))
    run(close_voting, CloseVoting(voting_case, PRIYA))
    cmd = RecordDecision(
        voting_case,
        GRACE,
        DecisionOutcome.STATUTORY_REVIEW,
        LONG,
        review_type=ReviewType.SCR,
        methodology=Methodology.SILP,
    )
    assert refused(run, database, record_decision, cmd) == {
        "reasons": "Please keep the reasons to 3,000 characters or fewer."
    }


def test_an_extension_reason_too_long_is_an_extension_refusal_of_the_reason(refer, run, database):
    referred = refer()
    deadline = referred.deadlines[0]
    cmd = ExtendDeadline(deadline.id, BEN, date(2026, 12, 1), LONG)
    before = database()
    with pytest.raises(ExtensionRefused) as caught:
        run(extend_deadline, cmd)
    assert caught.value.problems == {
        "reason": "Please keep the reason to 3,000 characters or fewer."
    }
    assert database() == before


def test_pause_and_resume_reasons_too_long_change_no_deadline(refer, run, database):
    ref = refer().case.reference
    assert list(refused(run, database, pause_deadlines, PauseDeadlines(ref, BEN, LONG))) == [
        "reason"
    ]
    run(pause_deadlines, PauseDeadlines(ref, BEN, "Criminal proceedings"))
    assert list(refused(run, database, resume_deadlines, ResumeDeadlines(ref, BEN, LONG))) == [
        "reason"
    ]


def test_an_information_request_with_an_agency_or_note_too_long_is_refused(refer, run, database):
    ref = refer().case.reference
    cmd = RequestInformation(
        ref, BEN, ("Surrey Police", "A" * 201), due_on=date(2026, 3, 9), note=LONG
    )
    assert refused(run, database, request_information, cmd) == {
        "agency": "Please keep the agency's name to 200 characters or fewer.",
        "note": "Please keep the note to 3,000 characters or fewer.",
    }
