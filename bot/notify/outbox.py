"""Writing owed rows, and telling the business managers of what Slack refused for good.

A failure in Slack's API never loses a vote, decision or reminder (PRODUCT.md §Deadlines and
reminders, "not lost if Slack is down or rate-limits"; §Voting, the recommendation "goes to the
decision-maker"). So whatever owes a message writes it here, in its own transaction, and the one
sender (:mod:`bot.notify.sender`) sends it after the commit.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.notify.kinds import Kind, Owed
from bot.notify.undelivered import Undelivered, notices
from store.uow import UnitOfWork

logger = logging.getLogger(__name__)

NOT_A_MEMBER = "not_a_member"
"""The error a DM fails with, unsent, when its recipient is no longer an active board member."""


def this_instance() -> str:
    """Return this process's name for ``claimed_by`` (host and pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def payload_of(message: dict[str, Any] | None) -> str | None:
    """Return a rendered message as the row's JSON payload (None for a kind drawn when sent)."""
    if message is None:
        return None
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def owe_all(
    uow: UnitOfWork,
    owed: Iterable[Owed],
    *,
    board_id: str | None,
    now: datetime,
    **key: Any,
) -> list[int]:
    """Write each owed message as a row in the caller's transaction; return the new rows' ids.

    Args:
        uow: the unit of work of what owes them (the rows commit with it, or not at all).
        owed: the messages.
        board_id: the board they are about (None: a person's home, of no one board).
        now: when they are owed, and first due.
        **key: the key columns they share (``change_id``; or ``deadline_id`` and ``slot``; or
            ``about_id``); with the template and recipient, what makes each owed once.
    """
    ids = [
        uow.outbox.owe(
            now=now,
            board_id=board_id,
            case_id=item.case_id,
            kind=item.kind,
            template=item.template,
            recipient=item.recipient,
            payload=payload_of(item.message),
            **key,
        )
        for item in owed
    ]
    return [row_id for row_id in ids if row_id is not None]


def tell_business_managers(
    uow: UnitOfWork, failure: Undelivered | None, *, now: datetime, **key: Any
) -> int:
    """Owe each of the board's other business managers a DM saying what Slack refused for good.

    Owed in the caller's transaction, the one that records the failure, so the notice is never
    lost, and sent like any other row; keyed by the failure (``key``: ``about_id`` the failed
    row, or ``deadline_id`` and ``slot`` for a deadline nobody owns) and the manager, so a retry
    or re-run owes it once. Nothing is owed for a notice (``failure`` None): no loop. With
    nobody to tell, a warning names the failure and Slack's error code. Owing happens inside a
    savepoint and never raises: a notice that cannot be owed must not undo the failure's
    record. Source: :mod:`bot.notify.undelivered`.

    Returns:
        How many notices were owed (0: none to owe, or owed already).
    """
    if failure is None:
        return 0
    try:
        with uow.savepoint():
            owed = notices(uow, failure)
            ids = owe_all(uow, owed, board_id=failure.board_id, now=now, **key)
    except Exception as exc:  # noqa: BLE001 - the failure's own record must still commit
        logger.error("%s (%s): notice not owed: %s", failure.key, failure.what, type(exc).__name__)
        return 0
    if not owed:
        logger.warning(
            "%s (%s) failed for good: %s; no other business manager to tell",
            failure.key,
            failure.what,
            failure.error,
        )
    return len(ids)


__all__ = ["Kind", "NOT_A_MEMBER", "owe_all", "tell_business_managers", "this_instance"]
