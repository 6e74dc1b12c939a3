"""Database fixtures shared by every test that needs a real database.

Fixtures (use them by name):

- ``database_url``: the URL of a clean database with every table created. Parametrised: each test
  that uses it runs on SQLite (a fresh file under ``tmp_path``) and on PostgreSQL when
  ``CASEDESK_TEST_DATABASE_URL`` names one (a schema of its own per pytest session, emptied
  before each test; the parameter is skipped without the variable).
- ``empty_database_url``: the same backends, but with no tables at all (for migration tests).
- ``engine``: :func:`store.db.make_engine` on ``database_url``, disposed afterwards.
- ``uow_factory``: :func:`store.uow.make_uow_factory` on ``engine``.
- ``clock``: a :class:`bot.clock.FixedClock` at Monday 2 March 2026, 10:00 Europe/London.
- ``board_file``: the path of ``examples/board.toml``.
- ``board``: ``examples/board.toml`` synced into the database; the first board's
  :class:`bot.domain.board_file.BoardConfig` (its members in ``board.members``).
- ``backend``: ``"sqlite"`` or ``"postgres"``, for tests that need to know.

Tests marked ``postgres`` (or parametrised on the postgres backend) skip without
``CASEDESK_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
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
    """Return ``url`` with its connections' search_path set to ``schema``."""
    parsed = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
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


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def _pg_session_url() -> Iterator[str | None]:
    """A schema of this pytest session's own on the PostgreSQL test database, tables created."""
    base = pg_url()
    if base is None:
        yield None
        return
    schema = f"casedesk_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    create_schema(base, schema)
    url = with_schema(base, schema)
    engine = make_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    try:
        yield url
    finally:
        drop_schema(base, schema)


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
        url = f"sqlite:///{tmp_path / 'casedesk.db'}"
        engine = make_engine(url)
        metadata.create_all(engine)
        engine.dispose()
        return url
    url = request.getfixturevalue("_pg_session_url")
    engine = make_engine(url)
    _truncate_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a database with no tables (a fresh file, or a fresh PostgreSQL schema)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    base = pg_url()
    assert base is not None
    schema = f"casedesk_empty_{uuid.uuid4().hex[:10]}"
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


@pytest.fixture
def board(uow_factory: UowFactory, clock: FixedClock, board_file: Path) -> BoardConfig:
    """The example board file synced into the database; returns its first board (Surrey).

    People on it (all fictional): U0BEN00001 Ben Okafor (business manager and member),
    U0PRI00002 Priya Raman (chair and member), U0TOM00003 Tom Hughes and U0ANA00004 Ana Kowalski
    (members), U0GRA00005 Grace Mensah (decision-maker), U0SAM00006 Sam Whitfield (admin). The
    second board, ``stockport-adults``, is synced too.
    """
    boards = load_board_file(board_file)
    with uow_factory() as uow:
        sync_boards(boards, uow=uow, now=clock.now())
    return boards[0]
