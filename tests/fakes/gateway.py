"""What the Slack gateway's tests share: a fake monotonic clock, clients on the fake Web API.

A real ``slack_sdk.WebClient`` points at :class:`~tests.fakes.slack_api.FakeSlackApi` (the one
fake of the Web API, which checks every call against Slack's method specs), so the gateway runs
the SDK's own HTTP, JSON and retry code. :class:`FakeTime` is a monotonic clock and a sleep that
only moves it: spacing is tested without real waiting.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler

from bot.slack.gateway import SlackGateway
from tests.fakes.slack_api import FakeSlackApi

TOKEN = "xoxb-test"

TEXT = 'Reminder: SCR-2026-003 (Child A) "information return" due <!channel> & Dŵr Cymru'
"""A message text with what must arrive intact: quotes, a mention, an ampersand, Welsh."""

BLOCKS = [
    {"type": "section", "block_id": "reminder", "text": {"type": "mrkdwn", "text": TEXT}},
    {
        "type": "actions",
        "block_id": "reminder_actions",
        "elements": [
            {"type": "button", "action_id": "deadline_done", "value": "42",
             "text": {"type": "plain_text", "text": "Mark done"}},
        ],
    },
]  # fmt: skip


class FakeTime:
    """A monotonic clock and a sleep that only move the clock."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        """Return the current fake time."""
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record the wait and move the clock on by it."""
        self.sleeps.append(seconds)
        self.now += seconds


def make_client(slack: FakeSlackApi, *handlers: RetryHandler) -> WebClient:
    """Return a WebClient on the fake with only these retry handlers (none: no SDK retries)."""
    return WebClient(token=TOKEN, base_url=slack.base_url, timeout=5, retry_handlers=list(handlers))


def make_gateway(client: WebClient, clock: FakeTime, **kwargs: float) -> SlackGateway:
    """Return a gateway on ``client`` whose spacing runs on the fake clock."""
    return SlackGateway(client, monotonic=clock.monotonic, sleep=clock.sleep, **kwargs)
