"""The audit trail for auditors: export it (all, or one case's) and verify its hash chains.

These are operator tools (``casedesk audit export|verify``), run with database access; they do
not check board membership. The payloads exported never hold a subject's identifying details:
services record that such details changed, and free text only as its SHA-256.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from enum import StrEnum
from typing import Any, TextIO

from bot.domain.errors import InvalidInput, NotFound
from store.audit import AuditReport
from store.models import AuditEventRow
from store.uow import UnitOfWork

FIELDS = (
    "id", "chain", "seq", "at", "actor", "actor_name", "board_id", "case_reference", "action",
    "entity", "entity_id", "before", "after", "prev_hash", "hash",
)  # fmt: skip


class ExportFormat(StrEnum):
    """How ``casedesk audit export`` writes events."""

    CSV = "csv"
    JSONL = "jsonl"


def audit_events(
    *, uow: UnitOfWork, reference: str | None = None, board_id: str | None = None
) -> Iterator[AuditEventRow]:
    """Return the events of every chain (or one board's, or one case's), in chain order.

    The case is looked up at once, so a bad reference fails before anything is written.

    Raises:
        NotFound: no case has that reference (on that board).
        InvalidInput: the reference is on several boards and no board was given.
    """
    if reference is None:
        return uow.audit.events(chain=board_id)
    reference = reference.strip().upper()
    boards = [board_id] if board_id else [b.id for b in uow.boards.all(active_only=False)]
    cases = uow.cases.with_reference(reference, boards)
    if not cases:
        raise NotFound(f"no case {reference}" + (f" on board {board_id}" if board_id else ""))
    if len(cases) > 1:
        names = ", ".join(c.board_id for c in cases)
        raise InvalidInput(f"{reference} is a case on several boards ({names}); give --board")
    return uow.audit.events(case_id=cases[0].id)


def record(row: AuditEventRow) -> dict[str, Any]:
    """Return an event as a flat record (``before`` and ``after`` as parsed JSON)."""
    out = {name: getattr(row, name) for name in FIELDS}
    out["at"] = row.at.isoformat()
    out["before"], out["after"] = json.loads(row.before), json.loads(row.after)
    return out


def export_audit(
    out: TextIO,
    fmt: ExportFormat,
    *,
    uow: UnitOfWork,
    reference: str | None = None,
    board_id: str | None = None,
) -> int:
    """Write events as CSV (a header, JSON in the before/after cells) or JSON lines.

    Returns:
        The number of events written.
    """
    rows = audit_events(uow=uow, reference=reference, board_id=board_id)
    count = 0
    writer = csv.DictWriter(out, fieldnames=FIELDS) if fmt is ExportFormat.CSV else None
    if writer is not None:
        writer.writeheader()
    for row in rows:
        item = record(row)
        if writer is not None:
            item["before"], item["after"] = row.before, row.after
            writer.writerow(item)
        else:
            out.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count


def verify_audit(*, uow: UnitOfWork) -> AuditReport:
    """Walk every chain and report the first edited, inserted or deleted event in each."""
    return uow.audit.verify()


def chain_heads(*, uow: UnitOfWork) -> dict[str, tuple[int, str]]:
    """Return each chain's last number and hash: record them elsewhere to anchor the log."""
    return uow.audit.heads()
