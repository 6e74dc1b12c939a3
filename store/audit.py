"""The audit trail: insert-only, hash-chained, verifiable.

Every event belongs to a chain (its board's id, or ``casedesk`` for events of no board) and
carries the next sequence number of that chain, the hash of the event before it, and its own hash:
``sha256`` of the canonical JSON of its fields and the previous hash. The chain's head (last
sequence and hash) is kept in ``audit_heads`` and locked while appending, so concurrent
transactions queue up instead of forking the chain.

:meth:`AuditRepository.verify` walks each chain in order and reports the first event that was
edited (its hash no longer matches), inserted (a link or number out of place) or deleted (a gap,
or a head that points past the end).

Payloads hold values that are safe to show an auditor; identifying details of a subject never go
in them (services record that they changed, not what they are).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlmodel import Session, col, select

from store.models import AuditEventRow, AuditHeadRow
from store.repositories import dialect_insert

GENESIS = "0" * 64
SYSTEM_CHAIN = "casedesk"


def canonical_json(value: Any) -> str:
    """Return ``value`` as compact JSON with sorted keys (dates ISO, enums by value)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"cannot put {type(value).__name__} in an audit payload")


def event_hash(row: AuditEventRow) -> str:
    """Return the hash an event should carry, from its fields and ``prev_hash``."""
    fields = {
        "chain": row.chain,
        "seq": row.seq,
        "at": row.at.isoformat(),
        "actor": row.actor,
        "actor_name": row.actor_name,
        "board_id": row.board_id,
        "case_id": row.case_id,
        "case_reference": row.case_reference,
        "action": row.action,
        "entity": row.entity,
        "entity_id": row.entity_id,
        "before": row.before,
        "after": row.after,
        "prev_hash": row.prev_hash,
    }
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditProblem:
    """The first fault found in a chain."""

    chain: str
    seq: int
    event_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"event {self.event_id}" if self.event_id is not None else "the chain's head"
        return f"audit chain {self.chain!r}, number {self.seq} ({where}): {self.message}"


@dataclass(frozen=True)
class AuditReport:
    """What :meth:`AuditRepository.verify` found."""

    chains: int
    events: int
    problems: tuple[AuditProblem, ...]

    @property
    def ok(self) -> bool:
        """Return whether every chain is intact."""
        return not self.problems


class AuditRepository:
    """Appends audit events and reads them back; it never updates or deletes one."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.last_id: int | None = None
        """The id of the event this transaction appended last (what a change is keyed by)."""

    def append(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        entity: str,
        entity_id: str | int = "",
        actor_name: str = "",
        board_id: str | None = None,
        case_id: int | None = None,
        case_reference: str | None = None,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
    ) -> AuditEventRow:
        """Append one event to its board's chain, in the caller's transaction."""
        chain = board_id or SYSTEM_CHAIN
        head = self._lock_head(chain)
        row = AuditEventRow(
            chain=chain,
            seq=head.seq + 1,
            at=at.astimezone(UTC),  # as stored, so the hash survives the round trip
            actor=actor,
            actor_name=actor_name,
            board_id=board_id,
            case_id=case_id,
            case_reference=case_reference,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=canonical_json(dict(before or {})),
            after=canonical_json(dict(after or {})),
            prev_hash=head.hash,
            hash="",
        )
        row.hash = event_hash(row)
        head.seq, head.hash = row.seq, row.hash
        self.session.add(row)
        self.session.flush()
        self.last_id = row.id
        return row

    def _lock_head(self, chain: str) -> AuditHeadRow:
        """Return the chain's head row, locked (created at the genesis hash if new)."""
        insert = dialect_insert(self.session, AuditHeadRow).values(chain=chain, seq=0, hash=GENESIS)
        self.session.execute(insert.on_conflict_do_nothing(index_elements=["chain"]))
        query = select(AuditHeadRow).where(AuditHeadRow.chain == chain).with_for_update()
        head = self.session.exec(query.execution_options(populate_existing=True)).one()
        return head

    def events(
        self, *, case_id: int | None = None, chain: str | None = None
    ) -> Iterator[AuditEventRow]:
        """Yield events in chain and sequence order, optionally one case's or one chain's."""
        query = select(AuditEventRow)
        if case_id is not None:
            query = query.where(AuditEventRow.case_id == case_id)
        if chain is not None:
            query = query.where(AuditEventRow.chain == chain)
        query = query.order_by(AuditEventRow.chain, AuditEventRow.seq, col(AuditEventRow.id))
        yield from self.session.exec(query.execution_options(yield_per=500))

    def heads(self) -> dict[str, tuple[int, str]]:
        """Return each chain's last sequence number and hash."""
        rows = self.session.exec(select(AuditHeadRow).order_by(AuditHeadRow.chain))
        return {h.chain: (h.seq, h.hash) for h in rows}

    def verify(self) -> AuditReport:
        """Walk every chain and report the first fault in each."""
        heads = {h.chain: h for h in self.session.exec(select(AuditHeadRow))}
        written = self.session.exec(select(AuditEventRow.chain).distinct())
        chains = sorted(set(heads) | set(written))
        problems: list[AuditProblem] = []
        total = 0
        for chain in chains:
            seq, prev, problem = 0, GENESIS, None
            for row in self.events(chain=chain):
                total += 1
                if problem is None:
                    problem = _check(row, seq + 1, prev)
                seq, prev = row.seq, row.hash
            if problem is None:
                problem = _check_head(chain, heads.get(chain), seq, prev)
            if problem is not None:
                problems.append(problem)
        return AuditReport(chains=len(chains), events=total, problems=tuple(problems))


def _check_head(
    chain: str, head: AuditHeadRow | None, seq: int, last_hash: str
) -> AuditProblem | None:
    """Return the fault between a chain's last event and its head, or None."""
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq < seq:
        return AuditProblem(
            chain, head_seq + 1, None, "events after the chain's head were added outside casedesk"
        )
    if head_seq > seq:
        return AuditProblem(chain, seq + 1, None, "events were deleted from the end of the chain")
    if head_hash != last_hash:
        return AuditProblem(chain, seq, None, "the last event does not match the chain's head")
    return None


def _check(row: AuditEventRow, expected_seq: int, prev_hash: str) -> AuditProblem | None:
    """Return the fault in ``row`` given the event before it, or None."""
    if row.seq != expected_seq:
        what = "missing (deleted)" if row.seq > expected_seq else "out of order or duplicated"
        message = f"event number {expected_seq} is {what}"
        return AuditProblem(row.chain, expected_seq, row.id, message)
    if row.prev_hash != prev_hash:
        return AuditProblem(
            row.chain,
            row.seq,
            row.id,
            "does not link to the event before it (an event was inserted or deleted)",
        )
    if row.hash != event_hash(row):
        message = "its contents were changed after it was written"
        return AuditProblem(row.chain, row.seq, row.id, message)
    return None
