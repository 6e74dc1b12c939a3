"""Database fixtures shared by every test that needs a real database.

Fixtures (use them by name):

- ``database_url``: the URL of a clean database with every table created. Parametrised: each test
  that uses it runs on SQLite (a fresh file under ``tmp_path``, copied from a template file the
  session built once) and on PostgreSQL when ``CASEDESK_TEST_DATABASE_URL`` names one (a schema
  of its own per pytest session, or per xdist worker, emptied before each test; the parameter is
  skipped without the variable).
- ``empty_database_url``: the same backends, but with no tables at all (for migration tests).
- ``engine``: :func:`store.db.make_engine` on ``database_url``, disposed afterwards.
- ``uow_factory``: :func:`store.uow.make_uow_factory` on ``engine``.
- ``clock``: a :class:`bot.clock.FixedClock` at Monday 2 March 2026, 10:00 Europe/London.
- ``board_file``: the path of ``examples/board.toml``.
- ``board``: ``examples/board.toml`` synced into the database; the first board's
  :class:`bot.domain.board_file.BoardConfig` (its members in ``board.members``). The first sync
  into an empty database is kept, and the next empty databases get the rows it wrote.
- ``backend``: ``"sqlite"`` or ``"postgres"``, for tests that need to know.

Tests marked ``postgres`` (or parametrised on the postgres backend) skip without
``CASEDESK_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

from bot.clock import LONDON, FixedClock
from bot.domain.board_config import BoardConfig
from bot.domain.board_file import load_board_file
from bot.services.boards import sync_boards
from store.db import make_engine
from store.models import metadata
from store.uow import UowFactory, make_uow_factory

pytest_plugins = ["tests.fakes.fixtures"]

PG_ENV = "CASEDESK_TEST_DATABASE_URL"
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_BOARD = ROOT / "examples" / "board.toml"


def pg_url() -> str | None:
    """Return the PostgreSQL test database URL, or None when not configured."""
    return os.environ.get(PG_ENV, "").strip() or None


def with_schema(url: str, schema: str) -> str:
    """Return ``url`` with its connections' search_path set to ``schema``.

    Commits do not wait for the WAL to reach the disk (``synchronous_commit=off``): what a
    transaction sees and when is unchanged, only a server crash could lose the last commits,
    and each commit takes about 0.3 ms instead of 1-3 ms on this shared disk.
    """
    options = f"-csearch_path={schema} -csynchronous_commit=off"
    parsed = make_url(url).update_query_dict({"options": options})
    return parsed.render_as_string(hide_password=False)


def create_schema(url: str, schema: str) -> None:
    """Create (or recreate) an empty schema on the PostgreSQL database at ``url``."""
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        admin.dispose()


def drop_schema(url: str, schema: str) -> None:
    """Drop a schema made by :func:`create_schema`."""
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        admin.dispose()


_TABLES = [t.name for t in metadata.sorted_tables]  # parents first
_HAS_ROWS = " UNION ALL ".join(
    f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in _TABLES
)
_USED_SEQUENCES = (
    "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences "
    "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
)


def _tables_with_rows(conn: Connection) -> set[str]:
    """Return the names of the tables that hold at least one row."""
    return set(conn.execute(text(_HAS_ROWS)).scalars())


def _used_sequences(conn: Connection) -> list[str]:
    """Return the PostgreSQL sequences of the current schema that have handed out a value."""
    if conn.dialect.name != "postgresql":
        return []  # SQLite ids come from max(rowid) + 1: no AUTOINCREMENT table here
    return list(conn.execute(text(_USED_SEQUENCES)).scalars())


def _empty_tables(engine: Engine) -> None:
    """Empty every table and restart every sequence, as ``TRUNCATE ... RESTART IDENTITY`` would.

    TRUNCATE makes new files for every table and takes about half a second for the 18 tables;
    a DELETE of the few rows a test wrote takes milliseconds. Only the tables holding rows are
    emptied, children first; the audit log's insert-only trigger is set aside for its DELETE in
    the same transaction (``ENABLE TRIGGER USER`` also re-arms a guard a test left disabled).
    """
    with engine.begin() as conn:
        written = _tables_with_rows(conn)
        if "audit_events" in written:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        for name in reversed(_TABLES):
            if name in written:
                conn.execute(text(f'DELETE FROM "{name}"'))
        if "audit_events" in written:
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
        for sequence in _used_sequences(conn):
            conn.execute(text("SELECT setval(:seq, 1, false)"), {"seq": sequence})


def _worker() -> str:
    """Return this pytest-xdist worker's id (``gw0``, ``gw1``...), or ``main`` without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with every table created, built once per session (per xdist worker)."""
    path = tmp_path_factory.mktemp("template") / "casedesk.db"
    engine = make_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    engine.dispose()  # closing the last connection checkpoints and removes the WAL file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(scope="session")
def _pg_session_url() -> Iterator[str | None]:
    """A schema of this pytest session's own on the PostgreSQL test database, tables created.

    Each xdist worker is a session of its own, so each worker has a schema of its own.
    """
    base = pg_url()
    if base is None:
        yield None
        return
    schema = f"casedesk_test_{_worker()}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    create_schema(base, schema)
    url = with_schema(base, schema)
    engine = make_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    try:
        yield url
    finally:
        drop_schema(base, schema)


@pytest.fixture(scope="session")
def _pg_cleaner(_pg_session_url: str | None) -> Iterator[Engine]:
    """One engine on the session's schema, kept open, that empties it before each test."""
    assert _pg_session_url is not None
    engine = make_engine(_pg_session_url, pool_size=1)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs on; the postgres parameter skips when not configured."""
    if request.param == "postgres" and pg_url() is None:
        pytest.skip(f"{PG_ENV} is not set")
    return request.param


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The URL of a clean database with every table (see the module docstring)."""
    if backend == "sqlite":
        path = tmp_path / "casedesk.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}"
    _empty_tables(request.getfixturevalue("_pg_cleaner"))
    return request.getfixturevalue("_pg_session_url")


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a database with no tables (a fresh file, or a fresh PostgreSQL schema)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    base = pg_url()
    assert base is not None
    schema = f"casedesk_empty_{_worker()}_{uuid.uuid4().hex[:10]}"
    create_schema(base, schema)
    try:
        yield with_schema(base, schema)
    finally:
        drop_schema(base, schema)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on ``database_url``."""
    eng = make_engine(database_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def uow_factory(engine: Engine) -> UowFactory:
    """Makes a fresh unit of work on ``engine`` each call."""
    return make_uow_factory(engine)


@pytest.fixture
def clock() -> FixedClock:
    """Monday 2 March 2026, 10:00 in London (a working day in every nation)."""
    return FixedClock(datetime(2026, 3, 2, 10, 0, tzinfo=LONDON))


@pytest.fixture
def board_file() -> Path:
    """The example board file shipped in the repository."""
    return EXAMPLE_BOARD


@dataclass
class _Synced:
    """What syncing a board file into an empty database wrote, to write again without the sync.

    SQLite keeps the rows as its driver read them (ints, floats, text, bytes: written back,
    they are stored exactly as they were); PostgreSQL keeps copies of the tables in a schema of
    their own, so they are copied back inside the server, byte for byte.
    """

    tables: list[str]  # the tables the sync wrote, parents first
    rows: dict[str, list[tuple[Any, ...]]]  # SQLite
    schema: str | None  # PostgreSQL
    sequences: list[tuple[str, int, bool]]  # PostgreSQL: name, last_value, is_called


class _SyncedBoards:
    """The databases ``board`` synced this session, by backend, board file and time."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, ...], _Synced] = {}

    def keep(self, key: tuple[str, ...], engine: Engine) -> None:
        """Remember what the sync just wrote into the database of ``engine``."""
        with engine.begin() as conn:
            tables = [name for name in _TABLES if name in _tables_with_rows(conn)]
            sequences = [
                (seq, *conn.execute(text(f"SELECT last_value, is_called FROM {seq}")).one())
                for seq in _used_sequences(conn)
            ]
            rows: dict[str, list[tuple[Any, ...]]] = {}
            schema = None
            if engine.dialect.name == "postgresql":
                schema = f"casedesk_board_{_worker()}_{uuid.uuid4().hex[:10]}"
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
                for name in tables:
                    conn.execute(text(f'CREATE TABLE "{schema}"."{name}" AS TABLE "{name}"'))
            else:
                for name in tables:
                    rows[name] = [tuple(r) for r in conn.exec_driver_sql(f'SELECT * FROM "{name}"')]
        self.by_key[key] = _Synced(tables, rows, schema, sequences)

    def write(self, synced: _Synced, engine: Engine) -> None:
        """Write the kept rows into the (empty) database of ``engine``."""
        with engine.begin() as conn:
            for name in synced.tables:
                if synced.schema is not None:
                    conn.execute(
                        text(f'INSERT INTO "{name}" SELECT * FROM "{synced.schema}"."{name}"')
                    )
                else:
                    marks = ", ".join("?" * len(synced.rows[name][0]))
                    conn.exec_driver_sql(
                        f'INSERT INTO "{name}" VALUES ({marks})', synced.rows[name]
                    )
            for seq, last_value, is_called in synced.sequences:
                conn.execute(
                    text("SELECT setval(:seq, :value, :called)"),
                    {"seq": seq, "value": last_value, "called": is_called},
                )

    def drop(self) -> None:
        """Drop the PostgreSQL schemas holding kept tables."""
        base = pg_url()
        for synced in self.by_key.values():
            if synced.schema is not None and base is not None:
                drop_schema(base, synced.schema)


@pytest.fixture(scope="session")
def _synced_boards() -> Iterator[_SyncedBoards]:
    """The board syncs kept this session (per xdist worker)."""
    kept = _SyncedBoards()
    try:
        yield kept
    finally:
        kept.drop()


@pytest.fixture
def board(
    uow_factory: UowFactory,
    clock: FixedClock,
    board_file: Path,
    engine: Engine,
    _synced_boards: _SyncedBoards,
) -> BoardConfig:
    """The example board file synced into the database; returns its first board (Surrey).

    People on it (all fictional): U0BEN00001 Ben Okafor (business manager and member),
    U0PRI00002 Priya Raman (chair and member), U0TOM00003 Tom Hughes and U0ANA00004 Ana Kowalski
    (members), U0GRA00005 Grace Mensah (decision-maker), U0SAM00006 Sam Whitfield (admin). The
    second board, ``stockport-adults``, is synced too.

    Syncing takes 40-70 ms; copying what it wrote takes a few. So the first sync into an empty
    database of each backend, board file and clock time is kept, and the same sync into another
    empty database writes those rows again (the same rows, audit chain and sequences the sync
    would write). A database that is not empty gets the real sync.
    """
    boards = load_board_file(board_file)
    now = clock.now()
    key = (
        engine.dialect.name,
        engine.url.database or "",  # kept tables live in that database (a test may make its own)
        str(board_file),
        board_file.read_text(),
        now.isoformat(),
        repr(now.tzinfo),
    )
    with engine.connect() as conn:
        empty = not _tables_with_rows(conn) and not _used_sequences(conn)
    kept = _synced_boards.by_key.get(key)
    if empty and kept is not None:
        _synced_boards.write(kept, engine)
        return boards[0]
    with uow_factory() as uow:
        sync_boards(boards, uow=uow, now=now)
    if empty:
        _synced_boards.keep(key, engine)
    return boards[0]
