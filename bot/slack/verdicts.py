"""What became of a Slack call: sent, retry later, or failed for good, and why.

:class:`~bot.slack.gateway.SlackGateway` returns one of three results instead of raising:

- :class:`Sent`: Slack accepted it.
- :class:`RetryLater`: nothing is wrong with the message; try again after ``after_seconds``
  (our own spacing, a 429 with its ``Retry-After``, a 5xx, a transient Slack error, a network
  error).
- :class:`PermanentFailure`: retrying cannot help; ``scope`` says whether the recipient, the
  message or the whole installation (token, scopes) is at fault.

:func:`classify` turns a ``SlackApiError`` or a network error into a verdict; :func:`backoff`
is the wait before the next attempt. Everything here is also importable from
``bot.slack.gateway``.

Outcome unknown: a failure after the request reached Slack leaves open whether Slack acted on it.
``RetryLater.unknown_outcome`` says so, and a message must then be looked up
(:meth:`~bot.slack.gateway.SlackGateway.find_by_metadata`) before it is posted again, or it may be
posted twice. It is true for:

- a network error once the request was sent: the connection reset or closed, a timeout waiting
  for the answer, a truncated answer. urllib (slack_sdk's transport) wraps every error while
  connecting or sending in ``URLError`` and raises errors while awaiting the answer as they are
  (``RemoteDisconnected``, ``ConnectionResetError``, ``TimeoutError``, ``IncompleteRead``), so a
  ``URLError`` (refused, DNS, TLS, a connect timeout) means Slack never had the whole request;
- an HTTP 5xx: a gateway timeout (504) or a proxy's 502 can come after Slack's backend posted
  the message, and a 500 is Slack's ``internal_error``;
- Slack's ``internal_error`` and ``fatal_error``, which Slack documents as "it's possible some
  aspect of the operation succeeded before the error was raised".

It is false when Slack certainly did nothing: a 429, our own spacing, a refused or unreachable
connection, ``service_unavailable``, ``request_timeout`` (the request arrived truncated).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from http.client import HTTPException
from typing import Any
from urllib.error import URLError

from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0


class RetryReason(StrEnum):
    """Why a call is to be retried later."""

    THROTTLED = "throttled"  # our own per-channel spacing; Slack was not called
    RATE_LIMITED = "rate_limited"  # Slack answered 429 (or error "ratelimited"/"rate_limited")
    SERVER_ERROR = "server_error"  # HTTP 5xx, or a transient Slack error code
    CONNECTION_ERROR = "connection_error"  # refused, reset, timed out, DNS
    INSTALLATION = "installation"  # token or scopes refused: owed until an admin fixes the app


class FailureScope(StrEnum):
    """What a permanent failure is about, so the caller knows how far it reaches."""

    RECIPIENT = "recipient"  # this channel, user or message: tell the business manager
    MESSAGE = "message"  # this payload was refused (blocks, length): a bug to fix
    INSTALLATION = "installation"  # token, scopes or workspace: every call will fail


@dataclass(frozen=True)
class Sent:
    """Slack accepted the call: the message's channel (``D…`` for a DM) and ``ts``."""

    channel: str
    ts: str | None


@dataclass(frozen=True)
class RetryLater:
    """The call did not go through but may later.

    Attributes:
        after_seconds: wait at least this long before trying again.
        reason: why.
        error: Slack's error code, ``http_<status>``, or the network exception's class name.
        unknown_outcome: Slack may have done what was asked although no success came back
            (see the module's docstring): look a message up before posting it again. False when
            Slack certainly did nothing.
    """

    after_seconds: float
    reason: RetryReason
    error: str
    unknown_outcome: bool = False

    def not_before(self, now: datetime) -> datetime:
        """Return the earliest time to try again, counted from ``now``."""
        return now + timedelta(seconds=self.after_seconds)


@dataclass(frozen=True)
class PermanentFailure:
    """The call failed and retrying it unchanged cannot help: Slack's error code, and its scope."""

    error: str
    scope: FailureScope


Result = Sent | RetryLater | PermanentFailure

# Slack error codes, from the "Errors" tables of chat.postMessage, chat.update,
# chat.postEphemeral and conversations.open (https://api.slack.com/methods).
TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_added_to_org"}
)
# "ratelimited" is every method's; chat.postMessage also documents "rate_limited" ("Application
# has posted too many messages"): a wait, not a refusal of the message.
RATE_LIMIT_ERRORS = frozenset({"ratelimited", "rate_limited"})
# Transient errors after which Slack may have acted: "It's possible some aspect of the operation
# succeeded before the error was raised" (Slack's description of both).
UNKNOWN_OUTCOME_ERRORS = frozenset({"internal_error", "fatal_error"})
INSTALLATION_ERRORS = frozenset(
    {
        "not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired",
        "no_permission", "missing_scope", "not_allowed_token_type", "team_access_not_granted",
        "ekm_access_denied", "access_denied", "org_login_required", "enterprise_is_restricted",
    }
)  # fmt: skip
RECIPIENT_ERRORS = frozenset(
    {
        "channel_not_found", "not_in_channel", "is_archived", "user_not_found",
        "user_not_visible", "user_disabled", "user_not_in_channel", "cannot_dm_bot",
        "messages_tab_disabled", "message_not_found", "cant_update_message",
        "edit_window_closed", "restricted_action", "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel", "restricted_action_non_threadable_channel",
    }
)  # fmt: skip


def backoff(
    attempt: int,
    retry_after: float | None = None,
    *,
    base: float = BACKOFF_BASE_SECONDS,
    cap: float = BACKOFF_CAP_SECONDS,
) -> float:
    """Return how long to wait before retry number ``attempt``: 30 s, 60 s, 120 s … at most 1 h.

    Exponential so a long Slack outage costs few calls; capped so a reminder is never held back
    more than an hour once Slack is back. A ``Retry-After`` longer than that is honoured.

    Args:
        attempt: 1 for the wait after the first failed attempt, 2 after the second, …
        retry_after: the seconds Slack asked for in a ``Retry-After`` header, if any.
        base: the first wait.
        cap: the longest wait the exponential part can reach.

    Raises:
        ValueError: ``attempt`` is less than 1.
    """
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, not {attempt}")
    wait = min(cap, base * 2.0 ** min(attempt - 1, 64))
    return max(wait, retry_after) if retry_after is not None else wait


def retry_after_seconds(response: SlackResponse | None) -> float | None:
    """Return the ``Retry-After`` header of a Slack response in seconds, or None."""
    headers: Mapping[str, Any] = getattr(response, "headers", None) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            if isinstance(value, list | tuple):
                value = value[0] if value else None
            try:
                seconds = float(value)
            except (TypeError, ValueError):
                return None
            return seconds if seconds >= 0 else None
    return None


def classify(error: Exception, *, attempt: int = 1) -> RetryLater | PermanentFailure:
    """Turn a failed Slack call into a verdict.

    Args:
        error: a ``SlackApiError``, or a network error (``OSError`` such as ``URLError``,
            ``ConnectionError`` or ``socket.timeout``; ``http.client.HTTPException``).
        attempt: the attempt that failed, counted from 1; sets the backoff.

    Raises:
        TypeError: ``error`` is neither (a programming error the caller should let propagate).
    """
    if isinstance(error, SlackApiError):
        response = error.response
        status = getattr(response, "status_code", None)
        code = error_code(response)
        if status == 429 or code in RATE_LIMIT_ERRORS:
            after = backoff(attempt, retry_after_seconds(response))
            return RetryLater(after, RetryReason.RATE_LIMITED, code or "ratelimited")
        if isinstance(status, int) and status >= 500:
            return RetryLater(backoff(attempt), RetryReason.SERVER_ERROR, f"http_{status}", True)
        if code in TRANSIENT_ERRORS:
            unknown = code in UNKNOWN_OUTCOME_ERRORS
            return RetryLater(backoff(attempt), RetryReason.SERVER_ERROR, code, unknown)
        if code in INSTALLATION_ERRORS:
            return PermanentFailure(code, FailureScope.INSTALLATION)
        if code in RECIPIENT_ERRORS:
            return PermanentFailure(code, FailureScope.RECIPIENT)
        return PermanentFailure(code or f"http_{status}", FailureScope.MESSAGE)
    if isinstance(error, OSError | HTTPException):
        name, unknown = type(error).__name__, failed_after_sending(error)
        return RetryLater(backoff(attempt), RetryReason.CONNECTION_ERROR, name, unknown)
    raise TypeError(f"not a Slack or network error: {type(error).__name__}")


def failed_after_sending(error: BaseException) -> bool:
    """Return whether a network error struck after the whole request had gone to Slack.

    urllib wraps what fails while connecting or sending in ``URLError`` (so Slack never had the
    whole request); an error while awaiting the answer (reset, closed, timed out, truncated) is
    raised as it is, and Slack may have acted on the request.
    """
    return isinstance(error, OSError | HTTPException) and not isinstance(error, URLError)


def error_code(response: SlackResponse | None) -> str:
    """Return Slack's error code from a response, or "" (never a quoted response body)."""
    data = getattr(response, "data", None)
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        # A non-JSON body is reported by slack_sdk as an "error" quoting the body: drop it.
        code = data["error"]
        return "" if " " in code else code
    return ""
