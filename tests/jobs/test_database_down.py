"""The scheduler through a database outage: one line per job, then everything owed goes out.

On SQLite the database is alone in a folder; moving the folder away (and dropping the pooled
connections, as a restarted server would) makes it unreachable as a lost mount does, and moving
it back brings it back. On PostgreSQL (with ``CASEDESK_TEST_DATABASE_URL``) the test makes a
database of its own and renames it away, its connections ended, and back. Source: issue #13
item 6 ("everything resumes by itself when the database returns").
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.jobs import run_once
from bot.trouble import JobTrouble
from store.db import make_engine
from store.models import metadata
from tests.conftest import pg_url
from tests.fakes.slack_api import dm_channel
from tests.jobs.conftest import BEN, Ticker, owe_grace, posted

GRACE = "U0GRA00005"  # a Surrey member, owed a DM by an earlier step


@dataclass
class Outage:
    """Takes the test's database away and brings it back; says what the log will name."""

    url: str
    away: Callable[[], None]
    back: Callable[[], None]
    reason: str


@pytest.fixture
def outage(backend, tmp_path) -> Iterator[Outage]:
    """A database with every table that the test can make unreachable (see the module)."""
    if backend == "sqlite":
        yield sqlite_outage(tmp_path)
        return
    admin = create_engine(pg_url(), isolation_level="AUTOCOMMIT")
    name = f"casedesk_down_{uuid.uuid4().hex[:8]}"

    def rename(old: str, new: str) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{old}" RENAME TO "{new}"'))

    def away() -> None:
        with admin.connect() as conn:  # a database is renamed only with nobody connected
            conn.execute(ENDS_CONNECTIONS, {"name": name})
        rename(name, f"{name}_away")

    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_url()).set(database=name).render_as_string(hide_password=False)
    create_tables(url)
    try:
        yield Outage(url, away, lambda: rename(f"{name}_away", name), "the database does not exist")
    finally:
        with admin.connect() as conn:
            conn.execute(ENDS_CONNECTIONS, {"name": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


ENDS_CONNECTIONS = text(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = :name AND pid <> pg_backend_pid()"
)


def sqlite_outage(tmp_path: Path) -> Outage:
    """SQLite alone in ``tmp_path/db``: the folder is moved away and back."""
    folder, moved = tmp_path / "db", tmp_path / "away"
    folder.mkdir()
    url = f"sqlite:///{folder / 'casedesk.db'}"
    create_tables(url)
    return Outage(
        url,
        away=lambda: folder.rename(moved),
        back=lambda: moved.rename(folder),
        reason="cannot open the database file",
    )


def create_tables(url: str) -> None:
    engine = make_engine(url)
    metadata.create_all(engine)
    engine.dispose()


@pytest.fixture
def database_url(outage) -> str:
    """The outage's database, for the store's fixtures (engine, uow_factory, board)."""
    return outage.url


def test_reminders_and_owed_messages_go_out_by_themselves_once_the_database_is_back(
    outage, backend, make_case, uow_factory, owing_factory, engine, sender, clock, slack_api, caplog
):
    reference, _ = make_case(date(2026, 3, 9))  # its 5-working-day reminder is due today
    owe_grace(uow_factory, clock)  # a DM a step owed before the outage
    minute = Ticker()
    trouble = JobTrouble(monotonic=minute)

    def tick():
        return run_once(uow_factory=owing_factory, sender=sender, clock=clock, trouble=trouble)

    caplog.set_level(logging.INFO)
    outage.away()
    if backend == "sqlite":
        engine.dispose()  # the pooled connections go, as with a lost mount
    down = tick()
    minute.at += 20
    still_down = tick()
    outage.back()
    minute.at += 20
    back = tick()
    after = tick()

    assert [(r.claimed, r.digests, r.sent) for r in (down, still_down, back, after)] == [
        (0, 0, 0),
        (0, 0, 0),
        (1, 2, 4),  # the reminder and both boards' digests owed; they and the owed DM sent
        (0, 0, 0),
    ]
    assert sorted((m["channel"], m["text"]) for m in posted(slack_api)) == sorted(
        [
            (
                dm_channel(BEN),
                f"Coming up: {reference} (Child A): Rapid review sent, due Mon 9 Mar 2026, "
                "5 working days left.",
            ),
            ("C0SARGRP02", "Deadlines for Mon 2 Mar 2026: 0 overdue, 0 due soon."),
            ("C0CASEREV01", "Deadlines for Mon 2 Mar 2026: 0 overdue, 1 due soon."),
            (dm_channel(GRACE), "Priya Raman: no further action"),
        ]
    )
    driver = "sqlite3" if backend == "sqlite" else "psycopg"
    unreachable = f"cannot reach the database ({driver}.OperationalError: {outage.reason})"
    assert [(r.levelname, r.getMessage()) for r in worth_noting(caplog.records)] == [
        ("WARNING", f"job 'reminder sweep' failed: {unreachable}"),
        ("WARNING", f"job 'outbox delivery' failed: {unreachable}"),
        ("INFO", "job 'reminder sweep' recovered after 2 failed run(s) over 40 s"),
        ("INFO", "job 'outbox delivery' recovered after 2 failed run(s) over 40 s"),
    ]
    assert [r for r in caplog.records if r.exc_info] == []  # no traceback from anyone


def worth_noting(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    """Return every warning or worse, from any logger, and the trouble log's own lines."""
    return [r for r in records if r.levelno > logging.INFO or r.name == "bot.trouble"]
