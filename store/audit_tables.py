"""The audit log's tables: hash-chained events (insert-only, by triggers) and chain heads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, Text, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from store.columns import fk as _fk
from store.columns import when as _when


class AuditEventRow(SQLModel, table=True):
    """One audited action, hash-chained to the one before it in its chain (insert-only)."""

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("chain", "seq", name="uq_audit_chain_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(max_length=64)
    seq: int
    at: datetime = _when()
    actor: str = Field(max_length=64)
    actor_name: str = Field(default="", max_length=200)
    board_id: str | None = Field(default=None, max_length=64)
    case_id: int | None = _fk("cases.id", nullable=True, index=True)
    case_reference: str | None = Field(default=None, max_length=40)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=40)
    entity_id: str = Field(default="", max_length=64)
    before: str = Field(default="{}", sa_type=Text)  # canonical JSON
    after: str = Field(default="{}", sa_type=Text)  # canonical JSON
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHeadRow(SQLModel, table=True):
    """The last event of each audit chain: locked while appending, checked by verify."""

    __tablename__ = "audit_heads"

    chain: str = Field(primary_key=True, max_length=64)
    seq: int = 0
    hash: str = Field(max_length=64)


# -- the audit log refuses UPDATE and DELETE (created with the table, and by migration 0001) -----

AUDIT_GUARD_SQLITE = (
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is insert-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is insert-only'); END",
)
AUDIT_GUARD_POSTGRESQL = (
    "CREATE FUNCTION audit_events_insert_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_events is insert-only'; END $$",
    "CREATE TRIGGER audit_events_insert_only BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_insert_only()",
)

for _sql in AUDIT_GUARD_SQLITE:
    event.listen(AuditEventRow.__table__, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
for _sql in AUDIT_GUARD_POSTGRESQL:
    event.listen(
        AuditEventRow.__table__, "after_create", DDL(_sql).execute_if(dialect="postgresql")
    )
event.listen(
    AuditEventRow.__table__,
    "after_drop",
    DDL("DROP FUNCTION IF EXISTS audit_events_insert_only()").execute_if(dialect="postgresql"),
)
