"""How an owed row is sent (its kind), and one owed message before it is a row.

Source of the split: a card, a home, a reminder and a digest are drawn when they are sent, from
the case as it is then, so a late retry never shows an older state; a DM or a channel notice
that tells of one moment (a recommendation, a decision) is rendered when it is owed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """How a row is sent."""

    DM = "dm"  # payload posted in the recipient's DM (chat.postMessage)
    CHANNEL = "channel"  # payload posted in the recipient channel (chat.postMessage)
    EPHEMERAL = "ephemeral"  # payload shown to the recipient in payload["channel"]
    CARD = "card"  # the case's card redrawn (chat.update), drawn when sent
    POST_CARD = "post_card"  # the case's card first posted in the recipient channel
    HOME = "home"  # the recipient's App Home published (views.publish), drawn when sent
    REMINDER = "reminder"  # a deadline's reminder DM, drawn when sent
    DIGEST = "digest"  # a board's daily digest in its channel, drawn when sent


DRAWN = frozenset({Kind.CARD, Kind.POST_CARD, Kind.HOME, Kind.REMINDER, Kind.DIGEST})
"""Kinds drawn when they are sent: their rows carry no payload."""

COALESCED = frozenset({Kind.CARD, Kind.HOME})
"""Kinds of which one call serves every due row for the same case or person."""


@dataclass(frozen=True)
class Owed:
    """One message a change owes, before it is written as a row.

    Attributes:
        kind: how it is sent.
        template: which message (its template's name): part of its exactly-once key.
        recipient: the Slack user or channel ID.
        message: the rendered ``text`` and ``blocks`` (with ``channel`` for an ephemeral); None
            for a kind drawn when sent.
        case_id: the case it is about (a card's case); None for a person's home.
    """

    kind: Kind
    template: str
    recipient: str
    message: dict[str, Any] | None = None
    case_id: int | None = None
