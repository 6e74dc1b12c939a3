"""``casedesk audit export|verify``: the audit trail for auditors, and its integrity check."""

from __future__ import annotations

import argparse
import os
import sys

# The values of bot.services.audit.ExportFormat, spelled out so that building the parser does not
# load the store (tests/cli/test_start_up.py keeps the two equal). The first is the default.
FORMATS = ("csv", "jsonl")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``audit`` group."""
    parser = sub.add_parser("audit", help="export or verify the audit trail")
    cmds = parser.add_subparsers(dest="audit_command", metavar="export|verify")
    cmds.required = True

    export = cmds.add_parser("export", help="write audit events to stdout")
    export.add_argument("--case", metavar="REF", help="only this case's events")
    export.add_argument("--board", metavar="BOARD", help="only this board's events")
    export.add_argument("--format", choices=list(FORMATS), default=FORMATS[0])
    export.set_defaults(handler=_export)

    verify = cmds.add_parser(
        "verify", help="check the hash chains; exit 1 if an event was edited, inserted or deleted"
    )
    verify.set_defaults(handler=_verify)


def _export(args: argparse.Namespace) -> int:
    # The store loads only when this command runs (a fast start for the others).
    from bot.services.audit import ExportFormat, export_audit
    from store.db import database_url, make_engine
    from store.uow import make_uow_factory

    engine = make_engine(database_url())
    try:
        with make_uow_factory(engine)() as uow:
            count = export_audit(
                sys.stdout,
                ExportFormat(args.format),
                uow=uow,
                reference=args.case,
                board_id=args.board,
            )
    except BrokenPipeError:  # the reader stopped early (``| head``): not an error
        sys.stdout = open(os.devnull, "w")  # so the flush at exit does not fail
        return 0
    finally:
        engine.dispose()
    print(f"casedesk: {count} audit events exported", file=sys.stderr)
    return 0


def _verify(args: argparse.Namespace) -> int:
    from bot.services.audit import chain_heads, verify_audit
    from store.db import database_url, make_engine
    from store.uow import make_uow_factory

    engine = make_engine(database_url())
    try:
        with make_uow_factory(engine)() as uow:
            report = verify_audit(uow=uow)
            heads = chain_heads(uow=uow)
    finally:
        engine.dispose()
    for problem in report.problems:
        print(f"TAMPERED: {problem}")
    for chain, (seq, digest) in heads.items():
        print(f"chain {chain}: {seq} events, head {digest}")
    if not report.ok:
        print(f"audit trail NOT intact: {len(report.problems)} chain(s) broken", file=sys.stderr)
        return 1
    print(f"audit trail intact: {report.events} events in {report.chains} chains")
    return 0
