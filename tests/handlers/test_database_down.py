"""The database down: start-up stops with one line; a request is told to try again in a minute.

Source: issue #13 item 6 ("The database down").
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.logs import configure_logging
from handlers.errors import DATABASE_DOWN
from messages.ids import ActionId, BlockId, CallbackId
from store.db import make_engine
from store.models import metadata
from store.uow import make_uow_factory
from tests.fakes.fixtures import BOT_TOKEN
from tests.fakes.signing import SIGNING_SECRET
from tests.handlers.interactions import BEN, body_of, click, command_answer, refer, slash, submit
from tests.handlers.test_run import CASEDESK

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


@pytest.fixture(params=KINDS)
def down(request, tmp_path) -> Unreachable:
    """A database the app cannot reach (see :func:`unreachable`)."""
    return unreachable(request.param, tmp_path)


# -- requests while the database is down ------------------------------------------------------


@pytest.fixture
def down_app(down, make_bolt_app, clock):
    """The real app on the fake Slack API, its unit of work on the unreachable database."""
    engine = make_engine(down.url)
    yield make_bolt_app(uow_factory=make_uow_factory(engine), clock=clock)
    engine.dispose()


@pytest.fixture
def bot_logs():
    """What casedesk's own log set-up writes while the test runs; restored afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    chatty = {n: logging.getLogger(n).level for n in ("slack_sdk", "slack_bolt", "urllib3")}
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    yield stream
    root.handlers[:], root.level = saved
    for name, level in chatty.items():
        logging.getLogger(name).setLevel(level)


def _logged(stream: io.StringIO) -> list[str]:
    """Return the log lines, without their timestamps."""
    return [line.split(" ", 2)[2] for line in stream.getvalue().splitlines()]


def test_a_slash_command_is_answered_that_nothing_was_saved_and_logged_in_one_line(
    down_app, down, slack_api, bot_logs
):
    response = slash(down_app, slack_api, "status SCR-2026-001")
    answer = command_answer(response)
    assert answer["text"] == DATABASE_DOWN
    assert answer["blocks"][0]["text"]["text"] == f":warning: {DATABASE_DOWN}"
    assert slack_api.calls_to("response_url") == []
    assert _logged(bot_logs) == [
        "WARNING handlers.errors: database unreachable while handling slash_command /review: "
        + down.reason
    ]
    assert PASSWORD not in bot_logs.getvalue()


def test_a_button_gets_the_message_as_an_ephemeral_where_it_was_clicked(
    down_app, down, slack_api, bot_logs
):
    response = click(down_app, slack_api, ActionId.VOTE_NFA, "SCR-2026-001", BEN)
    assert response.status == 200
    call = slack_api.last("chat.postEphemeral")
    assert (call.args["channel"], call.args["user"]) == ("C0CASEREV01", BEN)
    assert call.args["text"] == DATABASE_DOWN
    assert slack_api.calls_to("views.open") == []
    assert _logged(bot_logs) == [
        "WARNING handlers.errors: database unreachable while handling block_actions vote_nfa: "
        + down.reason
    ]


def test_a_modal_submission_gets_the_message_pushed_over_the_form(
    down_app, down, slack_api, bot_logs
):
    opened = {
        "id": "V0CONFLICT1",
        "callback_id": CallbackId.CONFLICT_MODAL.value,
        "blocks": [],
        "private_metadata": json.dumps({"case": "SCR-2026-001", "board": "surrey-children"}),
    }
    values = {BlockId.CONFLICT_REASON: {"value": "I chaired the strategy meeting."}}
    answer = body_of(submit(down_app, opened, values, BEN))
    assert answer["response_action"] == "push"
    assert answer["view"]["title"]["text"] == "Not saved"
    assert answer["view"]["blocks"][0]["text"]["text"] == f":warning: {DATABASE_DOWN}"
    assert _logged(bot_logs) == [
        "WARNING handlers.errors: database unreachable while handling view_submission "
        f"conflict_modal: {down.reason}"
    ]
    assert "Traceback" not in bot_logs.getvalue()


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


def test_requests_are_served_again_by_themselves_once_the_database_is_back(
    make_bolt_app, uow_factory, engine, board, clock, slack_api, tmp_path
):
    app = make_bolt_app(uow_factory=uow_factory, clock=clock)
    reference = refer(uow_factory, clock)
    (tmp_path / "db").rename(tmp_path / "away")
    engine.dispose()  # the pooled connections go, as with a lost mount
    while_down = command_answer(slash(app, slack_api, f"status {reference}"))
    (tmp_path / "away").rename(tmp_path / "db")
    once_back = command_answer(slash(app, slack_api, f"status {reference}"))

    assert while_down["text"] == DATABASE_DOWN
    assert once_back["text"].startswith(f"{reference} (Child A): Serious Case Review")
