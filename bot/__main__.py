"""The ``casedesk`` command line: run, db, board, protocols, deadlines, workdays, audit.

Each command group lives in ``bot/cli/<group>.py`` with ``register(subparsers)``; a command's
handler returns the exit status. A :class:`DomainError` becomes one clear line on stderr and
exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bot.domain.errors import DomainError

# The command groups, in the order ``casedesk --help`` lists them.
GROUPS = ("run", "db", "board", "protocols", "deadlines", "workdays", "audit")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors exit 2 with one line, as the CLI contract says."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print one line naming the command and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the parser with every command group registered."""
    parser = _Parser(
        prog="casedesk",
        description="casedesk: safeguarding case reviews to statutory working-day deadlines.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for group in GROUPS:
        module = importlib.import_module(f"bot.cli.{group}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except DomainError as err:
        print(f"casedesk: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
