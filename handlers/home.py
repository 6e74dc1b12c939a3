"""The App Home: what the person owes first (votes, deadlines), then their boards' open cases.

Every step that changes what someone's home shows refreshes it through :func:`refresh_homes`,
the one place that decides how; who to refresh is the step's to say::

    refresh_homes(client, deps, [cmd.actor])                # a vote, a conflict
    refresh_homes(client, deps, board_id=case.board_id)     # a case's state or deadlines

The home is a convenience: a failed refresh is logged (no identifying details) and never fails
or undoes the step that triggered it; the person's home is published afresh when they open it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps, deps_of
from bot.home import home_views
from bot.slack_gateway import error_code

PUBLISH_THREADS = 4
"""How many ``views.publish`` calls run at once: a listener must finish inside Slack's 3 s."""

log = logging.getLogger(__name__)


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
    [(user, view)] = home_views(deps.uow_factory, deps.clock.today(), [user_id])
    client.views_publish(user_id=user, view=view)


def refresh_homes(
    client: WebClient, deps: Deps, users: Iterable[str] = (), *, board_id: str | None = None
) -> None:
    """Re-publish the App Home of each person in ``users`` (once each, a few at a time).

    Args:
        client: the Web API client.
        deps: the request's collaborators.
        users: Slack ids of the people whose home changed.
        board_id: also every active member of this board (whose homes list its open cases):
            after a change of a case's state or deadlines.

    Never raises: a home that cannot be read or published is logged with the error's type only
    (no user, case or subject) and the others are still published.
    """
    try:
        views = home_views(deps.uow_factory, deps.clock.today(), users, board_id=board_id)
    except Exception as exc:  # noqa: BLE001 - the step is done; the home refreshes on open
        _log_failure(exc)
        return

    def publish(user_view: tuple[str, dict[str, Any]]) -> None:
        try:
            client.views_publish(user_id=user_view[0], view=user_view[1])
        except Exception as exc:  # noqa: BLE001 - as above
            _log_failure(exc)

    if len(views) <= 1:
        for user_view in views:
            publish(user_view)
        return
    with ThreadPoolExecutor(max_workers=min(PUBLISH_THREADS, len(views))) as pool:
        list(pool.map(publish, views))


def _log_failure(exc: Exception) -> None:
    """Log a failed refresh by the error's type and Slack's error code, nothing identifying."""
    code = error_code(exc.response) if isinstance(exc, SlackApiError) else None
    log.warning("App Home refresh failed: %s%s", type(exc).__name__, f" ({code})" if code else "")
