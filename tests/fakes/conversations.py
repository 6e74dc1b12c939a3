"""The fake Slack's conversations: the messages of each channel, and conversations.history.

Messages are kept per channel, oldest first, as Slack shows them in history: a message the bot
posted carries its ``user``, ``bot_id``, ``app_id`` and ``team``; ``metadata`` is stored with it
and shown only to a ``conversations.history`` call with ``include_all_metadata`` set (Slack's
spec: "Return all metadata associated with this message"; without it the message comes back
without its metadata). A DM is a conversation like any other (``D…``).

``conversations.history`` follows Slack's spec (``tests/fixtures/slack-api-specs/
conversations.history.json``): newest first; at most ``limit`` messages (default 100, at most
999); ``oldest`` and ``latest`` bound the range, each excluded unless ``inclusive`` is set;
cursor pagination with ``has_more`` and ``response_metadata.next_cursor``, an opaque cursor like
Slack's (base64 of ``next_ts:<ts>``). A cursor that does not decode is ``invalid_cursor``, an
ID that is not a conversation's (``U…``: a user, not their DM) ``channel_not_found``.
"""

from __future__ import annotations

import base64
import binascii
import copy
from decimal import Decimal, InvalidOperation
from typing import Any

HISTORY_LIMIT_DEFAULT = 100
HISTORY_LIMIT_MAX = 999
_CHANNEL_PREFIXES = ("C", "G", "D")  # public, private (legacy G), direct message
_CURSOR_PREFIX = "next_ts:"


class Conversations:
    """Messages per channel, oldest first; not thread-safe (the fake calls it under its lock)."""

    def __init__(self) -> None:
        self._channels: dict[str, list[dict[str, Any]]] = {}

    def add(self, channel: str, message: dict[str, Any]) -> None:
        """Append ``message`` (it has a ``ts`` newer than the channel's others) to ``channel``."""
        self._channels.setdefault(channel, []).append(copy.deepcopy(message))

    def update(self, channel: str, ts: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Apply a chat.update to the message ``ts``; return it, or None if there is none.

        ``changes`` holds ``text``, ``blocks`` and, if given, ``metadata``; per chat.update's
        spec a message keeps its metadata when none is given, and loses it for ``{}``.
        """
        message = next((m for m in self._channels.get(channel, []) if m["ts"] == ts), None)
        if message is None:
            return None
        metadata = changes.pop("metadata", None)
        message.update(copy.deepcopy(changes))
        if metadata == {}:
            message.pop("metadata", None)
        elif metadata is not None:
            message["metadata"] = copy.deepcopy(metadata)
        message["edited"] = {"user": message.get("user"), "ts": ts}
        return copy.deepcopy(message)

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Return copies of ``channel``'s messages, oldest first, metadata included."""
        return copy.deepcopy(self._channels.get(channel, []))

    def history(self, args: dict[str, Any]) -> dict[str, Any]:
        """Answer a conversations.history call with these arguments, as Slack would."""
        try:
            newest_first = self._in_range(args)
        except _Refused as refused:
            return {"ok": False, "error": refused.code}
        limit = _limit(args.get("limit"))
        page, rest = newest_first[:limit], newest_first[limit:]
        with_metadata = truthy(args.get("include_all_metadata"))
        answer: dict[str, Any] = {
            "ok": True,
            "messages": [_shown(m, with_metadata=with_metadata) for m in page],
            "has_more": bool(rest),
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
        }
        if rest:
            answer["response_metadata"] = {"next_cursor": _encode_cursor(rest[0]["ts"])}
        return answer

    def _in_range(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Return the channel's messages within oldest/latest and from the cursor, newest first."""
        channel = str(args.get("channel", ""))
        if channel not in self._channels and not channel.startswith(_CHANNEL_PREFIXES):
            raise _Refused("channel_not_found")
        inclusive = truthy(args.get("inclusive"))
        oldest = _ts_arg(args.get("oldest"), "invalid_ts_oldest")
        latest = _ts_arg(args.get("latest"), "invalid_ts_latest")
        start = _decode_cursor(str(args["cursor"])) if args.get("cursor") else None
        return [
            m
            for m in reversed(self._channels.get(channel, []))
            if _within(Decimal(m["ts"]), oldest, latest, inclusive=inclusive)
            and (start is None or Decimal(m["ts"]) <= start)
        ]


def truthy(value: Any) -> bool:
    """Return a boolean argument's value, sent as JSON (``true``) or a form field (``1``)."""
    return value is True or str(value).lower() in ("1", "true")


class _Refused(Exception):
    """An argument Slack refuses; ``code`` is the error it answers."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _ts_arg(value: Any, error: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        ts = Decimal(str(value))
    except InvalidOperation:
        raise _Refused(error) from None
    if not ts.is_finite() or ts < 0:
        raise _Refused(error)
    return ts


def _within(
    ts: Decimal, oldest: Decimal | None, latest: Decimal | None, *, inclusive: bool
) -> bool:
    if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
        return False
    return latest is None or ts < latest or (ts == latest and inclusive)


def _limit(value: Any) -> int:
    try:
        limit = int(value)
    except (TypeError, ValueError):
        return HISTORY_LIMIT_DEFAULT
    return HISTORY_LIMIT_DEFAULT if limit < 1 else min(limit, HISTORY_LIMIT_MAX)


def _encode_cursor(ts: str) -> str:
    return base64.b64encode(f"{_CURSOR_PREFIX}{ts}".encode()).decode()


def _decode_cursor(cursor: str) -> Decimal:
    try:
        text = base64.b64decode(cursor, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise _Refused("invalid_cursor") from None
    if not text.startswith(_CURSOR_PREFIX):
        raise _Refused("invalid_cursor")
    start = _ts_arg(text.removeprefix(_CURSOR_PREFIX), "invalid_cursor")
    if start is None:
        raise _Refused("invalid_cursor")
    return start


def _shown(message: dict[str, Any], *, with_metadata: bool) -> dict[str, Any]:
    shown = copy.deepcopy(message)
    if not with_metadata:
        shown.pop("metadata", None)
    return shown
