"""The vote repositories: ballots, declared conflicts of interest and decisions. They never commit.

Reads over many cases go in chunks of ``IN_CHUNK`` ids (:func:`store.repositories.chunked`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import col, select

from bot.domain.cases import CaseState
from store.models import BallotRow, CaseRow, ConflictRow, DecisionRow
from store.repositories import Repository, chunked


class BallotRepository(Repository):
    """Ballots: every version kept; the highest version per member and round is current."""

    def current(self, case_id: int, round_: int) -> list[BallotRow]:
        """Return each member's current ballot in a voting round, by member id."""
        latest = (
            select(BallotRow.member_id, func.max(BallotRow.version).label("version"))
            .where(BallotRow.case_id == case_id, BallotRow.round == round_)
            .group_by(col(BallotRow.member_id))
            .subquery()
        )
        query = (
            select(BallotRow)
            .join(
                latest,
                (col(BallotRow.member_id) == latest.c.member_id)
                & (col(BallotRow.version) == latest.c.version),
            )
            .where(BallotRow.case_id == case_id, BallotRow.round == round_)
            .order_by(col(BallotRow.member_id))
        )
        return list(self.session.exec(query))

    def voters_by_case(self, case_ids: Iterable[int]) -> dict[int, set[int]]:
        """Return, per case, the members with a ballot in the case's current voting round."""
        found: dict[int, set[int]] = {}
        for chunk in chunked(case_ids):
            query = (
                select(BallotRow.case_id, BallotRow.member_id)
                .join(CaseRow, col(CaseRow.id) == col(BallotRow.case_id))
                .where(col(BallotRow.case_id).in_(chunk))
                .where(col(BallotRow.round) == col(CaseRow.voting_round))
                .distinct()
            )
            for case_id, member_id in self.session.exec(query):
                found.setdefault(case_id, set()).add(member_id)
        return found

    def latest_version(self, case_id: int, member_id: int, round_: int) -> int:
        """Return the member's highest ballot version in the round (0: none yet)."""
        query = select(func.max(BallotRow.version)).where(
            BallotRow.case_id == case_id,
            BallotRow.member_id == member_id,
            BallotRow.round == round_,
        )
        return int(self.session.exec(query).one() or 0)

    def history(self, case_id: int) -> list[BallotRow]:
        """Return every ballot version of the case, oldest first."""
        query = select(BallotRow).where(BallotRow.case_id == case_id)
        return list(self.session.exec(query.order_by(col(BallotRow.id))))

    def by_idempotency_key(self, key: str) -> BallotRow | None:
        """Return the ballot a redelivered payload already recorded."""
        return self.session.exec(select(BallotRow).where(BallotRow.idempotency_key == key)).first()

    def pending_cases(self, member_id: int, board_id: str) -> list[CaseRow]:
        """Return the board's cases open for votes on which the member has no current ballot."""
        voted = select(BallotRow.case_id).where(
            BallotRow.member_id == member_id,
            BallotRow.round == CaseRow.voting_round,
            BallotRow.case_id == CaseRow.id,
        )
        conflicted = select(ConflictRow.case_id).where(
            ConflictRow.member_id == member_id, ConflictRow.case_id == CaseRow.id
        )
        query = select(CaseRow).where(
            CaseRow.board_id == board_id,
            CaseRow.state == CaseState.VOTING,
            ~voted.exists(),
            ~conflicted.exists(),
        )
        return list(self.session.exec(query.order_by(col(CaseRow.id))))


class ConflictRepository(Repository):
    """Declared conflicts of interest."""

    def of_case(self, case_id: int) -> list[ConflictRow]:
        """Return the conflicts declared on the case, oldest first."""
        query = select(ConflictRow).where(ConflictRow.case_id == case_id)
        return list(self.session.exec(query.order_by(col(ConflictRow.id))))

    def members_by_case(self, case_ids: Iterable[int]) -> dict[int, set[int]]:
        """Return, per case, the members who declared a conflict on it."""
        found: dict[int, set[int]] = {}
        for chunk in chunked(case_ids):
            query = select(ConflictRow.case_id, ConflictRow.member_id).where(
                col(ConflictRow.case_id).in_(chunk)
            )
            for case_id, member_id in self.session.exec(query):
                found.setdefault(case_id, set()).add(member_id)
        return found

    def find(self, case_id: int, member_id: int) -> ConflictRow | None:
        """Return the member's conflict on the case, if declared."""
        query = select(ConflictRow).where(
            ConflictRow.case_id == case_id, ConflictRow.member_id == member_id
        )
        return self.session.exec(query).first()


class DecisionRepository(Repository):
    """Decisions: at most one per case (a unique key)."""

    def of_case(self, case_id: int) -> DecisionRow | None:
        """Return the case's standing decision (its latest revision), if recorded."""
        query = (
            select(DecisionRow)
            .where(DecisionRow.case_id == case_id)
            .order_by(col(DecisionRow.revision).desc())
        )
        return self.session.exec(query).first()

    def history(self, case_id: int) -> list[DecisionRow]:
        """Return every decision recorded on the case, the first first (revisions after)."""
        query = (
            select(DecisionRow)
            .where(DecisionRow.case_id == case_id)
            .order_by(col(DecisionRow.revision))
        )
        return list(self.session.exec(query))

    def by_idempotency_key(self, key: str) -> DecisionRow | None:
        """Return the decision a redelivered submission already recorded."""
        query = select(DecisionRow).where(DecisionRow.idempotency_key == key)
        return self.session.exec(query).first()
