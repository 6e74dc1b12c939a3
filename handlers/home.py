"""The App Home: what the person owes first (votes, deadlines), then their boards' open cases.

:func:`publish_home` is also for other steps: after a vote or a decision, refresh the home of
whoever's list changed.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.deps import Deps, deps_of
from bot.services.queries import dashboard
from messages.render import render_view


def register(app: App) -> None:
    """Listen for the App Home being opened."""
    app.event("app_home_opened")(handle_home_opened)


def handle_home_opened(event: dict[str, Any], client: WebClient, context) -> None:
    """Publish the person's home when they open its Home tab (not its Messages tab)."""
    if event.get("tab", "home") != "home":
        return
    publish_home(client, deps_of(context), event["user"])


def publish_home(client: WebClient, deps: Deps, user_id: str) -> None:
    """Render and publish ``user_id``'s App Home (``views.publish``)."""
    with deps.uow_factory() as uow:
        board = dashboard(user_id, uow=uow, today=deps.clock.today())
    client.views_publish(user_id=user_id, view=render_view("home", dashboard=board))
