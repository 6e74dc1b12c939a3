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
