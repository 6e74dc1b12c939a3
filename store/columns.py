"""Column helpers shared by the table modules, and the one naming convention of constraints."""

from __future__ import annotations

from typing import Any

from sqlmodel import Field, SQLModel

from store.types import StrEnumType, TZDateTime

metadata = SQLModel.metadata
# Constraint names the same on every database, so later migrations can name what they alter.
metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def when(*, nullable: bool = False) -> Any:
    """An aware datetime column (UTC)."""
    return Field(default=None, sa_type=TZDateTime, nullable=nullable)


def enum_column(kind: type, *, nullable: bool = False, length: int = 32) -> Any:
    """A domain enum stored as its value."""
    return Field(default=None, sa_type=StrEnumType(kind, length), nullable=nullable)


def fk(target: str, *, nullable: bool = False, index: bool = False) -> Any:
    """A foreign key column to ``target`` (``table.column``)."""
    length = 64 if target == "boards.id" else None  # string keys get the board id's length
    return Field(
        default=None, foreign_key=target, nullable=nullable, index=index, max_length=length
    )
