"""Whose App Home to redraw after a step, and with what: shared by the handlers and the sweep.

:func:`home_views` reads each person's dashboard and renders their home; the caller publishes
them (``handlers.home.refresh_homes`` through the request's client, ``bot.jobs`` through the
gateway). The home shows references and pseudonyms only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from bot.services.queries import board_member_ids, dashboard
from messages.render import render_view
from store.uow import UnitOfWork


def home_views(
    uow_factory: Callable[[], UnitOfWork],
    today: date,
    users: Iterable[str] = (),
    *,
    board_id: str | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """Return ``(slack_id, home view)`` for each person whose home changed, once each.

    Args:
        uow_factory: makes the unit of work every dashboard is read in (one, read-only).
        today: the day the homes are drawn for (working days left, overdue).
        users: Slack ids of the people named by the step (a voter).
        board_id: also every active member of this board, whose homes list its open cases:
            after a change of a case's state or deadlines.
    """
    with uow_factory(read_only=True) as uow:
        members = board_member_ids(board_id, uow=uow) if board_id is not None else ()
        people = dict.fromkeys(u for u in (*users, *members) if u)
        return [
            (u, render_view("home", dashboard=dashboard(u, uow=uow, today=today))) for u in people
        ]
