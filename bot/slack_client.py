"""The one place a Slack ``WebClient`` is made: ``SLACK_API_URL`` and retries, every time.

The Bolt app, the Socket Mode client (which calls ``apps.connections.open`` through the app's
client) and the reminder gateway all take the client this module builds, so pointing
``SLACK_API_URL`` at a proxy or at the test fake moves every call the bot makes.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings

TIMEOUT_SECONDS = 10
"""Per-request timeout. A listener must answer Slack within 3 s; a call hanging longer fails."""


def retry_handlers() -> list[RetryHandler]:
    """Return the retry policy of every client: one retry on 429, connection error and 5xx.

    One retry, not more: listeners finish before Bolt answers Slack (``process_before_response``),
    so a long back-off would hold the request. A 429 waits the ``Retry-After`` Slack sends. The
    reminder sweep does not depend on these retries: an unsent reminder stays claimable and is
    retried on a later sweep.
    """
    return [
        RateLimitErrorRetryHandler(max_retry_count=1),
        ServerErrorRetryHandler(max_retry_count=1),
        ConnectionErrorRetryHandler(max_retry_count=1),
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
