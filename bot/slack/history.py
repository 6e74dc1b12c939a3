"""Finding a message casedesk posted by its message metadata, to confirm a send of unknown outcome.

When a ``chat.postMessage`` fails after the request reached Slack (``RetryLater.unknown_outcome``:
the connection dropped, the answer timed out, a 5xx), Slack may have posted it. Each message the
outbox sends carries Slack message metadata naming its outbox row (:func:`outbox_metadata`);
before sending such a message again, the outbox asks
:meth:`~bot.slack.gateway.SlackGateway.find_by_metadata` to look for it in the conversation's
recent history (``conversations.history`` with ``include_all_metadata``), and marks it sent if
it is there. Exactly once, even when a process dies between Slack accepting a message and the
outbox recording it.

What is read, and how far back:

- only messages this app posted (their ``bot_id`` or ``user`` is the bot's, from ``auth.test``)
  and only their metadata; text and blocks are neither kept nor logged;
- from ``oldest`` (the first attempt's time less :data:`CLOCK_SKEW_MARGIN`, for the difference
  between our clock and Slack's) to now, newest first, at most :data:`HISTORY_MAX_PAGES` pages
  of :data:`HISTORY_PAGE_SIZE` messages. A message whose send failed is looked up at its next
  attempt, minutes to an hour later; a board's channel or a DM does not receive 300 messages in
  that time. If it did, the search ends unfinished and answers "not found": the message is sent
  again (a possible duplicate) rather than never (a lost reminder).

Metadata is visible to every app and member of the workspace (Slack: "Metadata you post to Slack
is accessible to any app or user who is a member of that workspace"), so the payload holds only
the outbox row's number: nothing about a case or a person.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.slack.verdicts import PermanentFailure, RetryLater

logger = logging.getLogger(__name__)

OUTBOX_EVENT_TYPE = "casedesk_outbox"
"""The ``event_type`` of the metadata on every message the outbox sends."""
OUTBOX_KEY = "outbox_id"
"""The ``event_payload`` field holding the outbox row's ID."""

HISTORY_PAGE_SIZE = 100
"""Messages per conversations.history call (Slack's default; at most 999)."""
HISTORY_MAX_PAGES = 3
"""Calls per lookup at most: conversations.history is Tier 3 (about 50 a minute per workspace)."""
CLOCK_SKEW_MARGIN = timedelta(minutes=5)
"""How much earlier than the first attempt the search starts: our clock is not Slack's."""


def outbox_metadata(outbox_id: int) -> dict[str, Any]:
    """Return the message metadata marking a message as outbox row ``outbox_id``'s.

    Example: ``{"event_type": "casedesk_outbox", "event_payload": {"outbox_id": 42}}``.
    """
    return {"event_type": OUTBOX_EVENT_TYPE, "event_payload": {OUTBOX_KEY: outbox_id}}


def oldest_ts(oldest: str | datetime | None) -> str | None:
    """Return the ``oldest`` argument of conversations.history for a lookup.

    Args:
        oldest: a Slack timestamp (``"1767000001.000100"``, used as it is); or when the first
            attempt was made, timezone-aware, from which :data:`CLOCK_SKEW_MARGIN` is taken off;
            or None for no lower bound (only the most recent pages are read).

    Raises:
        ValueError: a naive datetime (whose instant is unknown).
    """
    if oldest is None or isinstance(oldest, str):
        return oldest
    if oldest.tzinfo is None:
        raise ValueError("oldest must be timezone-aware")
    return f"{(oldest - CLOCK_SKEW_MARGIN).timestamp():.6f}"


def is_marked(
    message: Mapping[str, Any],
    own: tuple[str, str],
    event_type: str,
    key_field: str,
    key_value: str | int,
) -> bool:
    """Return whether ``message`` is ours and its metadata has ``key_field`` = ``key_value``.

    Args:
        message: a message from conversations.history.
        own: the bot's ``(bot_id, user_id)`` from auth.test; a message is ours when either
            matches (an empty one never does).
        event_type: the metadata's ``event_type``.
        key_field: the ``event_payload`` field to compare.
        key_value: its value; compared as text, so ``42`` and ``"42"`` are the same key.
    """
    bot_id, user_id = own
    if not (
        (bot_id and message.get("bot_id") == bot_id) or (user_id and message.get("user") == user_id)
    ):
        return False
    metadata = message.get("metadata")
    if not isinstance(metadata, Mapping) or metadata.get("event_type") != event_type:
        return False
    payload = metadata.get("event_payload")
    return (
        isinstance(payload, Mapping)
        and key_field in payload
        and (str(payload[key_field]) == str(key_value))
    )


Page = Any
"""A conversations.history answer (a ``SlackResponse``): ``messages``, ``has_more``, a cursor."""


def walk_history(
    read_page: Callable[[str | None], Page | RetryLater | PermanentFailure],
    matches: Callable[[Mapping[str, Any]], bool],
    *,
    max_pages: int,
    what: str,
) -> Mapping[str, Any] | RetryLater | PermanentFailure | None:
    """Read history pages newest first until a message matches.

    Args:
        read_page: reads the page at a cursor (None: the first), or says why it could not.
        matches: whether a message is the one sought.
        max_pages: pages to read at most.
        what: what is sought, for the log (IDs only, never text).

    Returns:
        The message; None when it is not there (or not within ``max_pages``, logged); or why a
        page could not be read.
    """
    cursor: str | None = None
    for _ in range(max_pages):
        page = read_page(cursor)
        if isinstance(page, RetryLater | PermanentFailure):
            return page
        found = next((m for m in page.get("messages") or [] if matches(m)), None)
        if found is not None:
            logger.info("Found %s", what)
            return found
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not page.get("has_more") or not cursor:
            return None
    logger.warning("%s: not in the latest %d pages; older messages were not read", what, max_pages)
    return None
