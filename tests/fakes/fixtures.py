"""Pytest fixtures for Slack: the fake Web API, settings pointing at it, and the Bolt app.

Registered for the whole suite with ``pytest_plugins = ["tests.fakes.fixtures"]`` in
``tests/conftest.py``. Fixtures:

- ``slack_api``: a running :class:`~tests.fakes.slack_api.FakeSlackApi`; the test fails at
  teardown if the bot made any call Slack would refuse (``slack_api.violations``). The fake's
  failures are counted, not timed, so with it the client's retries do not sleep for real
  (``no_sdk_sleep``); a test can still record those sleeps by patching the same attribute.
- ``slack_settings``: :class:`~bot.config.Settings` with test tokens, the signing secret of
  :mod:`tests.fakes.signing` and ``SLACK_API_URL`` at the fake.
- ``make_bolt_app``: builds the real app with ``create_app`` against the fake; pass
  ``uow_factory=`` and ``clock=`` (the store's fixtures) for handlers that use the database.
- ``no_sdk_sleep``: the client's own retry (once, on a 429 or 5xx) does not sleep for real.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from slack_bolt import App
from slack_sdk.http_retry import builtin_handlers, handler

from bot.app import create_app
from bot.clock import Clock, FixedClock
from bot.config import Settings
from bot.slack.client import make_web_client
from tests.fakes.signing import SIGNING_SECRET
from tests.fakes.slack_api import FakeSlackApi

BOT_TOKEN = "xoxb-0000000000-0000000000000-casedesktestbottoken00"
APP_TOKEN = "xapp-1-A0CASEDESK-0000000000000-casedesktestapptoken"


@pytest.fixture
def slack_api(no_sdk_sleep: None) -> Iterator[FakeSlackApi]:
    """Run the fake Slack Web API for one test; fail the test on any call Slack would refuse.

    A 429's ``Retry-After`` or a 5xx from the fake is not slept out: the fake fails the next
    calls it was told to fail however soon they come, and sleeping cost the suite 20 s.
    """
    with FakeSlackApi() as fake:
        yield fake
    assert not fake.violations, "calls Slack would refuse:\n" + "\n".join(fake.violations)


@pytest.fixture
def slack_settings(slack_api: FakeSlackApi) -> Settings:
    """Return settings whose Slack calls go to the fake, with test credentials."""
    return Settings.from_env(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack_api.base_url,
            "DATABASE_URL": "sqlite://",
        }
    )


def _no_database() -> Any:
    raise AssertionError("this app was built without a database: pass uow_factory=")


@pytest.fixture
def make_bolt_app(slack_settings: Settings) -> Callable[..., App]:
    """Return a function building the real Bolt app against the fake Slack API."""

    def make(*, uow_factory: Callable[[], Any] = _no_database, clock: Clock | None = None) -> App:
        return create_app(
            slack_settings,
            client=make_web_client(slack_settings),
            uow_factory=uow_factory,
            clock=clock or FixedClock(datetime(2026, 3, 2, 10, 0)),
        )

    return make


@pytest.fixture
def no_sdk_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make slack_sdk's retry handlers retry at once (a 429's Retry-After is not slept out)."""
    monkeypatch.setattr(handler, "time", SimpleNamespace(sleep=lambda seconds: None))
    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=lambda seconds: None))
