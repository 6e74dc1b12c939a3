"""What a listener needs besides Slack's own arguments: settings, the unit of work, the clock.

``create_app`` puts one :class:`Deps` into every request's Bolt context, so a listener reads
``deps_of(context)`` instead of reaching for a module global::

    def handle_status_command(ack, command, respond, context):
        ack()
        deps = deps_of(context)
        with deps.uow_factory() as uow:
            ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.clock import Clock
from bot.config import Settings
from bot.slack_gateway import SlackGateway

CONTEXT_KEY = "deps"
"""The key of :class:`Deps` in Bolt's per-request ``context``."""

UowFactory = Callable[[], Any]
"""Makes a unit of work (``store``): a context manager that commits once per use case."""


@dataclass(frozen=True)
class Deps:
    """The bot's collaborators, shared by every request.

    Attributes:
        settings: the validated configuration.
        uow_factory: makes a unit of work for one use case.
        clock: tells the time (Europe/London); never ``datetime.now()`` in a handler.
        gateway: sends owed messages (the outbox) over the app's own client; ``create_app``
            sets it. Read it through :meth:`gateway_for`.
    """

    settings: Settings
    uow_factory: UowFactory
    clock: Clock
    gateway: SlackGateway | None = None

    def gateway_for(self, client: WebClient) -> SlackGateway:
        """Return the app's gateway, or one over ``client`` when these deps were built bare."""
        return self.gateway if self.gateway is not None else listener_gateway(client)


def listener_gateway(client: WebClient) -> SlackGateway:
    """Return a gateway for listeners over Bolt's client: unspaced, as the client's calls are.

    A listener makes a handful of calls and must finish inside Slack's 3 seconds, so it neither
    waits for its own spacing nor defers for it; Slack's 429 (and the client's one retry) is the
    backstop, and whatever still fails stays owed in the outbox for the scheduler's next tick.
    """
    return SlackGateway(client, min_interval_per_channel=0.0)


def deps_of(context: Mapping[str, Any]) -> Deps:
    """Return the :class:`Deps` that ``create_app`` put into a request's Bolt context."""
    return context[CONTEXT_KEY]
