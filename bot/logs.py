"""Logging set-up: one format, a level from ``LOG_LEVEL``, and no personal data.

Slack payloads can carry a subject's name, date of birth or address, so nothing casedesk logs
contains a payload body, and exception messages are withheld from tracebacks (a database error
can quote the row it failed on). slack_sdk and Bolt log request and response bodies at DEBUG, so
their loggers stay at INFO or above whatever ``LOG_LEVEL`` says.
"""

from __future__ import annotations

import logging
import sys
import traceback

from slack_sdk.errors import SlackApiError

from bot.domain.errors import DomainError
from bot.slack.gateway import error_code

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Loggers that print payloads or message bodies at DEBUG.
_CHATTY = ("slack_sdk", "slack_bolt", "urllib3")


class SafeFormatter(logging.Formatter):
    """A formatter whose tracebacks keep the frames and exception types but not the messages."""

    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        """Format the traceback, replacing each exception's message with its type."""
        exc_type, exc, tb = ei
        lines = ["Traceback (exception messages withheld: they may contain personal data)"]
        lines.extend(line.rstrip("\n") for line in traceback.format_tb(tb))
        lines.append(_describe(exc_type, exc))
        cause = _cause(exc)
        while cause is not None:
            lines.append(f"  caused by {_describe(type(cause), cause)}")
            cause = _cause(cause)
        return "\n".join(lines)


def _cause(exc: BaseException | None) -> BaseException | None:
    if exc is None:
        return None
    return exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)


def _describe(kind: type | None, exc: BaseException | None) -> str:
    """Name the exception; add its message only where casedesk knows the message is safe."""
    if kind is None:
        return "None"
    name = f"{kind.__module__}.{kind.__qualname__}"
    if isinstance(exc, DomainError):  # written to be shown to people, never identifying
        return f"{name}: {exc}"
    if isinstance(exc, SlackApiError):  # Slack's error code says what went wrong
        return f"{name}: {error_code(exc.response) or '?'} (HTTP {exc.response.status_code})"
    return name


def configure_logging(level: str = "INFO", *, stream=None) -> None:
    """Send logs to stderr (or ``stream``) at ``level``, with the safe formatter.

    Args:
        level: a level name (``LOG_LEVEL``).
        stream: where to write; stderr by default.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(SafeFormatter(FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    floor = max(logging.getLevelName(level), logging.INFO)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(floor)
