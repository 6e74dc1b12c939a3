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

from bot.clock import Clock
from bot.config import Settings

CONTEXT_KEY = "deps"
"""The key of :class:`Deps` in Bolt's per-request ``context``."""


@dataclass(frozen=True)
class Deps:
    """The bot's collaborators, shared by every request.

    Attributes:
        settings: the validated configuration.
        uow_factory: makes a unit of work for one use case; its commit owes what the use case
            changed (:mod:`bot.notify.owed`) and wakes the sender.
        clock: tells the time (Europe/London); never ``datetime.now()`` in a handler.
        sender: sends what is owed (:class:`bot.notify.sender.Sender`); listeners never call
            it: a commit wakes it.
    """

    settings: Settings
    uow_factory: Callable[..., Any]  # store.uow.UowFactory: a unit of work per use case
    clock: Clock
    sender: Any = None


def deps_of(context: Mapping[str, Any]) -> Deps:
    """Return the :class:`Deps` that ``create_app`` put into a request's Bolt context."""
    return context[CONTEXT_KEY]
