"""Loading the board file into the database: idempotent, audited, never deleting anyone.

A member removed from the file is deactivated (their votes, decisions and audit history stay);
listed again, they are reactivated. A board removed from the file is deactivated the same way.
Running the sync twice changes nothing the second time and writes no audit event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.domain.board_config import BoardConfig, MemberConfig
from bot.domain.board_file import load_board_file
from bot.domain.boards import Role
from bot.services.common import SYSTEM
from store.models import BoardRow, MemberRow
from store.uow import UnitOfWork


@dataclass(frozen=True)
class BoardsSynced:
    """What a sync changed, by board id and ``board_id/slack_id``."""

    boards_created: tuple[str, ...] = ()
    boards_updated: tuple[str, ...] = ()
    boards_deactivated: tuple[str, ...] = ()
    members_added: tuple[str, ...] = ()
    members_updated: tuple[str, ...] = ()
    members_deactivated: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Return whether anything changed."""
        return any(getattr(self, f) for f in self.__dataclass_fields__)


@dataclass
class _Changes:
    lists: dict[str, list[str]] = field(
        default_factory=lambda: {f: [] for f in BoardsSynced.__dataclass_fields__}
    )

    def note(self, kind: str, key: str) -> None:
        self.lists[kind].append(key)

    def outcome(self) -> BoardsSynced:
        return BoardsSynced(**{k: tuple(v) for k, v in self.lists.items()})


def sync_boards(
    boards: Sequence[BoardConfig], *, uow: UnitOfWork, now: datetime, actor: str = SYSTEM
) -> BoardsSynced:
    """Make the database's boards and members match ``boards`` (from the board file)."""
    changes = _Changes()
    for config in boards:
        _sync_board(uow, config, now, actor, changes)
    listed = {b.id for b in boards}
    for row in uow.boards.all(active_only=True):
        if row.id not in listed:
            row.active = False
            row.synced_at = now
            _audit(
                uow,
                now,
                actor,
                row.id,
                "board_deactivated",
                "board",
                row.id,
                {"active": True},
                {"active": False},
            )
            changes.note("boards_deactivated", row.id)
    uow.commit()
    return changes.outcome()


def board_values(config: BoardConfig) -> dict[str, Any]:
    """Return the board's columns as the board file sets them."""
    return {
        "name": config.name,
        "kind": config.kind,
        "nation": config.nation,
        "protocol": config.protocol,
        "channel_id": config.channel,
        "closure_days": [d.isoformat() for d in config.closure_days],
        "digest_time": config.digest_time.strftime("%H:%M"),
        "sending_start": config.sending_hours[0].strftime("%H:%M"),
        "sending_end": config.sending_hours[1].strftime("%H:%M"),
        "vote_visibility": config.vote_visibility,
        "quorum": str(config.quorum),
        "open_voting_on_referral": config.open_voting_on_referral,
        "reference_prefixes": {t.value: p for t, p in sorted(config.reference_prefixes.items())},
        "rule_events": dict(sorted(config.rule_events.items())),
        "step_rules": {t.value: list(r) for t, r in sorted(config.step_rules.items())},
        "active": True,
    }


def _sync_board(
    uow: UnitOfWork, config: BoardConfig, now: datetime, actor: str, changes: _Changes
) -> None:
    values = board_values(config)
    row = uow.boards.get(config.id)
    if row is None:
        uow.boards.add(BoardRow(id=config.id, synced_at=now, **values))
        _audit(uow, now, actor, config.id, "board_created", "board", config.id, {}, values)
        changes.note("boards_created", config.id)
    else:
        before = {k: getattr(row, k) for k, v in values.items() if getattr(row, k) != v}
        if before:
            after = {k: values[k] for k in before}
            for key, value in after.items():
                setattr(row, key, value)
            row.synced_at = now
            _audit(uow, now, actor, config.id, "board_updated", "board", config.id, before, after)
            changes.note("boards_updated", config.id)
    _sync_members(uow, config, now, actor, changes)


def _sync_members(
    uow: UnitOfWork, config: BoardConfig, now: datetime, actor: str, changes: _Changes
) -> None:
    existing = {m.slack_id: m for m in uow.members.of_board(config.id, active_only=False)}
    roles = uow.members.roles_of(m.id for m in existing.values())
    for wanted in config.members:
        row = existing.get(wanted.slack_id)
        if row is None:
            _add_member(uow, config, wanted, now, actor, changes)
        else:
            _update_member(uow, config, wanted, row, sorted(roles[row.id]), now, actor, changes)
    listed = {m.slack_id for m in config.members}
    for slack_id, row in existing.items():
        if row.active and slack_id not in listed:
            _deactivate_member(uow, config, row, now, actor, changes)


def _add_member(
    uow: UnitOfWork,
    config: BoardConfig,
    wanted: MemberConfig,
    now: datetime,
    actor: str,
    changes: _Changes,
) -> None:
    """Add a member the board file lists for the first time, with their roles."""
    row = MemberRow(
        board_id=config.id,
        slack_id=wanted.slack_id,
        name=wanted.name,
        agency=wanted.agency,
        active=True,
        joined_at=now,
    )
    uow.members.add(row)
    uow.members.set_roles(row.id, wanted.roles)
    _audit(uow, now, actor, config.id, "member_added", "member", row.id, {}, _member_values(wanted))
    changes.note("members_added", f"{config.id}/{wanted.slack_id}")


def _update_member(
    uow: UnitOfWork,
    config: BoardConfig,
    wanted: MemberConfig,
    row: MemberRow,
    current_roles: list[Role],
    now: datetime,
    actor: str,
    changes: _Changes,
) -> None:
    """Bring a known member in line with the board file, reactivating them if they left."""
    current = {"name": row.name, "agency": row.agency, "roles": current_roles, "active": row.active}
    target = _member_values(wanted)
    before = {k: v for k, v in current.items() if v != target[k]}
    if before:
        row.name, row.agency, row.active, row.left_at = wanted.name, wanted.agency, True, None
        uow.members.set_roles(row.id, wanted.roles)
        after = {k: target[k] for k in before}
        _audit(uow, now, actor, config.id, "member_updated", "member", row.id, before, after)
        changes.note("members_updated", f"{config.id}/{wanted.slack_id}")


def _deactivate_member(
    uow: UnitOfWork,
    config: BoardConfig,
    row: MemberRow,
    now: datetime,
    actor: str,
    changes: _Changes,
) -> None:
    """Deactivate a member the board file no longer lists (their history stays)."""
    row.active, row.left_at = False, now
    _audit(
        uow,
        now,
        actor,
        config.id,
        "member_deactivated",
        "member",
        row.id,
        {"slack_id": row.slack_id, "active": True},
        {"active": False},
    )
    changes.note("members_deactivated", f"{config.id}/{row.slack_id}")


def _member_values(member: MemberConfig) -> dict[str, Any]:
    return {
        "slack_id": member.slack_id,
        "name": member.name,
        "agency": member.agency,
        "roles": sorted(member.roles),
        "active": True,
    }


def _audit(
    uow: UnitOfWork,
    now: datetime,
    actor: str,
    board_id: str,
    action: str,
    entity: str,
    entity_id: Any,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    uow.audit.append(
        at=now,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        board_id=board_id,
        before=before,
        after=after,
    )


def sync_board_file(
    path: str | Path, *, uow: UnitOfWork, now: datetime, actor: str = SYSTEM
) -> BoardsSynced:
    """Read the board file at ``path`` and sync it (what ``casedesk board sync`` and start-up do).

    Raises:
        BoardFileError: the file is broken (names the file, line and field).
    """
    return sync_boards(load_board_file(path), uow=uow, now=now, actor=actor)
