"""The App Home: what the person owes first (votes, deadlines), then their boards' open cases.

Opening the Home tab owes its publishing (:func:`bot.services.homes.open_home`); every step that
changes what someone's home shows owes theirs too (:mod:`bot.notify.owed`). The sender draws and
publishes each home when it sends it, so the event is acknowledged at once and a home is never
drawn from an older state. The home shows references and pseudonyms only.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.services.homes import open_home
from handlers.context import deps_of


def register(app: App) -> None:
    """Listen for the App Home being opened."""
    app.event("app_home_opened")(handle_home_opened)


def handle_home_opened(event: dict[str, Any], context) -> None:
    """Owe the person's home when they open its Home tab (not its Messages tab)."""
    if event.get("tab", "home") != "home":
        return
    deps = deps_of(context)
    with deps.uow_factory() as uow:
        open_home(event["user"], uow=uow, now=deps.clock.now())
