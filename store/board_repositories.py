"""The board repositories: boards as synced from the board file, their members and roles.

They never commit (:mod:`store.repositories`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlmodel import col, select

from bot.domain.boards import Role
from store.models import BoardRow, MemberRoleRow, MemberRow
from store.repositories import Repository


class BoardRepository(Repository):
    """Boards, as synced from the board file."""

    def get(self, board_id: str) -> BoardRow | None:
        """Return the board, active or not."""
        return self.session.get(BoardRow, board_id)

    def all(self, *, active_only: bool = True) -> list[BoardRow]:
        """Return the boards, ordered by id."""
        query = select(BoardRow).order_by(BoardRow.id)
        if active_only:
            query = query.where(col(BoardRow.active))
        return list(self.session.exec(query))

    def by_channel(self, channel_id: str) -> list[BoardRow]:
        """Return the active boards whose sub-group meets in ``channel_id``."""
        query = (
            select(BoardRow)
            .where(BoardRow.channel_id == channel_id, col(BoardRow.active))
            .order_by(BoardRow.id)
        )
        return list(self.session.exec(query))


class MemberRepository(Repository):
    """People on boards, and their roles."""

    def get(self, member_id: int) -> MemberRow | None:
        """Return the member row."""
        return self.session.get(MemberRow, member_id)

    def find(self, board_id: str, slack_id: str) -> MemberRow | None:
        """Return the person's row on ``board_id``, active or not."""
        query = select(MemberRow).where(
            MemberRow.board_id == board_id, MemberRow.slack_id == slack_id
        )
        return self.session.exec(query).first()

    def of_board(self, board_id: str, *, active_only: bool = True) -> list[MemberRow]:
        """Return the board's members, ordered by name."""
        query = select(MemberRow).where(MemberRow.board_id == board_id)
        if active_only:
            query = query.where(col(MemberRow.active))
        return list(self.session.exec(query.order_by(MemberRow.name, MemberRow.id)))

    def of_boards(self, board_ids: Collection[str]) -> list[MemberRow]:
        """Return the active members of several boards in one query, by board then name."""
        query = select(MemberRow).where(
            col(MemberRow.board_id).in_(list(board_ids)), col(MemberRow.active)
        )
        return list(
            self.session.exec(query.order_by(MemberRow.board_id, MemberRow.name, MemberRow.id))
        )

    def of_person(self, slack_id: str) -> list[MemberRow]:
        """Return the active member rows of one Slack user, one per board."""
        query = select(MemberRow).where(MemberRow.slack_id == slack_id, col(MemberRow.active))
        return list(self.session.exec(query.order_by(MemberRow.board_id)))

    def roles(self, member_id: int) -> frozenset[Role]:
        """Return the member's roles."""
        return self.roles_of([member_id]).get(member_id, frozenset())

    def roles_of(self, member_ids: Iterable[int]) -> dict[int, frozenset[Role]]:
        """Return the roles of several members at once."""
        ids = list(member_ids)
        out: dict[int, set[Role]] = {i: set() for i in ids}
        if ids:
            query = select(MemberRoleRow).where(col(MemberRoleRow.member_id).in_(ids))
            for row in self.session.exec(query):
                out[row.member_id].add(row.role)
        return {i: frozenset(r) for i, r in out.items()}

    def set_roles(self, member_id: int, roles: Collection[Role]) -> None:
        """Make the member's roles exactly ``roles``."""
        current = self.roles(member_id)
        for role in current - set(roles):
            row = self.session.get(MemberRoleRow, (member_id, role))
            self.session.delete(row)
        for role in set(roles) - current:
            self.session.add(MemberRoleRow(member_id=member_id, role=role))
        self.session.flush()

    def with_role(self, board_id: str, role: Role) -> list[MemberRow]:
        """Return the board's active members holding ``role``."""
        query = (
            select(MemberRow)
            .join(MemberRoleRow, col(MemberRoleRow.member_id) == col(MemberRow.id))
            .where(MemberRow.board_id == board_id, col(MemberRow.active))
            .where(MemberRoleRow.role == role)
            .order_by(MemberRow.name)
        )
        return list(self.session.exec(query))
