"""A person opening the bot's Home tab: their home is owed, drawn and published by the sender."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from store.uow import UnitOfWork


@dataclass(frozen=True)
class HomeOpened:
    """Someone opened the Home tab: their home is to be drawn afresh (nothing else changed)."""

    user: str


def open_home(user: str, *, uow: UnitOfWork, now: datetime) -> HomeOpened:
    """Note that ``user`` opened their Home tab; its publishing is owed with this commit.

    Not audited: opening a tab changes no record. Every Slack call but the immediate answer goes
    through the outbox, so the event is acknowledged at once whatever Slack's speed.
    """
    opened = HomeOpened(user)
    uow.changed(opened)
    uow.commit()
    return opened
