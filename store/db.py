"""Engines: one function makes them, for SQLite (embedded default) and PostgreSQL.

Nothing here runs at import: the URL comes from :func:`database_url` when a command asks for it.

SQLite is made to behave: foreign keys on, WAL for files (readers do not block the writer), a busy
timeout instead of "database is locked", and every transaction begun with ``BEGIN IMMEDIATE`` so
writers queue up at the start rather than fail at commit. That is what makes reference allocation
and the audit chain safe on SQLite; on PostgreSQL they rely on row locks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool, StaticPool

DEFAULT_DATABASE_URL = "sqlite:///casedesk.db"
BUSY_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_S = 10
"""How long a PostgreSQL connection attempt may take before it fails (unless the URL says)."""
PROBE_TIMEOUT_S = 5
"""How long :func:`probe` (start-up's check) waits to connect (unless the URL says)."""


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """Return ``DATABASE_URL`` from the environment, or the embedded SQLite default."""
    env = os.environ if environ is None else environ
    return env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with casedesk's connection settings.

    Args:
        url: a SQLAlchemy URL (``sqlite:///casedesk.db``, ``postgresql+psycopg://...``).
        **kwargs: passed to :func:`sqlalchemy.create_engine`.

    ``hide_parameters``: a database error's message never quotes the statement's parameters,
    which can be a subject's name, date of birth or address (PRODUCT.md §Confidentiality), so
    whatever logs or reports the error cannot leak them. casedesk's own log formatter withholds
    exception messages too (:mod:`bot.logs`); this holds for any other handler or error tracker.

    ``connect_timeout``: a PostgreSQL server that does not answer (a host gone, a firewall
    dropping packets) fails a request within :data:`CONNECT_TIMEOUT_S` rather than holding a
    server thread for the operating system's two minutes; a ``connect_timeout`` in the URL wins.
    """
    parsed = make_url(url)
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        _default_connect_timeout(parsed, kwargs, CONNECT_TIMEOUT_S)
        return create_engine(parsed, **kwargs)
    in_memory = parsed.database in (None, "", ":memory:")
    if in_memory:
        # One shared connection, or every session would see its own empty database.
        kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
    engine = create_engine(parsed, **kwargs)
    _configure_sqlite(engine, wal=not in_memory)
    return engine


def probe(url: str, *, timeout: int = PROBE_TIMEOUT_S) -> None:
    """Connect to the database at ``url`` once and run ``SELECT 1``.

    The connection is made for this check alone and closed; on PostgreSQL it gives up after
    ``timeout`` seconds (unless the URL sets ``connect_timeout``).

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the database did not answer, or ``url`` names a database
            casedesk has no driver for (``ImportError`` for a driver that is not installed).
    """
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"poolclass": NullPool}
    if parsed.get_backend_name() != "sqlite":
        _default_connect_timeout(parsed, kwargs, timeout)
    engine = make_engine(url, **kwargs)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()


def shown_url(url: str) -> str:
    """Return ``url`` fit to print: its password (and any password in its query) hidden."""
    parsed = make_url(url)
    secret = {key: "***" for key in parsed.query if "password" in key.lower()}
    return parsed.update_query_dict(secret).render_as_string(hide_password=True)


def _default_connect_timeout(parsed: URL, kwargs: dict[str, Any], seconds: int) -> None:
    """Give PostgreSQL connections a ``connect_timeout`` unless the URL or caller set one."""
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        kwargs["connect_args"] = {"connect_timeout": seconds, **kwargs.get("connect_args", {})}


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    """Set pragmas on each connection and begin transactions with BEGIN IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit BEGIN would be DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A read-only unit of work (store.uow.READ_ONLY) begins deferred: no write lock taken.
        read_only = connection.get_execution_options().get("casedesk_read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
