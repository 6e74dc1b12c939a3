"""The database down: start-up stops with one line naming DATABASE_URL.

Source: issue #13 item 6 ("The database down").
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.fakes.fixtures import BOT_TOKEN
from tests.fakes.signing import SIGNING_SECRET
from tests.slack.test_run import CASEDESK

PASSWORD = "hunter2-not-for-logs"

HINT = (
    "check that it is running and that DATABASE_URL is right (give a SQLAlchemy URL such as "
    "sqlite:///casedesk.db or postgresql+psycopg://user:password@host/dbname)"
)


@dataclass
class Unreachable:
    """A database casedesk cannot reach: its URL, the URL as printed, and the reason given."""

    url: str
    shown: str
    reason: str


KINDS = ("postgresql-refused", "sqlite-directory-missing")


def unreachable(kind: str, tmp_path: Path) -> Unreachable:
    """PostgreSQL on a port nothing listens on (refused at once), or SQLite in a missing folder."""
    if kind == "postgresql-refused":
        return Unreachable(
            url=f"postgresql+psycopg://casedesk:{PASSWORD}@127.0.0.1:1/casedesk",
            shown="postgresql+psycopg://casedesk:***@127.0.0.1:1/casedesk",
            reason="psycopg.OperationalError: connection refused",
        )
    url = f"sqlite:///{tmp_path / 'gone' / 'casedesk.db'}"
    return Unreachable(url, url, "sqlite3.OperationalError: cannot open the database file")


def test_start_up_on_an_unreachable_database_prints_one_line_naming_database_url(
    tmp_path, slack_api
):
    base = {
        "PATH": "/usr/bin:/bin",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api.base_url,
    }
    cases = [unreachable(kind, tmp_path) for kind in KINDS]
    # Both at once: each process spends its second or two importing.
    processes = [
        subprocess.Popen(
            [CASEDESK, "run", "--http", "--host", "127.0.0.1", "--port", "0"],
            env={**base, "DATABASE_URL": down.url},
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for down in cases
    ]
    for down, process in zip(cases, processes, strict=True):
        stdout, stderr = process.communicate(timeout=30)
        assert (process.returncode, stdout) == (2, "")
        assert stderr == (
            f"casedesk: cannot connect to the database at DATABASE_URL={down.shown} "
            f"({down.reason}): {HINT}\n"
        )
    assert not (tmp_path / "gone").exists()  # nothing was created on the way
