"""``casedesk board sync [--file F]``: load the board file (``CASEDESK_BOARD``) into the DB."""

from __future__ import annotations

import argparse
import getpass
import os
from typing import TYPE_CHECKING

from bot.domain.errors import InvalidInput

if TYPE_CHECKING:
    from bot.services.boards import BoardsSynced

BOARD_ENV = "CASEDESK_BOARD"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``board`` group."""
    parser = sub.add_parser("board", help="boards and members from the board file")
    cmds = parser.add_subparsers(dest="board_command", metavar="sync")
    cmds.required = True
    sync = cmds.add_parser(
        "sync",
        help=f"load the board file (--file, or ${BOARD_ENV}) into DATABASE_URL; safe to repeat",
    )
    sync.add_argument("--file", metavar="F", help=f"the board file (default: ${BOARD_ENV})")
    sync.set_defaults(handler=_sync)


def _sync(args: argparse.Namespace) -> int:
    # The store and services load only when this command runs (a fast start for the others).
    from sqlalchemy import inspect

    from bot.clock import SystemClock
    from bot.services.boards import sync_board_file
    from store.db import database_url, make_engine
    from store.uow import make_uow_factory

    path = args.file or os.environ.get(BOARD_ENV, "").strip()
    if not path:
        raise InvalidInput(f"set {BOARD_ENV} to the board file's path, or pass --file")
    engine = make_engine(database_url())
    try:
        if not inspect(engine).has_table("boards"):
            raise InvalidInput("the database has no tables yet: run `casedesk db upgrade` first")
        with make_uow_factory(engine)() as uow:
            outcome = sync_board_file(
                path, uow=uow, now=SystemClock().now(), actor=f"cli:{getpass.getuser()}"[:64]
            )
    finally:
        engine.dispose()
    print(summary(path, outcome))
    return 0


def summary(path: str, outcome: BoardsSynced) -> str:
    """Describe a sync in a few lines."""
    if not outcome.changed:
        return f"{path}: the database already matches; nothing changed"
    labels = {
        "boards_created": "boards created",
        "boards_updated": "boards updated",
        "boards_deactivated": "boards deactivated",
        "members_added": "members added",
        "members_updated": "members updated",
        "members_deactivated": "members deactivated (their history stays)",
    }
    lines = [f"{path}: synced"]
    for field, label in labels.items():
        items = getattr(outcome, field)
        if items:
            lines.append(f"  {label} ({len(items)}): {', '.join(items)}")
    return "\n".join(lines)
