"""Telling a database outage from a bug; the start-up probe; URLs printed without passwords.

Source: issue #13 item 6 ("The database down").
"""

from __future__ import annotations

import psycopg.errors
import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

from store.db import make_engine, probe, shown_url
from store.outage import describe_error, is_outage

REFUSED = "postgresql+psycopg://casedesk:hunter2@127.0.0.1:1/casedesk"
SUBJECT = "Zebedee Quartermaine"  # stands in for anything a driver's message might quote


def raised(action) -> BaseException:
    with pytest.raises(Exception) as caught:
        action()
    return caught.value


def test_a_refused_postgresql_connection_is_an_outage_named_by_class_and_reason():
    err = raised(lambda: probe(REFUSED))
    assert is_outage(err)
    assert describe_error(err) == "psycopg.OperationalError: connection refused"


def test_a_sqlite_file_in_a_missing_folder_is_an_outage(tmp_path):
    err = raised(lambda: probe(f"sqlite:///{tmp_path / 'gone' / 'c.db'}"))
    assert is_outage(err)
    assert describe_error(err) == "sqlite3.OperationalError: cannot open the database file"


def test_a_sqlite_database_locked_beyond_its_busy_timeout_is_an_outage(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'c.db'}", connect_args={"timeout": 0})
    try:
        with engine.connect() as holder, engine.connect() as waiter:
            holder.exec_driver_sql("BEGIN IMMEDIATE")
            err = raised(lambda: waiter.exec_driver_sql("BEGIN IMMEDIATE"))
            holder.exec_driver_sql("ROLLBACK")
    finally:
        engine.dispose()
    assert is_outage(err)
    assert describe_error(err) == "sqlite3.OperationalError: the database is locked"


def test_a_missing_table_or_a_broken_constraint_is_a_bug_not_an_outage(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (name TEXT UNIQUE)"))
            conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": SUBJECT})
        with engine.connect() as conn:
            missing = raised(lambda: conn.execute(text("SELECT * FROM nowhere")))
        with engine.connect() as conn:
            twice = raised(lambda: conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": SUBJECT}))
    finally:
        engine.dispose()
    assert isinstance(missing, OperationalError) and not is_outage(missing)
    assert isinstance(twice, IntegrityError) and not is_outage(twice)
    assert describe_error(missing) == "sqlite3.OperationalError"
    assert describe_error(twice) == "sqlite3.IntegrityError"  # no message, no parameters


@pytest.mark.parametrize(
    ("driver_error", "outage", "described"),
    [
        (psycopg.errors.AdminShutdown("terminating connection"), True, "connection lost"),
        (psycopg.errors.CannotConnectNow("the database system is starting up"), True, "not ready"),
        (psycopg.errors.ConnectionFailure("server closed the connection"), True, "connection lost"),
        (psycopg.errors.InvalidPassword("password authentication failed"), True, "password"),
        (psycopg.errors.TooManyConnections("too many clients already"), True, "too many"),
        (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), False, ""),
        (psycopg.errors.SerializationFailure("could not serialize access"), False, ""),
        (psycopg.errors.LockNotAvailable("could not obtain lock"), False, ""),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else None,
)
def test_postgresql_errors_are_outages_when_the_connection_failed_or_the_server_is_going(
    driver_error, outage, described
):
    err = OperationalError("SELECT 1", {}, driver_error)
    assert is_outage(err) is outage
    assert describe_error(err).startswith(f"psycopg.errors.{type(driver_error).__name__}")
    assert described in describe_error(err)


def test_an_error_on_a_connection_sqlalchemy_found_dead_is_an_outage():
    err = DBAPIError("SELECT 1", {}, psycopg.DatabaseError("boom"), connection_invalidated=True)
    assert is_outage(err)
    assert not is_outage(ProgrammingError("SELECT 1", {}, psycopg.errors.UndefinedTable("x")))


def test_an_outage_re_raised_as_another_error_is_still_an_outage():
    outage = raised(lambda: probe(REFUSED))
    try:
        raise RuntimeError("the step failed") from outage
    except RuntimeError as err:
        assert is_outage(err)
    assert not is_outage(RuntimeError(SUBJECT))


def test_describing_an_error_never_repeats_its_message():
    assert describe_error(RuntimeError(f"no row for {SUBJECT}")) == "builtins.RuntimeError"
    missing = ModuleNotFoundError("No module named 'psycopg2'", name="psycopg2")
    assert describe_error(missing) == "builtins.ModuleNotFoundError: psycopg2 is not installed"


def test_start_up_probe_answers_on_a_reachable_database(tmp_path):
    probe(f"sqlite:///{tmp_path / 'c.db'}")
    probe("sqlite://")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (REFUSED, "postgresql+psycopg://casedesk:***@127.0.0.1:1/casedesk"),
        (
            "postgresql+psycopg://u@db.example/cd?password=hunter2&sslmode=require",
            "postgresql+psycopg://u@db.example/cd?password=%2A%2A%2A&sslmode=require",
        ),
        ("sqlite:////var/lib/casedesk/casedesk.db", "sqlite:////var/lib/casedesk/casedesk.db"),
    ],
)
def test_a_printed_database_url_never_shows_a_password(url, shown):
    assert shown_url(url) == shown
    assert "hunter2" not in shown_url(url)


class Connected(Exception):
    """Raised instead of connecting, once the driver's arguments are seen."""


def connect_args_of(engine) -> dict:
    """Return the keyword arguments ``engine`` would pass the driver to connect."""
    seen: dict = {}

    @event.listens_for(engine, "do_connect")
    def _capture(dialect, conn_rec, cargs, cparams):
        seen.update(cparams)
        raise Connected

    with pytest.raises(Connected):
        engine.connect()
    engine.dispose()
    return seen


def test_a_postgresql_server_that_does_not_answer_fails_a_connection_within_seconds():
    assert connect_args_of(make_engine(REFUSED))["connect_timeout"] == 10
    assert connect_args_of(make_engine(REFUSED + "?connect_timeout=3"))["connect_timeout"] == "3"


def test_the_start_up_probe_waits_five_seconds_at_most_to_connect():
    seen: dict = {}

    def capture(dialect, conn_rec, cargs, cparams):
        seen.update(cparams)
        raise Connected

    event.listen(Engine, "do_connect", capture)  # the probe's engine is its own
    try:
        with pytest.raises(Connected):
            probe(REFUSED)
    finally:
        event.remove(Engine, "do_connect", capture)
    assert seen["connect_timeout"] == 5
