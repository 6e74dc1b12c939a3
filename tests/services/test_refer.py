"""Referring a case: its reference, its deadlines, its audit event and its confidentiality."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from bot.domain.boards import ReviewType
from bot.domain.cases import CaseState
from bot.domain.errors import InvalidInput, NotAllowed
from bot.services.cases import (
    ReferCase,
    SetCaseCard,
    UpdateCaseDetails,
    refer_case,
    set_case_card,
    update_case_details,
)
from tests.services.conftest import (
    BEN,
    OUTSIDER,
    STOCKPORT,
    SUBJECT,
    SUBJECT_ADDRESS,
    SURREY,
    TOM,
    payload,
)


def test_a_referral_gets_the_next_reference_of_its_board_prefix_and_year(refer):
    first = refer()
    second = refer(pseudonym="Child B")
    lcspr = refer(pseudonym="Child C", review_type=ReviewType.LCSPR)
    last_year = refer(pseudonym="Child D", referred_on=date(2025, 12, 30))
    assert [first.case.reference, second.case.reference] == ["SCR-2026-001", "SCR-2026-002"]
    assert lcspr.case.reference == "LCSPR-2026-001"
    assert last_year.case.reference == "SCR-2025-001"


def test_a_referral_is_stored_with_its_identifying_details_in_their_own_table(refer, uow_factory):
    out = refer()
    with uow_factory() as uow:
        case = uow.cases.by_reference(SURREY, out.case.reference)
        subject = uow.cases.subject(case.id)
        dates = uow.cases.dates(case.id)
    assert (case.state, case.pseudonym, case.referred_by) == (CaseState.REFERRED, "Child A", TOM)
    assert (subject.name, subject.address) == (SUBJECT, SUBJECT_ADDRESS)
    assert {e.value: d for e, d in dates.items()} == {
        "referral": date(2026, 3, 2),
        "notification": date(2026, 3, 2),
    }


def test_a_referral_starts_the_surrey_one_month_deadlines(refer, uow_factory):
    out = refer()
    # 002 §1.2 and §1.5: recommendation and decision within one month of the referral.
    assert [
        (d.rule_id, d.due_on, d.owner_role.value, d.working_days_left) for d in out.deadlines
    ] == [
        ("chair-decision", date(2026, 4, 2), "decision_maker", 23),
        ("sub-group-recommendation", date(2026, 4, 2), "chair", 23),
    ]
    with uow_factory() as uow:
        rows = uow.deadlines.of_case(uow.cases.by_reference(SURREY, out.case.reference).id)
    assert {(r.rule_id, r.status.value, r.event_date, r.source.split(":")[0]) for r in rows} == {
        ("chair-decision", "open", date(2026, 3, 2), "002_0ceef0fde733de82.txt §1.5"),
        ("sub-group-recommendation", "open", date(2026, 3, 2), "002_0ceef0fde733de82.txt §1.2"),
    }


def test_the_referral_audit_event_names_who_and_what_but_never_the_subject(refer, audit_rows):
    out = refer()
    (event,) = audit_rows(out.case.reference)
    before, after = payload(event)
    assert (event.action, event.actor, event.actor_name, event.board_id) == (
        "case_referred",
        TOM,
        "Tom Hughes",
        SURREY,
    )
    assert before == {}
    assert after["reference"] == "SCR-2026-001" and after["pseudonym"] == "Child A"
    assert after["identifying_details_recorded"] == ["address", "date_of_birth", "name", "summary"]
    assert after["deadlines"] == [
        {"rule": "chair-decision", "due": "2026-04-02"},
        {"rule": "sub-group-recommendation", "due": "2026-04-02"},
    ]
    for row in audit_rows():
        text = row.before + row.after + row.actor_name
        assert "Zebedee" not in text and "Quartermain" not in text and "Lantern" not in text
        assert "2014-07-19" not in text


def test_someone_on_no_board_cannot_refer_and_nothing_is_written(refer, audit_rows, uow_factory):
    with pytest.raises(NotAllowed, match="Only members of this board"):
        refer(actor=OUTSIDER)
    with uow_factory() as uow:
        assert uow.cases.of_boards([SURREY]) == []
    assert audit_rows(action="case_referred") == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pseudonym": "  "}, "pseudonym"),
        ({"pseudonym": "Zebedee A"}, "must not contain the subject's name"),
        ({"review_type": ReviewType.SAR}, "not a review this board can hold"),
        ({"referred_on": date(2026, 3, 3)}, "referral date cannot be in the future"),
        ({"aware_on": date(2026, 3, 9)}, "date the board became aware cannot be in the future"),
        ({"subject_name": "Zebedee " + "Q" * 200}, "subject's name to 200 characters"),
        ({"referring_agency": "A" * 201}, "referring agency to 200 characters"),
    ],
    ids=["no-pseudonym", "pseudonym-names-subject", "adults-review-on-childrens-board",
         "future-referral", "future-awareness", "name-too-long", "agency-too-long"],
)  # fmt: skip
def test_a_bad_referral_is_refused_without_naming_the_subject(refer, overrides, message):
    with pytest.raises(InvalidInput, match=message) as caught:
        refer(**overrides)
    assert "Zebedee" not in str(caught.value)


def test_a_redelivered_referral_creates_one_case(refer, uow_factory, audit_rows):
    first = refer(idempotency_key="V0VIEW123")
    again = refer(idempotency_key="V0VIEW123")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.case.reference == first.case.reference
    with uow_factory() as uow:
        assert len(uow.cases.of_boards([SURREY])) == 1
    assert len(audit_rows(action="case_referred")) == 1


def test_a_board_that_opens_voting_on_referral_opens_it_and_audits_it(run, board, audit_rows):
    out = run(refer_case, ReferCase(STOCKPORT, BEN, ReviewType.SAR, "Adult A"))
    assert out.voting_opened and out.case.state is CaseState.VOTING
    assert out.case.reference == "SAR-2026-001"
    actions = [r.action for r in audit_rows(out.case.reference)]
    assert actions == ["case_referred", "voting_opened"]
    _, after = payload(audit_rows(out.case.reference, "voting_opened")[0])
    assert after == {"state": "voting", "round": 1, "rule": "open_voting_on_referral"}


def test_the_card_is_remembered_on_the_case(refer, run, case_row):
    out = refer()
    ref = run(set_case_card, SetCaseCard(SURREY, out.case.reference, "C0CASEREV01", "171.000"))
    assert (ref.card_channel, ref.card_ts) == ("C0CASEREV01", "171.000")
    assert case_row(out.case.reference).card_ts == "171.000"


def test_changing_identifying_details_audits_the_fields_not_the_values(
    refer, run, audit_rows, uow_factory
):
    out = refer()
    changed = run(
        update_case_details,
        UpdateCaseDetails(out.case.reference, BEN, pseudonym="Child Z", address="1 New Street"),
    )
    assert changed.changed == ("address", "pseudonym")
    (event,) = audit_rows(out.case.reference, "case_details_changed")
    before, after = payload(event)
    assert before == {"pseudonym": "Child A"}
    assert after == {"pseudonym": "Child Z", "identifying_details_changed": ["address"]}
    assert "New Street" not in event.after
    with uow_factory() as uow:
        case = uow.cases.by_reference(SURREY, out.case.reference)
        assert uow.cases.subject(case.id).address == "1 New Street"


def test_only_the_business_manager_edits_case_details(refer, run):
    out = refer()
    with pytest.raises(NotAllowed, match="Only the business manager"):
        run(update_case_details, UpdateCaseDetails(out.case.reference, TOM, pseudonym="X"))


def test_referrals_at_the_same_moment_get_different_references(board, uow_factory, clock):
    """Eight threads, each in its own transaction, refer at once.

    On PostgreSQL the counter row's lock serialises them; on SQLite, BEGIN IMMEDIATE does.
    """
    barrier = threading.Barrier(8)
    results: list[str] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            with uow_factory() as uow:
                out = refer_case(
                    ReferCase(SURREY, TOM, ReviewType.SCR, f"Child {n}"), uow=uow, now=clock.now()
                )
            results.append(out.case.reference)
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(results) == [f"SCR-2026-{n:03d}" for n in range(1, 9)]


def test_the_criteria_ticked_are_stored_on_the_case_and_named_in_the_audit_event(
    refer, uow_factory, audit_rows
):
    out = refer(criteria=("serious_harm", "agencies", "serious_harm"))
    with uow_factory() as uow:
        case = uow.cases.by_reference(SURREY, out.case.reference)
    assert case.criteria == ["serious_harm", "agencies"]
    (event,) = audit_rows(out.case.reference)
    assert payload(event)[1]["criteria"] == ["serious_harm", "agencies"]


def test_a_referral_with_no_criteria_ticked_stores_an_empty_list(refer, uow_factory):
    out = refer()
    with uow_factory() as uow:
        assert uow.cases.by_reference(SURREY, out.case.reference).criteria == []


@pytest.mark.parametrize(
    "change",
    [
        {"pseudonym": "Child Quartermain"},  # the new pseudonym names the subject
        {"pseudonym": "Child of Lantern Row"},  # or gives their address away
        {"subject_name": "Rowan Ellis"},  # or new details make the current one identifying
        {"referring_agency": "A" * 201},  # or a field longer than its column
    ],
    ids=[
        "pseudonym-names-subject",
        "pseudonym-gives-address",
        "new-name-in-pseudonym",
        "agency-too-long",
    ],
)
def test_an_edit_that_would_let_channels_identify_the_subject_changes_nothing(
    refer, run, audit_rows, case_row, change
):
    out = refer(pseudonym="Baby Rowan")
    with pytest.raises(InvalidInput, match="must not contain the subject's|to 200 characters"):
        run(update_case_details, UpdateCaseDetails(out.case.reference, BEN, **change))
    assert case_row(out.case.reference).pseudonym == "Baby Rowan"
    assert audit_rows(out.case.reference, "case_details_changed") == []
