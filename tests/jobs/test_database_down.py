"""The scheduler through a database outage: one line per job, then everything owed goes out.

The database is SQLite in a folder of its own; moving the folder away (and dropping the pooled
connections, as a restarted server would) makes it unreachable as a lost mount or a stopped
server does, and moving it back brings it back. Source: issue #13 item 6 ("everything resumes by
itself when the database returns").
"""

from __future__ import annotations

import logging
from datetime import date

import pytest

from bot.jobs import run_once
from bot.jobs.trouble import JobTrouble
from bot.outbox import DM, owe
from store.db import make_engine
from store.models import metadata
from tests.fakes.slack_api import dm_channel
from tests.jobs.conftest import BEN, SURREY, Ticker, posted

GRACE = "U0GRA00005"  # a Surrey member, owed a DM by an earlier step
DOWN = "cannot reach the database (sqlite3.OperationalError: cannot open the database file)"


@pytest.fixture
def database_url(tmp_path) -> str:
    """A SQLite database with every table, alone in ``tmp_path/db`` so the folder can go."""
    folder = tmp_path / "db"
    folder.mkdir()
    url = f"sqlite:///{folder / 'casedesk.db'}"
    engine = make_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    return url


def owe_grace_a_dm(uow_factory, clock) -> int:
    """Owe a DM to Grace in the outbox, as a step does in its transaction; return its row id."""
    text = "Voting has closed on SCR-2026-001."
    with uow_factory() as uow:
        row_id = owe(
            uow,
            board_id=SURREY,
            case_id=None,
            key="test:database-down:grace",
            kind=DM,
            recipient=GRACE,
            now=clock.now(),
            message={"text": text, "blocks": []},
        )
        uow.commit()
    return row_id


def test_reminders_and_owed_messages_go_out_by_themselves_once_the_database_is_back(
    make_case, uow_factory, engine, gateway, clock, slack_api, tmp_path, caplog
):
    reference, _ = make_case(date(2026, 3, 9))  # its 5-working-day reminder is due today
    owe_grace_a_dm(uow_factory, clock)
    minute = Ticker()
    trouble = JobTrouble(monotonic=minute)

    def tick():
        return run_once(
            uow_factory=uow_factory, gateway=gateway, clock=clock, instance_id="t", trouble=trouble
        )

    caplog.set_level(logging.INFO)
    (tmp_path / "db").rename(tmp_path / "away")
    engine.dispose()  # the pooled connections go with the server
    down = tick()
    minute.at += 20
    still_down = tick()
    (tmp_path / "away").rename(tmp_path / "db")
    minute.at += 20
    back = tick()
    after = tick()

    assert [(r.sent, r.digests, r.delivered) for r in (down, still_down, back, after)] == [
        (0, 0, 0),
        (0, 0, 0),
        (1, 2, 1),  # the reminder, both boards' digests and the owed DM
        (0, 0, 0),
    ]
    assert [(m["channel"], m["text"]) for m in posted(slack_api)] == [
        (
            dm_channel(BEN),
            f"Coming up: {reference} (Child A): Rapid review sent, due Mon 9 Mar 2026, "
            "5 working days left.",
        ),
        ("C0SARGRP02", "Deadlines for Mon 2 Mar 2026: 0 overdue, 0 due soon."),
        ("C0CASEREV01", "Deadlines for Mon 2 Mar 2026: 0 overdue, 1 due soon."),
        (dm_channel(GRACE), "Voting has closed on SCR-2026-001."),
    ]
    logged = [(r.name, r.levelname, r.getMessage(), r.exc_info) for r in caplog.records]
    assert [entry for entry in logged if entry[1] != "INFO" or "trouble" in entry[0]] == [
        ("bot.jobs.trouble", "WARNING", f"job 'reminder sweep' failed: {DOWN}", None),
        ("bot.jobs.trouble", "WARNING", f"job 'outbox delivery' failed: {DOWN}", None),
        (
            "bot.jobs.trouble",
            "INFO",
            "job 'reminder sweep' recovered after 2 failed run(s) over 40 s",
            None,
        ),
        (
            "bot.jobs.trouble",
            "INFO",
            "job 'outbox delivery' recovered after 2 failed run(s) over 40 s",
            None,
        ),
    ]
