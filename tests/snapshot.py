"""Every row of every table, to show that a refused request wrote nothing at all."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from store.models import metadata


def database_rows(uow_factory: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Return each table's rows (sorted, so two snapshots compare equal when nothing changed)."""
    with uow_factory(read_only=True) as uow:
        return {
            table.name: sorted(map(tuple, uow.session.execute(select(table)).all()), key=repr)
            for table in metadata.sorted_tables
        }
