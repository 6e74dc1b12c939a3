"""The unit of work, the repositories and the column types, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.clock import LONDON
from bot.domain.boards import BoardKind, ReviewType, Role
from bot.domain.calendar import Nation
from bot.domain.cases import CaseState
from bot.domain.deadlines import DeadlineStatus
from bot.domain.protocols import Event
from bot.domain.votes import Recommendation, VoteVisibility
from store.models import BallotRow, BoardRow, CaseRow, DeadlineRow, MemberRow

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)


def add_board(uow, board_id: str = "test-board") -> BoardRow:
    row = BoardRow(
        id=board_id,
        name="Test board",
        kind=BoardKind.CHILDREN,
        nation=Nation.ENGLAND,
        protocol="test",
        channel_id="C0TEST0001",
        vote_visibility=VoteVisibility.COUNTS,
        synced_at=NOW,
    )
    uow.boards.add(row)
    return row


def add_case(uow, board_id: str = "test-board", reference: str = "SCR-2026-001") -> CaseRow:
    row = CaseRow(
        board_id=board_id,
        reference=reference,
        review_type=ReviewType.SCR,
        state=CaseState.REFERRED,
        pseudonym="Child A",
        referred_by="U0BEN00001",
        created_at=NOW,
        updated_at=NOW,
    )
    uow.cases.add(row)
    return row


def add_deadline(uow, case_id: int, due: date, status=DeadlineStatus.OPEN) -> DeadlineRow:
    row = DeadlineRow(
        case_id=case_id,
        rule_id="r",
        label="Something due",
        event=Event.REFERRAL,
        event_date=date(2026, 3, 2),
        due_on=due,
        original_due_on=due,
        owner_role=Role.BUSINESS_MANAGER,
        reminders=[5, 2, 1, 0],
        status=status,
        source="test",
        created_at=NOW,
        updated_at=NOW,
    )
    uow.deadlines.add(row)
    return row


def test_a_committed_unit_of_work_is_visible_to_the_next(uow_factory):
    with uow_factory() as uow:
        add_board(uow)
        uow.commit()
    with uow_factory() as uow:
        row = uow.boards.get("test-board")
        assert row is not None and row.name == "Test board" and row.kind is BoardKind.CHILDREN


def test_leaving_without_commit_rolls_everything_back(uow_factory):
    with uow_factory() as uow:
        add_board(uow)
        add_case(uow)
    with uow_factory() as uow:
        assert uow.boards.get("test-board") is None
        assert uow.cases.of_boards(["test-board"]) == []


def test_an_exception_rolls_back_and_propagates(uow_factory):
    with pytest.raises(RuntimeError), uow_factory() as uow:
        add_board(uow)
        raise RuntimeError("boom")
    with uow_factory() as uow:
        assert uow.boards.get("test-board") is None


def test_datetimes_come_back_aware_and_equal_to_what_was_stored(uow_factory):
    with uow_factory() as uow:
        add_board(uow)
        uow.commit()
    with uow_factory() as uow:
        synced = uow.boards.get("test-board").synced_at
    assert synced.tzinfo is not None
    assert synced == NOW
    assert synced.utcoffset() == timedelta(0)


def test_a_naive_datetime_is_refused(uow_factory):
    with uow_factory() as uow:
        row = BoardRow(
            id="naive",
            name="n",
            kind=BoardKind.ADULTS,
            nation=Nation.WALES,
            protocol="p",
            channel_id="C1",
            vote_visibility=VoteVisibility.OPEN,
            synced_at=datetime(2026, 3, 2, 10, 0),
        )
        with pytest.raises(Exception, match="naive datetime"):
            uow.boards.add(row)


def test_reference_numbers_count_per_board_prefix_and_year(uow_factory):
    with uow_factory() as uow:
        add_board(uow, "a")
        add_board(uow, "b")
        got = [
            uow.cases.next_number("a", "SCR", 2026),
            uow.cases.next_number("a", "SCR", 2026),
            uow.cases.next_number("a", "SAR", 2026),
            uow.cases.next_number("b", "SCR", 2026),
            uow.cases.next_number("a", "SCR", 2027),
            uow.cases.next_number("a", "SCR", 2026),
        ]
        uow.commit()
    assert got == [1, 2, 1, 1, 1, 3]


def test_a_reference_is_unique_within_its_board(uow_factory):
    with uow_factory() as uow:
        add_board(uow)
        add_case(uow)
        with pytest.raises(IntegrityError):
            add_case(uow)


def test_a_database_error_never_quotes_the_statement_s_values(uow_factory):
    secret = "Zebedee Quartermain-Okonkwo"  # as a subject's name would be bound
    with uow_factory() as uow:
        add_board(uow)
        add_case(uow)
        row = CaseRow(
            board_id="test-board",
            reference="SCR-2026-001",
            review_type=ReviewType.SCR,
            state=CaseState.REFERRED,
            pseudonym=secret,
            referred_by="U0BEN00001",
            created_at=NOW,
            updated_at=NOW,
        )
        with pytest.raises(IntegrityError) as raised:
            uow.cases.add(row)
    message = str(raised.value)
    assert secret not in message
    assert "SQL parameters hidden" in message


def _owe_slot(uow, deadline_id, slot, recipient, *, lead=2, claimed_by=""):
    return uow.outbox.owe(
        now=NOW, board_id="test-board", kind="reminder", template="reminder_dm",
        recipient=recipient, deadline_id=deadline_id, slot=slot, lead=lead,
    )  # fmt: skip


def test_a_reminder_slot_is_owed_once_per_deadline_slot_and_recipient(uow_factory):
    with uow_factory() as uow:
        add_board(uow)
        case = add_case(uow)
        deadline = add_deadline(uow, case.id, date(2026, 3, 9))
        key = "lead:2:2026-03-09"
        first = _owe_slot(uow, deadline.id, key, "U0PRI00002")
        again = _owe_slot(uow, deadline.id, key, "U0PRI00002")
        chair = _owe_slot(uow, deadline.id, key, "U0BEN00001")
        other = _owe_slot(uow, deadline.id, "lead:1:2026-03-09", "U0PRI00002", lead=1)
        uow.commit()
    assert first is not None and again is None
    assert chair is not None and other is not None and len({first, chair, other}) == 3
    with uow_factory() as uow:
        rows = uow.outbox.of_deadline(deadline.id)
        assert [(r.slot, r.recipient, r.lead, r.sent_at) for r in rows] == [
            (key, "U0PRI00002", 2, None),
            (key, "U0BEN00001", 2, None),
            ("lead:1:2026-03-09", "U0PRI00002", 1, None),
        ]
        assert uow.outbox.claimed_slots([deadline.id]) == {deadline.id: {key, "lead:1:2026-03-09"}}


def test_an_extended_deadline_owes_the_same_lead_time_again_for_its_new_date(uow_factory):
    with uow_factory() as uow:
        add_board(uow)
        case = add_case(uow)
        deadline = add_deadline(uow, case.id, date(2026, 3, 9))
        old = _owe_slot(uow, deadline.id, "lead:2:2026-03-09", "U0PRI00002")
        new = _owe_slot(uow, deadline.id, "lead:2:2026-03-20", "U0PRI00002")
        uow.commit()
    assert old is not None and new is not None and old != new


def test_running_deadlines_due_by_a_day_come_soonest_first(uow_factory):
    with uow_factory() as uow:
        add_board(uow)
        case = add_case(uow)
        late = add_deadline(uow, case.id, date(2026, 3, 6))
        soon = add_deadline(uow, case.id, date(2026, 3, 3), DeadlineStatus.EXTENDED)
        add_deadline(uow, case.id, date(2026, 3, 4), DeadlineStatus.DONE)
        add_deadline(uow, case.id, date(2026, 3, 4), DeadlineStatus.PAUSED)
        add_deadline(uow, case.id, date(2026, 3, 20))
        got = uow.deadlines.running_due_by(date(2026, 3, 6), skip_locked=True)
    assert [d.id for d in got] == [soon.id, late.id]


def test_the_current_ballot_is_each_members_highest_version(uow_factory):
    with uow_factory() as uow:
        add_board(uow)
        case = add_case(uow)
        ann = MemberRow(board_id="test-board", slack_id="U1", name="Ann", joined_at=NOW)
        bob = MemberRow(board_id="test-board", slack_id="U2", name="Bob", joined_at=NOW)
        uow.members.add(ann)
        uow.members.add(bob)
        for member, version, rec in [
            (ann, 1, Recommendation.NO_FURTHER_ACTION),
            (ann, 2, Recommendation.STATUTORY_REVIEW),
            (bob, 1, Recommendation.MORE_INFORMATION),
        ]:
            uow.ballots.add(
                BallotRow(
                    case_id=case.id,
                    member_id=member.id,
                    round=1,
                    version=version,
                    recommendation=rec,
                    rationale="because",
                    cast_at=NOW,
                )
            )
        current = uow.ballots.current(case.id, 1)
        assert [(b.member_id, b.version, b.recommendation) for b in current] == [
            (ann.id, 2, Recommendation.STATUTORY_REVIEW),
            (bob.id, 1, Recommendation.MORE_INFORMATION),
        ]
        assert len(uow.ballots.history(case.id)) == 3
        with pytest.raises(IntegrityError):
            uow.ballots.add(
                BallotRow(
                    case_id=case.id,
                    member_id=ann.id,
                    round=1,
                    version=2,
                    recommendation=Recommendation.NO_FURTHER_ACTION,
                    rationale="dup",
                    cast_at=NOW,
                )
            )


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"]
)
def test_the_audit_log_refuses_updates_and_deletes(uow_factory, statement):
    with uow_factory() as uow:
        uow.audit.append(at=NOW, actor="U0BEN00001", action="test", entity="board")
        uow.commit()
    with uow_factory() as uow:
        with pytest.raises(DBAPIError, match="insert-only"):
            uow.session.execute(text(statement))
    with uow_factory() as uow:
        assert [e.actor for e in uow.audit.events()] == ["U0BEN00001"]


def test_audit_events_chain_by_board_and_verify_clean(uow_factory):
    with uow_factory() as uow:
        add_board(uow, "a")
        first = uow.audit.append(at=NOW, actor="U1", action="one", entity="board", board_id="a")
        second = uow.audit.append(at=NOW, actor="U1", action="two", entity="board", board_id="a")
        other = uow.audit.append(at=NOW, actor="U1", action="three", entity="board")
        uow.commit()
    assert (first.seq, second.seq, other.seq) == (1, 2, 1)
    assert second.prev_hash == first.hash and other.chain == "casedesk"
    with uow_factory() as uow:
        report = uow.audit.verify()
        stored = list(uow.audit.events(chain="a"))
    assert report.ok and report.events == 3 and report.chains == 2
    assert stored[0].at == NOW.astimezone(UTC)


def test_a_read_only_unit_of_work_reads_and_refuses_to_commit(uow_factory):
    with uow_factory() as uow:
        add_board(uow)
        uow.commit()

    with uow_factory(read_only=True) as uow:
        found = uow.boards.get("test-board")
        with pytest.raises(RuntimeError, match="read-only"):
            uow.commit()

    assert found is not None and found.name == "Test board"


def test_on_sqlite_a_read_only_unit_of_work_reads_while_a_writer_holds_the_write_lock(tmp_path):
    """A query takes no write lock (plain BEGIN), so it neither waits for nor blocks a writer."""
    from sqlalchemy import event

    from store.db import make_engine
    from store.migrate import upgrade
    from store.uow import make_uow_factory

    url = f"sqlite:///{tmp_path / 'ro.db'}"
    upgrade(url)
    engine = make_engine(url, connect_args={"timeout": 0.1})
    begins: list[str] = []
    event.listen(
        engine,
        "before_cursor_execute",
        lambda _c, _cur, stmt, *_: begins.append(stmt) if stmt.startswith("BEGIN") else None,
    )
    factory = make_uow_factory(engine)
    try:
        with factory() as setup:
            add_board(setup)
            setup.commit()
        with factory() as writer:  # holds BEGIN IMMEDIATE's write lock until the block ends
            writer.boards.get("test-board").name = "Renamed, not yet committed"
            writer.flush()
            with factory(read_only=True) as reader:
                seen = reader.boards.get("test-board").name
    finally:
        engine.dispose()

    assert seen == "Test board"  # the committed state, read at once
    assert begins == ["BEGIN IMMEDIATE", "BEGIN IMMEDIATE", "BEGIN"]
