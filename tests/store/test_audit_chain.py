"""The audit hash chain: verify finds an edited, inserted or deleted event."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from store.audit import GENESIS, canonical_json, event_hash
from store.models import AuditEventRow

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def chain(uow_factory) -> list[int]:
    """Five events on board "a" and one on the system chain; returns board a's event ids."""
    ids = []
    with uow_factory() as uow:
        for n in range(5):
            row = uow.audit.append(
                at=T0 + timedelta(minutes=n),
                actor="U0BEN00001",
                actor_name="Ben Okafor",
                action=f"step_{n}",
                entity="case",
                entity_id=n,
                board_id="a",
                before={"n": n},
                after={"n": n + 1, "when": T0.date()},
            )
            ids.append(row.id)
        uow.audit.append(at=T0, actor="cli:root", action="board_created", entity="board")
        uow.commit()
    return ids


def tamper(engine: Engine, sql: str, **params) -> None:
    """Change the log as someone with direct database access would: past the triggers."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_insert_only"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
        conn.execute(text(sql), params)
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_insert_only"))


def problems(uow_factory) -> list[tuple[str, int, str]]:
    with uow_factory() as uow:
        report = uow.audit.verify()
    return [(p.chain, p.seq, p.message) for p in report.problems]


def test_an_untouched_log_verifies(chain, uow_factory):
    with uow_factory() as uow:
        report = uow.audit.verify()
        heads = uow.audit.heads()
        rows = list(uow.audit.events(chain="a"))
    assert (report.ok, report.events, report.chains) == (True, 6, 2)
    assert heads["a"] == (5, rows[-1].hash)
    assert rows[0].prev_hash == GENESIS
    assert all(r.hash == event_hash(r) for r in rows)


def test_an_edited_event_is_found(chain, engine, uow_factory):
    tamper(
        engine,
        "UPDATE audit_events SET after = :after WHERE id = :id",
        after=canonical_json({"n": 99}),
        id=chain[2],
    )
    assert problems(uow_factory) == [("a", 3, "its contents were changed after it was written")]


def test_an_edited_actor_is_found(chain, engine, uow_factory):
    tamper(engine, "UPDATE audit_events SET actor = 'U0SOMEONE' WHERE id = :id", id=chain[0])
    assert problems(uow_factory)[0][:2] == ("a", 1)


def test_a_deleted_event_is_found(chain, engine, uow_factory):
    tamper(engine, "DELETE FROM audit_events WHERE id = :id", id=chain[1])
    assert problems(uow_factory) == [("a", 2, "event number 2 is missing (deleted)")]


def test_deleting_the_last_event_is_found(chain, engine, uow_factory):
    tamper(engine, "DELETE FROM audit_events WHERE id = :id", id=chain[4])
    assert problems(uow_factory) == [("a", 5, "events were deleted from the end of the chain")]


def test_an_inserted_event_is_found_even_with_a_well_made_hash(chain, engine, uow_factory):
    with uow_factory() as uow:
        last = list(uow.audit.events(chain="a"))[-1]
    forged = AuditEventRow(
        chain="a",
        seq=6,
        at=T0 + timedelta(hours=1),
        actor="U0GRA00005",
        actor_name="",
        board_id="a",
        case_id=None,
        case_reference=None,
        action="decision_recorded",
        entity="decision",
        entity_id="1",
        before="{}",
        after=json.dumps({"outcome": "no_review"}),
        prev_hash=last.hash,
        hash="",
    )
    forged.hash = event_hash(forged)
    tamper(
        engine,
        "INSERT INTO audit_events (chain, seq, at, actor, actor_name, board_id, action, entity,"
        " entity_id, before, after, prev_hash, hash) VALUES ('a', 6, :at, 'U0GRA00005', '',"
        " 'a', 'decision_recorded', 'decision', '1', '{}', :after, :prev, :hash)",
        at=forged.at.replace(tzinfo=None) if engine.dialect.name == "sqlite" else forged.at,
        after=forged.after,
        prev=forged.prev_hash,
        hash=forged.hash,
    )
    assert problems(uow_factory) == [
        ("a", 6, "events after the chain's head were added outside casedesk")
    ]


def test_an_event_renumbered_into_the_middle_is_found(chain, engine, uow_factory):
    tamper(engine, "UPDATE audit_events SET seq = 10 WHERE id = :id", id=chain[2])
    assert problems(uow_factory)[0][:2] == ("a", 3)


def test_the_system_chain_is_checked_on_its_own(chain, engine, uow_factory):
    tamper(engine, "UPDATE audit_events SET action = 'x' WHERE chain = 'casedesk'")
    assert [p[0] for p in problems(uow_factory)] == ["casedesk"]
