"""``casedesk run --http`` sweeps on its scheduler's interval and its sender sends what is owed.

``casedesk run`` starts the sender's loop and the scheduler: each tick owes the reminders due (one
outbox row per recipient) and wakes the sender, which sends them. The process is started as an
operator would (``casedesk db upgrade``, ``casedesk board sync``, then ``casedesk run --http``)
against the fake Slack Web API, with ``CASEDESK_SWEEP_SECONDS`` short. Reminders go out only on
working days inside sending hours, so the process runs the real ``casedesk`` entry point under a
launcher that starts its clock (``bot.clock.SystemClock``) at a working morning, Monday 2 March
2026 10:00, and lets it run on in real time: the test passes whatever day and hour it is run. One
reminder is due before start-up; a second case is referred once the first has arrived, so only a
later tick of the interval can owe its reminder.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.clock import LONDON
from bot.notify.kinds import Kind
from store.db import make_engine
from store.models import OutboxRow
from store.uow import UowFactory, make_uow_factory
from tests.conftest import EXAMPLE_BOARD
from tests.fakes.fixtures import BOT_TOKEN
from tests.fakes.signing import SIGNING_SECRET
from tests.fakes.slack_api import FakeSlackApi, dm_channel
from tests.handlers.test_run import CASEDESK
from tests.jobs.conftest import BEN, SUBJECT, posted, refer_with_deadline


def wait_for(what: str, check: Callable[[], Any], within: float) -> Any:
    """Poll ``check`` every 50 ms until it returns something; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {within} s")


START = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)
"""A Monday morning, inside the example board's sending hours (08:00 to 18:00)."""

DUE = date(2026, 3, 4)
"""Two working days after START: the "2 working days before" reminder is due at START."""

LAUNCHER = """
import sys, time
from datetime import datetime, timedelta
import bot.clock
from bot.__main__ import main

start, begun = datetime.fromisoformat(sys.argv.pop(1)), time.monotonic()
bot.clock.SystemClock.now = lambda self: start + timedelta(seconds=time.monotonic() - begun)
sys.exit(main())
"""
"""Runs ``casedesk`` (``bot.__main__.main``) with its system clock started at ``argv[1]``."""


def owe_reminder(uow_factory: UowFactory, pseudonym: str) -> tuple[str, int]:
    """Refer a Surrey case whose one deadline, due DUE, owes its owner a reminder at START.

    Returns:
        The case reference and the deadline's id.
    """
    return refer_with_deadline(uow_factory, START, DUE, pseudonym=pseudonym, reminders=(2,))


def dms_to_ben(slack_api: FakeSlackApi) -> list[dict]:
    """Return the reminder DMs Slack accepted for Ben."""
    return [m for m in posted(slack_api) if m["channel"] == dm_channel(BEN)]


def casedesk(args: list[str], env: dict[str, str], cwd: Path) -> None:
    """Run a ``casedesk`` command to completion; fail the test if it fails."""
    done = subprocess.run(
        [CASEDESK, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_casedesk_run_sends_owed_reminders_on_each_sweep_interval_and_stops_cleanly(
    tmp_path, slack_api
):
    url = f"sqlite:///{tmp_path / 'casedesk.db'}"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api.base_url,
        "DATABASE_URL": url,
        "CASEDESK_SWEEP_SECONDS": "0.5",
    }
    casedesk(["db", "upgrade"], env, tmp_path)
    casedesk(["board", "sync", "--file", str(EXAMPLE_BOARD)], env, tmp_path)
    engine = make_engine(url)
    uow_factory = make_uow_factory(engine)
    first_ref, first_id = owe_reminder(uow_factory, "Child A")
    log = tmp_path / "casedesk.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, START.isoformat(), "run", "--http"]
            + ["--host", "127.0.0.1", "--port", "0"],
            env=env,
            cwd=tmp_path,
            stderr=stderr,
        )
    try:
        wait_for(
            "the server listening",
            lambda: re.search(r"serving Slack at http://127.0.0.1:\d+/", log.read_text()),
            20,
        )
        [first] = wait_for("the owed reminder", at_least(1, lambda: dms_to_ben(slack_api)), 10)
        second_ref, second_id = owe_reminder(uow_factory, "Child B")
        _, second = wait_for("the one owed later", at_least(2, lambda: dms_to_ben(slack_api)), 10)
        sent = wait_for("both recorded", at_least(2, lambda: sent_reminders(uow_factory)), 10)
        owed = reminder_rows(uow_factory)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        engine.dispose()

    assert first_ref in first["text"] and "Child A" in first["text"]
    assert "Rapid review sent" in first["text"]
    assert second_ref in second["text"] and "Child B" in second["text"]
    assert [(r.deadline_id, r.slot, r.recipient, r.last_error, r.channel) for r in sent] == [
        (first_id, f"lead:2:{DUE}", BEN, None, dm_channel(BEN)),
        (second_id, f"lead:2:{DUE}", BEN, None, dm_channel(BEN)),
    ]
    assert sent[0].sent_at < sent[1].sent_at  # the second went on a later tick
    assert len(dms_to_ben(slack_api)) == 2  # each once, however many ticks ran
    assert len(owed) == 2  # owed once each too
    calls = json.dumps([c.args for c in slack_api.calls])
    output = log.read_text()
    assert SUBJECT not in calls and SUBJECT not in output
    assert "INFO bot.cli.run: stopped" in output  # the sender and the scheduler stopped first
    assert "Traceback" not in output and "failed" not in output


def at_least(n: int, rows: Callable[[], list]) -> Callable[[], list | None]:
    """Return a check for :func:`wait_for`: ``rows()`` once it has ``n`` items, else None."""
    return lambda: found if len(found := rows()) >= n else None


def reminder_rows(uow_factory: UowFactory) -> list[OutboxRow]:
    """Return the reminder rows of the outbox, oldest first."""
    with uow_factory() as uow:
        query = select(OutboxRow).where(OutboxRow.kind == Kind.REMINDER)
        return list(uow.session.exec(query.order_by(OutboxRow.id)))


def sent_reminders(uow_factory: UowFactory) -> list[OutboxRow]:
    """Return the reminder rows recorded as sent, oldest first."""
    return [r for r in reminder_rows(uow_factory) if r.sent_at is not None]
