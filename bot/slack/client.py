"""The one place a Slack ``WebClient`` is made: ``SLACK_API_URL`` and retries, every time.

The Bolt app, the Socket Mode client (which calls ``apps.connections.open`` through the app's
client) and the reminder gateway all take the client this module builds, so pointing
``SLACK_API_URL`` at a proxy or at the test fake moves every call the bot makes.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryHandler, RetryState
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings
from bot.slack.verdicts import failed_after_sending

TIMEOUT_SECONDS = 10
"""Per-request timeout. A listener must answer Slack within 3 s; a call hanging longer fails."""


NOT_RESENT_ONCE_SENT = frozenset({"chat.postMessage"})
"""Methods the client does not call again once the request may have reached Slack.

Posting twice makes two messages. The other methods casedesk calls are idempotent (an update or
an App Home publish repeated leaves the same result; a DM opened twice is the same DM; reads),
and an ephemeral reply a listener repeats is better than one lost.
"""


class PostSafeConnectionErrorRetryHandler(ConnectionErrorRetryHandler):
    """Retry a failed connection once, but never resend a message Slack may already have posted.

    slack_sdk's handler retries ``RemoteDisconnected`` and ``ConnectionResetError``, which arrive
    after the whole request was sent: when Slack had posted the message and only its answer was
    lost, the retry posts it a second time. For ``chat.postMessage`` such a failure is left to
    the caller (``RetryLater.unknown_outcome``), who looks the message up in the channel's history
    before sending it again; a connection that failed before the request was sent (refused, DNS,
    a connect timeout: urllib's ``URLError``) is still retried, since nothing reached Slack.
    """

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if (
            error is not None
            and failed_after_sending(error)
            and _method(request) in (NOT_RESENT_ONCE_SENT)
        ):
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


class PostSafeServerErrorRetryHandler(ServerErrorRetryHandler):
    """Retry a 500 or 503 once, but never a ``chat.postMessage``: Slack may have posted it.

    Slack's 5xx can come after the message was posted; the outbox marks such a row uncertain
    (``RetryLater.unknown_outcome``) and looks for it in the conversation before posting again.
    """

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if _method(request) in NOT_RESENT_ONCE_SENT:
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


def _method(request: HttpRequest) -> str:
    """Return the Web API method a request calls (``…/api/chat.postMessage`` -> its last part)."""
    return urlsplit(request.url).path.rsplit("/", 1)[-1]


def retry_handlers() -> list[RetryHandler]:
    """Return the retry policy of every client: one retry on 429, connection error and 5xx.

    One retry, not more: listeners finish before Bolt answers Slack (``process_before_response``),
    so a long back-off would hold the request. A 429 waits the ``Retry-After`` Slack sends. The
    reminder sweep does not depend on these retries: an unsent reminder stays claimable and is
    retried on a later sweep.

    A ``chat.postMessage`` whose connection failed after it was sent, or that Slack answered
    with a 5xx, is not retried here (:class:`PostSafeConnectionErrorRetryHandler`,
    :class:`PostSafeServerErrorRetryHandler`): Slack may have posted it, so the outbox looks for
    it in the conversation's history before it posts it again.
    """
    return [
        RateLimitErrorRetryHandler(max_retry_count=1),
        PostSafeServerErrorRetryHandler(max_retry_count=1),
        PostSafeConnectionErrorRetryHandler(max_retry_count=1),
    ]


def make_web_client(settings: Settings, *, token: str | None = None) -> WebClient:
    """Build a WebClient for the Slack Web API at ``settings.slack_api_url``.

    Args:
        settings: the configuration; its bot token is used unless ``token`` is given.
        token: another token (tests, or a per-workspace token once OAuth installs arrive).

    Raises:
        ConfigError: no token given and ``SLACK_BOT_TOKEN`` is not set.
    """
    return WebClient(
        token=token if token is not None else settings.bot_token,
        base_url=settings.slack_api_url,
        timeout=TIMEOUT_SECONDS,
        retry_handlers=retry_handlers(),
    )
