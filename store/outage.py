"""Telling "the database cannot be reached" apart from a bug, and saying why in a few safe words.

A database outage is not casedesk's fault and needs no traceback: the person is told to try
again, the log gets one line naming the driver's exception class and a short reason. What counts
as an outage (:func:`is_outage`):

* any error SQLAlchemy reports as having lost its connection (``connection_invalidated``), and
  any ``InterfaceError`` (psycopg's "the connection is closed");
* PostgreSQL: an ``OperationalError`` with no SQLSTATE (the client could not connect: refused,
  timed out, no such host, user or database, as while one is renamed or restored; or it lost the
  server), or whose SQLSTATE says the connection failed (class 08), was refused (class 28) or the
  server is shutting down, starting up or full (``57P01``-``57P03``, ``53300``);
* SQLite: the file cannot be opened (its directory gone or unreadable), the disk failed, or the
  database stayed locked beyond the busy timeout (``SQLITE_CANTOPEN``, ``SQLITE_IOERR*``,
  ``SQLITE_BUSY``, ``SQLITE_LOCKED``).

Everything else is reported as the bug it is: a missing table, a constraint, a statement
timeout, and also a serialization failure or a lock timeout (PostgreSQL calls those operational
errors too, but the database did answer). The reason shown (:func:`describe_error`) comes from
a fixed list of phrases matched in the driver's message; the message itself is never shown, as
it could quote data.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

_PG_OUTAGE_CLASSES = ("08", "28")
_PG_OUTAGE_STATES = frozenset({"53300", "57P01", "57P02", "57P03"})
_SQLITE_OUTAGES = frozenset({"SQLITE_CANTOPEN", "SQLITE_BUSY", "SQLITE_LOCKED"})

# (what the driver's message says, what casedesk may show): never the message itself.
_REASONS = (
    (r"connection refused", "connection refused"),
    (r"timeout|timed out", "timed out"),
    (r"resolve host|translate host name|name or service not known", "unknown host"),
    (r"password authentication failed", "password authentication failed"),
    (r"no password supplied", "no password given"),
    (r"no pg_hba\.conf entry", "the server does not accept this client"),
    (r'database ".*" does not exist', "the database does not exist"),
    (r'role ".*" does not exist', "the user does not exist"),
    (r"too many (clients|connections)", "too many connections"),
    (r"database system is (starting up|shutting down|in recovery)", "the server is not ready"),
    (
        r"server closed the connection|connection is closed|terminating connection|"
        r"consuming input failed|connection is lost|ssl syscall error",
        "connection lost",
    ),
    (r"unable to open database file", "cannot open the database file"),
    (r"database is locked|database table is locked", "the database is locked"),
    (r"disk i/o error", "disk I/O error"),
)


def is_outage(error: BaseException) -> bool:
    """Return whether ``error`` means the database cannot be reached right now.

    Args:
        error: what a unit of work or an engine raised (its ``__cause__`` is looked at too, for
            code that re-raises a database error as its own).
    """
    for err in (error, error.__cause__):
        if isinstance(err, DBAPIError):
            if err.connection_invalidated or isinstance(err, InterfaceError):
                return True
            return isinstance(err, OperationalError) and _driver_outage(err.orig)
    return False


def _driver_outage(orig: BaseException | None) -> bool:
    """Read the driver's own error: PostgreSQL's SQLSTATE or SQLite's result code."""
    sqlite_name = getattr(orig, "sqlite_errorname", None)
    if sqlite_name is not None:
        return sqlite_name in _SQLITE_OUTAGES or sqlite_name.startswith("SQLITE_IOERR")
    if hasattr(orig, "sqlstate") or hasattr(orig, "pgcode"):  # psycopg 3, psycopg2
        state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        return state is None or state[:2] in _PG_OUTAGE_CLASSES or state in _PG_OUTAGE_STATES
    return False


def describe_error(error: BaseException) -> str:
    """Name an error for a log line or start-up message, without its message.

    A database error is named by the driver's exception class (``psycopg.OperationalError``)
    and, where its message says something from a fixed list, a short reason:
    ``psycopg.OperationalError: connection refused``. A missing module names the module.
    """
    err = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    name = f"{type(err).__module__}.{type(err).__qualname__}"
    if isinstance(err, ImportError) and err.name:
        return f"{name}: {err.name} is not installed"
    text = str(err).lower()
    for pattern, reason in _REASONS:
        if re.search(pattern, text):
            return f"{name}: {reason}"
    return name
