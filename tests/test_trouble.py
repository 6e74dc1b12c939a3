"""A failing job is logged once a minute at most, its recovery once; an outage has no traceback.

Source: issue #13 item 6 ("the log gets one line per failing job per minute, not a traceback per
sweep").
"""

from __future__ import annotations

import logging

import pytest

from bot.trouble import JobTrouble
from store.db import probe

SWEEP, OUTBOX = "reminder sweep", "outbox delivery"
DOWN = "cannot reach the database (sqlite3.OperationalError: cannot open the database file)"


class Monotonic:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.at = 5000.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def monotonic() -> Monotonic:
    return Monotonic()


@pytest.fixture
def trouble(monotonic) -> JobTrouble:
    return JobTrouble(monotonic=monotonic)


@pytest.fixture
def outage(tmp_path) -> Exception:
    """What a unit of work raises when its SQLite file's folder is gone."""
    with pytest.raises(Exception) as caught:
        probe(f"sqlite:///{tmp_path / 'gone' / 'casedesk.db'}")
    return caught.value


def lines(caplog) -> list[tuple[str, str, bool]]:
    """Return (level, message, has a traceback) for each line the trouble log wrote."""
    return [
        (r.levelname, r.getMessage(), r.exc_info is not None)
        for r in caplog.records
        if r.name == "bot.trouble"
    ]


def test_an_outage_is_one_line_a_minute_then_one_recovery_line(trouble, monotonic, outage, caplog):
    caplog.set_level(logging.INFO)
    for _ in range(6):  # every 10 s for a minute
        trouble.failed(SWEEP, outage)
        monotonic.at += 10
    trouble.failed(SWEEP, outage)  # 60 s after the first line
    monotonic.at += 30
    trouble.failed(SWEEP, outage)
    monotonic.at += 5
    trouble.succeeded(SWEEP)
    trouble.succeeded(SWEEP)  # running well logs nothing more

    assert lines(caplog) == [
        ("WARNING", f"job 'reminder sweep' failed: {DOWN}", False),
        (
            "WARNING",
            f"job 'reminder sweep' still failing (6 failed runs since the last line): {DOWN}",
            False,
        ),
        ("INFO", "job 'reminder sweep' recovered after 8 failed run(s) over 95 s", False),
    ]


def test_an_unexpected_error_logs_its_traceback_at_most_once_a_minute(trouble, monotonic, caplog):
    caplog.set_level(logging.INFO)
    for _ in range(13):  # every 10 s for two minutes
        try:
            raise KeyError("Zebedee")  # a bug, with something private in its message
        except KeyError as err:
            trouble.failed(OUTBOX, err)
        monotonic.at += 10

    assert lines(caplog) == [
        ("ERROR", "job 'outbox delivery' failed: builtins.KeyError", True),
        (
            "ERROR",
            "job 'outbox delivery' still failing (6 failed runs since the last line): "
            "builtins.KeyError",
            True,
        ),
        (
            "ERROR",
            "job 'outbox delivery' still failing (6 failed runs since the last line): "
            "builtins.KeyError",
            True,
        ),
    ]
    assert "Zebedee" not in "".join(message for _, message, _ in lines(caplog))


def test_each_job_has_its_own_minute(trouble, monotonic, outage, caplog):
    caplog.set_level(logging.INFO)
    trouble.failed(SWEEP, outage)
    monotonic.at += 1
    trouble.failed(OUTBOX, outage)
    trouble.failed(SWEEP, outage)
    trouble.succeeded(OUTBOX)

    assert lines(caplog) == [
        ("WARNING", f"job 'reminder sweep' failed: {DOWN}", False),
        ("WARNING", f"job 'outbox delivery' failed: {DOWN}", False),
        ("INFO", "job 'outbox delivery' recovered after 1 failed run(s) over 0 s", False),
    ]


def test_a_job_failing_again_after_recovering_is_logged_at_once(trouble, monotonic, outage, caplog):
    caplog.set_level(logging.INFO)
    trouble.failed(SWEEP, outage)
    trouble.succeeded(SWEEP)
    monotonic.at += 2
    trouble.failed(SWEEP, outage)

    assert [message for _, message, _ in lines(caplog)] == [
        f"job 'reminder sweep' failed: {DOWN}",
        "job 'reminder sweep' recovered after 1 failed run(s) over 0 s",
        f"job 'reminder sweep' failed: {DOWN}",
    ]
