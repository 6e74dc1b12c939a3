"""Outbound Slack calls for jobs: per-channel spacing, and every failure given a clear verdict.

The reminder sweep and the daily digest send through :class:`SlackGateway`. Each call returns
one of three results instead of raising:

- :class:`Sent`: Slack accepted it.
- :class:`RetryLater`: nothing is wrong with the message; try again after ``after_seconds``
  (our own spacing, a 429 with its ``Retry-After``, a 5xx, a transient Slack error, a network
  error). The sweep leaves its dispatch claimable with ``not_before`` set, and moves on.
- :class:`PermanentFailure`: retrying cannot help; ``scope`` says whether the recipient, the
  message or the whole installation (token, scopes) is at fault. An installation failure means
  every call will fail: stop the sweep and leave the reminders owed rather than mark them failed.

The results and :func:`classify` live in :mod:`bot.slack.verdicts` and are importable from here.

Spacing: Slack allows about one message a second per channel ("Rate limits",
https://api.slack.com/apis/rate-limits, chat.postMessage). The gateway remembers when each
channel (a DM is a channel too) may next be sent to. A call to a busy channel does not block:
it returns ``RetryLater(reason=THROTTLED)`` at once, without calling Slack, so one busy channel
never holds up the others; ``max_wait`` lets a caller sleep for short waits instead. A 429 holds
its channel (or, for ``conversations.open``, that method) for the ``Retry-After`` Slack sent.
Spacing is per process; across instances Slack's own 429s are the backstop.

Give it the client from :func:`bot.slack.client.make_web_client`: its ``slack_sdk.http_retry``
handlers (rate limit, server error, connection error) retry once inside the call, and what still
fails after they give up is classified here. A client without handlers works too, only sooner.
That client never resends a ``chat.postMessage`` whose connection failed after it was sent (it
may have been posted); a client with slack_sdk's stock ``ConnectionErrorRetryHandler`` would.

Exactly once: messages carry Slack message ``metadata`` (``outbox_metadata``); after a
``RetryLater`` with ``unknown_outcome``, :meth:`SlackGateway.find_by_metadata` tells whether a
message was posted after all (:mod:`bot.slack.history` says what it reads, and how far back).
conversations.history is limited per method and workspace (Tier 3, about 50 a minute), not per
channel: lookups share one lane, not spaced, held for a 429's ``Retry-After``, and take no
channel's posting turn.

Logs name the method, the channel ID and Slack's error code; never the text or blocks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.slack.history import (
    HISTORY_MAX_PAGES,
    HISTORY_PAGE_SIZE,
    is_marked,
    oldest_ts,
    walk_history,
)
from bot.slack.verdicts import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_CAP_SECONDS,
    INSTALLATION_ERRORS,
    RECIPIENT_ERRORS,
    TRANSIENT_ERRORS,
    FailureScope,
    PermanentFailure,
    Result,
    RetryLater,
    RetryReason,
    Sent,
    backoff,
    classify,
    error_code,
    retry_after_seconds,
)

__all__ = [
    "BACKOFF_BASE_SECONDS", "BACKOFF_CAP_SECONDS", "INSTALLATION_ERRORS", "RECIPIENT_ERRORS",
    "TRANSIENT_ERRORS", "FailureScope", "PermanentFailure", "Result", "RetryLater", "RetryReason",
    "Sent", "SlackGateway", "backoff", "classify", "error_code", "retry_after_seconds",
]  # fmt: skip

logger = logging.getLogger(__name__)

_PRUNE_AT = 4096  # channels remembered before expired entries are dropped


class SlackGateway:
    """Send messages for jobs, spaced per channel, each failure classified.

    Args:
        client: a ``slack_sdk.WebClient`` (from :func:`bot.slack.client.make_web_client`).
        monotonic: the clock used for spacing (injected in tests; never wall time).
        sleep: how to wait when a wait is short enough (injected in tests).
        min_interval_per_channel: seconds between two sends to one channel.
        max_wait: the longest wait to sleep through for a busy channel; anything longer returns
            ``RetryLater(reason=THROTTLED)`` at once. 0 (the default) never sleeps.
    """

    def __init__(
        self,
        client: WebClient,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        min_interval_per_channel: float = 1.0,
        max_wait: float = 0.0,
    ) -> None:
        self._client = client
        self._monotonic = monotonic
        self._sleep = sleep
        self._interval = min_interval_per_channel
        self._max_wait = max_wait
        self._free_at: dict[str, float] = {}  # lane -> monotonic time it may next be used
        self._dm_channels: dict[str, str] = {}  # user ID -> DM channel ID
        self._own: tuple[str, str] | None = None  # the bot's (bot_id, user_id), from auth.test
        self._lock = threading.Lock()

    # -- calls -----------------------------------------------------------------------------------

    def post_message(
        self,
        channel: str,
        text: str,
        blocks: Sequence[dict] | None = None,
        *,
        attempt: int = 1,
        metadata: dict[str, Any] | None = None,
    ) -> Result:
        """Post a message (``chat.postMessage``); ``text`` is the notification fallback.

        ``metadata`` is Slack message metadata, ``{"event_type": …, "event_payload": {…}}``
        (:func:`bot.slack.history.outbox_metadata`), by which :meth:`find_by_metadata` finds
        the message again.
        """
        extra = _optional(blocks, metadata)
        result = self._send(
            "chat.postMessage",
            channel,
            attempt,
            lambda: self._client.chat_postMessage(channel=channel, text=text, **extra),
        )
        if isinstance(result, SlackResponse):
            return Sent(channel=result.get("channel", channel), ts=result.get("ts"))
        return result

    def update_message(
        self,
        channel: str,
        ts: str,
        text: str,
        blocks: Sequence[dict] | None = None,
        *,
        attempt: int = 1,
        metadata: dict[str, Any] | None = None,
    ) -> Result:
        """Replace a message the bot posted (``chat.update``), such as a case card.

        Without ``metadata`` the message keeps its own; ``{}`` removes it (chat.update's spec).
        """
        extra = _optional(blocks, metadata)
        result = self._send(
            "chat.update",
            channel,
            attempt,
            lambda: self._client.chat_update(channel=channel, ts=ts, text=text, **extra),
        )
        if isinstance(result, SlackResponse):
            return Sent(channel=result.get("channel", channel), ts=result.get("ts", ts))
        return result

    def publish_home(self, user: str, view: dict[str, Any], *, attempt: int = 1) -> Result:
        """Publish a person's App Home (``views.publish``); not spaced: one call per person."""
        result = self._send(
            "views.publish",
            user,
            attempt,
            lambda: self._client.views_publish(user_id=user, view=view),
            spaced=False,
        )
        if isinstance(result, SlackResponse):
            return Sent(channel=user, ts=None)
        return result

    def post_ephemeral(
        self,
        channel: str,
        user: str,
        text: str,
        blocks: Sequence[dict] | None = None,
        *,
        attempt: int = 1,
    ) -> Result:
        """Show a message to one member of a channel (``chat.postEphemeral``)."""
        result = self._send(
            "chat.postEphemeral",
            channel,
            attempt,
            lambda: self._client.chat_postEphemeral(
                channel=channel, user=user, text=text, **_blocks(blocks)
            ),
        )
        if isinstance(result, SlackResponse):
            return Sent(channel=channel, ts=result.get("message_ts"))
        return result

    def open_dm(self, user: str, *, attempt: int = 1) -> str | RetryLater | PermanentFailure:
        """Return the ID of the bot's DM channel with ``user`` (``conversations.open``), cached."""
        cached = self._dm_channels.get(user)
        if cached is not None:
            return cached
        result = self._send(
            "conversations.open",
            "conversations.open",  # not spaced; held only when Slack answers 429
            attempt,
            lambda: self._client.conversations_open(users=user),
            spaced=False,
        )
        if not isinstance(result, SlackResponse):
            return result
        channel_id = result["channel"]["id"]
        self._dm_channels[user] = channel_id
        return channel_id

    def send_dm(
        self,
        user: str,
        text: str,
        blocks: Sequence[dict] | None = None,
        *,
        attempt: int = 1,
        metadata: dict[str, Any] | None = None,
    ) -> Result:
        """Open (or reuse) the DM with ``user`` and post the message there (with ``metadata``)."""
        channel = self.open_dm(user, attempt=attempt)
        if not isinstance(channel, str):
            return channel
        result = self.post_message(channel, text, blocks, attempt=attempt, metadata=metadata)
        if isinstance(result, PermanentFailure) and result.scope is FailureScope.RECIPIENT:
            self._dm_channels.pop(user, None)  # a stale DM ID: open it afresh next time
        return result

    def find_by_metadata(
        self,
        channel: str,
        event_type: str,
        key_field: str,
        key_value: str | int,
        *,
        oldest: str | datetime | None = None,
        limit: int = HISTORY_PAGE_SIZE,
        max_pages: int = HISTORY_MAX_PAGES,
        attempt: int = 1,
    ) -> Sent | RetryLater | PermanentFailure | None:
        """Find this app's message whose metadata has ``event_type`` and ``key_field`` = value.

        Reads ``channel``'s history with ``include_all_metadata``, newest first, back to
        ``oldest``; only messages this app posted count (``auth.test``'s ``bot_id``).

        Args:
            channel: a channel ID, or a user ID (``U…``/``W…``) for the DM with them.
            event_type: the metadata's ``event_type``, e.g. ``"casedesk_outbox"``.
            key_field: the ``event_payload`` field, e.g. ``"outbox_id"``.
            key_value: the value it must have (compared as text).
            oldest: a Slack ts, or the aware time of the first attempt (searched from
                5 minutes before it); None: only the latest ``max_pages`` pages.
            limit: messages per page.
            max_pages: calls at most; a search that ends unfinished answers None (see
                :mod:`bot.slack.history`).
            attempt: counted from 1; sets the backoff of a ``RetryLater``.

        Returns:
            ``Sent(channel, ts)`` if found; None if not; otherwise why the lookup itself
            failed, classified as any call (``missing_scope``: an installation failure).
        """
        since = oldest_ts(oldest)
        if channel.startswith(("U", "W")):
            opened = self.open_dm(channel, attempt=attempt)
            if not isinstance(opened, str):
                return opened
            channel = opened
        own = self._own_ids(attempt)
        if not isinstance(own, tuple):
            return own
        found = walk_history(
            lambda cursor: self._history_page(channel, since, cursor, limit, attempt),
            lambda message: is_marked(message, own, event_type, key_field, key_value),
            max_pages=max_pages,
            what=f"{event_type} {key_field}={key_value} in {channel}",
        )
        if found is None or isinstance(found, RetryLater | PermanentFailure):
            return found
        return Sent(channel=channel, ts=found.get("ts"))

    def _own_ids(self, attempt: int) -> tuple[str, str] | RetryLater | PermanentFailure:
        """Return the bot's ``(bot_id, user_id)`` (``auth.test``, asked once)."""
        if self._own is None:
            result = self._send(
                "auth.test", "auth.test", attempt, lambda: self._client.auth_test(), spaced=False
            )
            if not isinstance(result, SlackResponse):
                return result
            self._own = (str(result.get("bot_id") or ""), str(result.get("user_id") or ""))
        return self._own

    def _history_page(
        self, channel: str, oldest: str | None, cursor: str | None, limit: int, attempt: int
    ) -> SlackResponse | RetryLater | PermanentFailure:
        """Read one page of ``channel``'s history, with message metadata."""
        return self._send(
            "conversations.history",
            "conversations.history",  # Tier 3 per method and workspace: one lane, not spaced
            attempt,
            lambda: self._client.conversations_history(
                channel=channel,
                include_all_metadata=True,
                limit=limit,
                oldest=oldest,
                cursor=cursor,
            ),
            spaced=False,
        )

    # -- spacing ---------------------------------------------------------------------------------

    def ready_in(self, channel: str) -> float:
        """Return the seconds until ``channel`` may be sent to (0 when it may be now)."""
        with self._lock:
            free_at = self._free_at.get(channel)
            return 0.0 if free_at is None else max(0.0, free_at - self._monotonic())

    def _reserve(self, lane: str, *, spaced: bool) -> tuple[bool, float]:
        """Book the lane's next free moment: (booked, seconds to wait first, or until free)."""
        with self._lock:
            now = self._monotonic()
            free_at = self._free_at.get(lane, now)
            wait = max(0.0, free_at - now)
            if wait > self._max_wait:
                return False, wait
            if spaced:
                self._free_at[lane] = max(now, free_at) + self._interval
            if len(self._free_at) > _PRUNE_AT:
                self._free_at = {k: v for k, v in self._free_at.items() if v > now}
            return True, wait

    def _hold(self, lane: str, seconds: float) -> None:
        """Keep the lane closed for ``seconds`` from now (Slack said so with a 429)."""
        with self._lock:
            until = self._monotonic() + seconds
            self._free_at[lane] = max(self._free_at.get(lane, until), until)

    def _send(
        self,
        method: str,
        lane: str,
        attempt: int,
        call: Callable[[], SlackResponse],
        *,
        spaced: bool = True,
    ) -> SlackResponse | RetryLater | PermanentFailure:
        """Make one call on ``lane`` once it is free; classify what goes wrong."""
        booked, wait = self._reserve(lane, spaced=spaced)
        if not booked:
            return RetryLater(wait, RetryReason.THROTTLED, "throttled")
        if wait > 0:
            self._sleep(wait)
        try:
            return call()
        except (SlackApiError, OSError, HTTPException) as exc:
            return self._failed(method, lane, attempt, exc)

    def _failed(
        self, method: str, lane: str, attempt: int, exc: Exception
    ) -> RetryLater | PermanentFailure:
        outcome = classify(exc, attempt=attempt)
        if isinstance(outcome, RetryLater) and outcome.reason is RetryReason.RATE_LIMITED:
            response = exc.response if isinstance(exc, SlackApiError) else None
            self._hold(lane, retry_after_seconds(response) or self._interval)
        detail = outcome.reason if isinstance(outcome, RetryLater) else outcome.scope
        logger.warning("Slack %s to %s failed: %s (%s)", method, lane, outcome.error, detail)
        return outcome


def _blocks(blocks: Sequence[dict] | None) -> dict[str, Any]:
    return {} if blocks is None else {"blocks": list(blocks)}


def _optional(blocks: Sequence[dict] | None, metadata: dict[str, Any] | None) -> dict[str, Any]:
    """Return the message's optional arguments that are given (Slack is sent no nulls)."""
    return _blocks(blocks) | ({} if metadata is None else {"metadata": metadata})
