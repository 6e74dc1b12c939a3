"""Alembic environment: run programmatically by :mod:`store.migrate` (no alembic.ini).

The database URL comes from ``config.attributes["url"]`` (set by :func:`store.migrate.upgrade`);
an open connection may be passed as ``config.attributes["connection"]`` instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from store.db import make_engine
from store.models import metadata

config = context.config


def _run(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        # A batch alteration copies a table, drops it and renames the copy; with foreign keys on,
        # dropping a table others refer to (boards, cases) fails. The pragma is a no-op inside a
        # transaction, so it is set before Alembic begins one, and set back after.
        _pragma(connection, "foreign_keys=OFF")
        try:
            _configure_and_run(connection)
        finally:
            _pragma(connection, "foreign_keys=ON")
        return
    _configure_and_run(connection)


def _pragma(connection: Connection, setting: str) -> None:
    """Set a SQLite pragma on the driver's connection, outside any transaction.

    Through SQLAlchemy the pragma would run inside the transaction it begins, and do nothing.
    """
    if connection.in_transaction():
        connection.commit()
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA {setting}")
    finally:
        cursor.close()


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Apply migrations on the given connection, or on a new engine for the given URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.attributes["url"])
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():  # pragma: no cover - casedesk always migrates online
    raise SystemExit("casedesk migrations run online: casedesk db upgrade")
run_migrations_online()
