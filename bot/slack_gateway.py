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

The results and :func:`classify` live in :mod:`bot.slack_verdicts` and are importable from here.

Spacing: Slack allows about one message a second per channel ("Rate limits",
https://api.slack.com/apis/rate-limits, chat.postMessage). The gateway remembers when each
channel (a DM is a channel too) may next be sent to. A call to a busy channel does not block:
it returns ``RetryLater(reason=THROTTLED)`` at once, without calling Slack, so one busy channel
never holds up the others; ``max_wait`` lets a caller sleep for short waits instead. A 429 holds
its channel (or, for ``conversations.open``, that method) for the ``Retry-After`` Slack sent.
Spacing is per process; across instances Slack's own 429s are the backstop.

Give it the client from :func:`bot.slack_client.make_web_client`: its ``slack_sdk.http_retry``
handlers (rate limit, server error, connection error) retry once inside the call, and what still
fails after they give up is classified here. A client without handlers works too, only sooner.

Logs name the method, the channel ID and Slack's error code; never the text or blocks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.slack_verdicts import (
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
    "BACKOFF_BASE_SECONDS",
    "BACKOFF_CAP_SECONDS",
    "INSTALLATION_ERRORS",
    "RECIPIENT_ERRORS",
    "TRANSIENT_ERRORS",
    "FailureScope",
    "PermanentFailure",
    "Result",
    "RetryLater",
    "RetryReason",
    "Sent",
    "SlackGateway",
    "backoff",
    "classify",
    "error_code",
    "retry_after_seconds",
]

logger = logging.getLogger(__name__)

_PRUNE_AT = 4096  # channels remembered before expired entries are dropped


class SlackGateway:
    """Send messages for jobs, spaced per channel, each failure classified.

    Args:
        client: a ``slack_sdk.WebClient`` (from :func:`bot.slack_client.make_web_client`).
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
        self._lock = threading.Lock()

    # -- calls -----------------------------------------------------------------------------------

    def post_message(
        self, channel: str, text: str, blocks: Sequence[dict] | None = None, *, attempt: int = 1
    ) -> Result:
        """Post a message (``chat.postMessage``); ``text`` is the notification fallback."""
        result = self._send(
            "chat.postMessage",
            channel,
            attempt,
            lambda: self._client.chat_postMessage(channel=channel, text=text, **_blocks(blocks)),
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
    ) -> Result:
        """Replace a message the bot posted (``chat.update``), such as a case card."""
        result = self._send(
            "chat.update",
            channel,
            attempt,
            lambda: self._client.chat_update(channel=channel, ts=ts, text=text, **_blocks(blocks)),
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
        self, user: str, text: str, blocks: Sequence[dict] | None = None, *, attempt: int = 1
    ) -> Result:
        """Open (or reuse) the DM with ``user`` and post the message there."""
        channel = self.open_dm(user, attempt=attempt)
        if not isinstance(channel, str):
            return channel
        result = self.post_message(channel, text, blocks, attempt=attempt)
        if isinstance(result, PermanentFailure) and result.scope is FailureScope.RECIPIENT:
            self._dm_channels.pop(user, None)  # a stale DM ID: open it afresh next time
        return result

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
