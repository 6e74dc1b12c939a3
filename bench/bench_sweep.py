"""Time the reminder sweep over 10,000 open cases with 6 deadlines each (PRODUCT.md §Scale).

Two sweeps are timed: one with nothing due, and one with 500 reminders due (sent to the local
fake Slack Web API from ``tests/fakes``). SQLite always; PostgreSQL too when
``CASEDESK_TEST_DATABASE_URL`` is set or ``--pg URL`` is given (the database is migrated and its
casedesk tables emptied first: use a scratch database).

Run with ``.venv/bin/python bench/bench_sweep.py [--cases N] [--pg URL]``. Prints the timings;
asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clock import LONDON, FixedClock  # noqa: E402
from bot.domain.board_file import load_board_file  # noqa: E402
from bot.domain.boards import ReviewType, Role  # noqa: E402
from bot.domain.cases import CaseState  # noqa: E402
from bot.domain.deadlines import DeadlineStatus  # noqa: E402
from bot.domain.protocols import Event  # noqa: E402
from bot.jobs import run_once, sweep  # noqa: E402
from bot.notify.owed import owing  # noqa: E402
from bot.notify.sender import Sender  # noqa: E402
from bot.services.boards import sync_boards  # noqa: E402
from bot.services.common import board_calendar  # noqa: E402
from bot.slack.gateway import SlackGateway  # noqa: E402
from store.db import make_engine  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import CaseRow, DeadlineRow, metadata  # noqa: E402
from store.uow import make_uow_factory  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)  # a Monday, inside sending hours
DEADLINES_PER_CASE = 6
DUE = 500


def _seed(url: str, cases: int) -> None:
    """Migrate, empty and fill the database: ``cases`` Surrey cases, 6 deadlines each."""
    upgrade(url)
    engine = make_engine(url)
    _empty(engine)
    uow_factory = make_uow_factory(engine)
    board = load_board_file(ROOT / "examples" / "board.toml")[0]
    with uow_factory() as uow:
        sync_boards(load_board_file(ROOT / "examples" / "board.toml"), uow=uow, now=NOW)
    calendar = board_calendar(board)
    far = calendar.add_working_days(NOW.date(), 60)  # beyond any reminder horizon
    soon = calendar.add_working_days(NOW.date(), 5)  # its 5-day reminder falls today
    with engine.begin() as conn:
        conn.execute(insert(CaseRow), _case_rows(board.id, cases))
        ids = [r[0] for r in conn.execute(text("SELECT id FROM cases ORDER BY id"))]
        conn.execute(insert(DeadlineRow), _deadline_rows(ids, far))
        conn.execute(
            text(
                "UPDATE deadlines SET due_on = :soon WHERE id IN "
                "(SELECT id FROM deadlines WHERE rule_id = 'rule-0' ORDER BY id LIMIT :n)"
            ),
            {"soon": soon, "n": DUE},
        )
    engine.dispose()


def _empty(engine) -> None:
    """Delete every casedesk row (TRUNCATE on PostgreSQL)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # TRUNCATE: the audit log's trigger refuses DELETE
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())


def _case_rows(board_id: str, cases: int) -> list[dict]:
    """Return ``cases`` referred SCRs of the board, as rows to insert."""
    return [
        {
            "board_id": board_id,
            "reference": f"SCR-2026-{i:05d}",
            "review_type": ReviewType.SCR,
            "state": CaseState.REFERRED,
            "pseudonym": f"Child {i}",
            "referred_by": "U0BEN00001",
            "created_at": NOW,
            "updated_at": NOW,
        }
        for i in range(cases)
    ]


def _deadline_rows(case_ids: list[int], due_on: date) -> list[dict]:
    """Return ``DEADLINES_PER_CASE`` open deadlines due on ``due_on`` for each case."""
    return [
        {
            "case_id": case_id,
            "rule_id": f"rule-{n}",
            "label": f"Step {n}",
            "event": Event.REFERRAL,
            "event_date": NOW.date(),
            "due_on": due_on,
            "original_due_on": due_on,
            "owner_role": Role.BUSINESS_MANAGER,
            "reminders": [5, 2, 1, 0],
            "status": DeadlineStatus.OPEN,
            "source": "bench",
            "created_at": NOW,
            "updated_at": NOW,
        }
        for case_id in case_ids
        for n in range(DEADLINES_PER_CASE)
    ]


def _time_sweeps(name: str, url: str, cases: int) -> None:
    t0 = time.perf_counter()
    _seed(url, cases)
    seeded = time.perf_counter() - t0
    engine = make_engine(url)
    uow_factory = make_uow_factory(engine)
    with FakeSlackApi() as fake:
        from slack_sdk import WebClient

        client = WebClient(token="xoxb-bench", base_url=fake.base_url)
        gateway = SlackGateway(client, min_interval_per_channel=0)
        quiet = FixedClock(datetime(2026, 3, 2, 7, 0, tzinfo=LONDON))  # before sending hours
        clock = FixedClock(NOW)
        sender = Sender(uow_factory, gateway, clock, instance_id="bench")
        owed_by = owing(uow_factory, clock, sender.wake)
        t0 = time.perf_counter()
        sweep(uow_factory=owed_by, clock=quiet)
        closed = time.perf_counter() - t0
        # Nothing due: hide the 500 by checking a day when their reminder has not fallen.
        with engine.begin() as conn:
            conn.execute(text("UPDATE deadlines SET status = 'paused' WHERE rule_id = 'rule-0'"))
        t0 = time.perf_counter()
        none = sweep(uow_factory=owed_by, clock=clock)
        nothing = time.perf_counter() - t0
        with engine.begin() as conn:
            conn.execute(text("UPDATE deadlines SET status = 'open' WHERE rule_id = 'rule-0'"))
        t0 = time.perf_counter()
        due = run_once(uow_factory=owed_by, sender=sender, clock=clock)
        with_due = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = run_once(uow_factory=owed_by, sender=sender, clock=clock)
        repeat = time.perf_counter() - t0
        posts = len(fake.calls_to("chat.postMessage"))
    engine.dispose()
    print(f"{name}: {cases} cases x {DEADLINES_PER_CASE} deadlines (seeded in {seeded:.1f} s)")
    print(f"  sweep outside sending hours:        {closed * 1000:8.1f} ms")
    print(f"  sweep, nothing due ({none.considered} loaded):   {nothing * 1000:8.1f} ms")
    print(
        f"  tick, {due.claimed} owed, {due.sent} sent ({due.considered} loaded): "
        f"{with_due * 1000:8.1f} ms"
        f"  ({with_due / max(due.sent, 1) * 1000:.1f} ms per reminder)"
    )
    print(f"  tick again, {again.claimed} owed, {again.sent} sent: {repeat * 1000:8.1f} ms")
    print(f"  chat.postMessage calls to the fake: {posts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--pg", default=os.environ.get("CASEDESK_TEST_DATABASE_URL", ""))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _time_sweeps("SQLite", f"sqlite:///{tmp}/bench.db", args.cases)
    if args.pg:
        _time_sweeps("PostgreSQL", args.pg, args.cases)


if __name__ == "__main__":
    main()
