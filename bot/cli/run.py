"""``casedesk run [--http [--port N] [--host H]]``: start the bot.

Socket Mode by default (needs ``SLACK_APP_TOKEN``; no public URL); ``--http`` serves
``POST /slack/events`` and ``GET /healthz`` on waitress (needs ``SLACK_SIGNING_SECRET``).
Missing or bad configuration stops start-up with one line saying what to set (exit 2).
"""

from __future__ import annotations

import argparse
import logging
import signal
from typing import Any

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``run`` command."""
    parser = sub.add_parser(
        "run",
        help="start the bot (Socket Mode, or HTTP with --http)",
        description="Start the bot. Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; "
        "--http needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET.",
    )
    parser.add_argument(
        "--http", action="store_true", help="serve POST /slack/events instead of Socket Mode"
    )
    parser.add_argument("--port", type=_port, default=3000, help="HTTP port (default: 3000)")
    parser.add_argument(
        "--host", default="0.0.0.0", help="HTTP address to listen on (default: 0.0.0.0)"
    )
    parser.set_defaults(handler=_run)


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (0-65535)")
    return port


def _run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: Bolt, pydantic-settings and the store load only for this
    # command, so `casedesk workdays` and `casedesk deadlines` start fast (see tests/cli).
    from bot import server
    from bot.config import Settings
    from bot.logs import configure_logging

    settings = Settings.from_env()
    server.check_settings(settings, http=args.http)
    configure_logging(settings.log_level)
    signal.signal(signal.SIGTERM, _stop)
    runtime = server.build_runtime(settings)
    scheduler = _start_jobs(runtime)
    try:
        if args.http:
            server.serve_http(runtime, host=args.host, port=args.port)
        else:
            server.serve_socket_mode(runtime)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM (waitress handles them itself)
        pass
    finally:
        scheduler.shutdown(wait=False)
        runtime.close()
        logger.info("stopped")
    return 0


def _start_jobs(runtime: Any) -> Any:
    """Start the sender's loop, then the sweep (reminders, digests, votes closed at deadline)."""
    from bot.jobs import start_scheduler

    runtime.sender.start()
    return start_scheduler(
        uow_factory=runtime.uow_factory,
        sender=runtime.sender,
        clock=runtime.clock,
        sweep_seconds=runtime.settings.sweep_seconds,
    )


def _stop(signum: int, frame: object) -> None:
    """Turn SIGTERM (a container or service manager stopping us) into a clean shutdown."""
    raise KeyboardInterrupt
