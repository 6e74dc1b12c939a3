"""Migrations: an empty database upgraded to head matches the models exactly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from store.db import make_engine
from store.migrate import alembic_config, current_revision, head_revision, upgrade
from store.models import metadata
from store.uow import make_uow_factory


def test_upgrading_an_empty_database_to_head_leaves_no_difference_from_the_models(
    empty_database_url,
):
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
        assert diff == []
        assert current_revision(engine) == head_revision() == "0006"
        assert set(inspect(engine).get_table_names()) == set(metadata.tables) | {"alembic_version"}
    finally:
        engine.dispose()


def test_the_migrated_audit_log_refuses_updates(empty_database_url):
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        uow_factory = make_uow_factory(engine)
        with uow_factory() as uow:
            uow.audit.append(at=datetime.now(UTC), actor="U1", action="test", entity="board")
            uow.commit()
        with uow_factory() as uow, pytest.raises(DBAPIError, match="insert-only"):
            uow.session.execute(text("UPDATE audit_events SET actor = 'U2'"))
    finally:
        engine.dispose()


def test_upgrading_twice_changes_nothing_and_downgrade_empties_the_database(empty_database_url):
    upgrade(empty_database_url)
    upgrade(empty_database_url)
    command.downgrade(alembic_config(empty_database_url), "base")
    engine = make_engine(empty_database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        assert current_revision(engine) is None
    finally:
        engine.dispose()
