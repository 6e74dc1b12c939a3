"""``/review SUBCOMMAND …``: the parsed command, and what a subcommand handler looks like.

The step modules import this; the router (:mod:`handlers.commands`) imports them. Nothing here
imports a step module, so the handlers have no import circle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from slack_sdk import WebClient

from handlers.context import Deps
from handlers.reply import Reply
from messages.ids import Command


@dataclass(frozen=True)
class ReviewCommand:
    """One ``/review`` invocation, parsed.

    Attributes:
        command: the slash command as Slack sent it (``/review``).
        name: the subcommand, lower-case (``help`` when none was typed).
        args: the words after the subcommand.
        user_id: who typed it.
        channel_id: where it was typed.
        team_id: the workspace.
        trigger_id: opens a modal within 3 seconds of the command.
    """

    command: str
    name: str
    args: tuple[str, ...]
    user_id: str
    channel_id: str | None
    team_id: str | None
    trigger_id: str | None

    @classmethod
    def parse(cls, payload: Mapping[str, Any]) -> ReviewCommand:
        """Read a slash-command payload (Bolt's ``command`` argument)."""
        words = str(payload.get("text") or "").split()
        return cls(
            command=str(payload.get("command") or Command.REVIEW),
            name=words[0].lower() if words else "help",
            args=tuple(words[1:]),
            user_id=str(payload["user_id"]),
            channel_id=payload.get("channel_id"),
            team_id=payload.get("team_id"),
            trigger_id=payload.get("trigger_id"),
        )

    @property
    def text(self) -> str:
        """Return what was typed after the command, normalised to single spaces."""
        return " ".join((self.name, *self.args))


class Subcommand(Protocol):
    """A ``/review`` subcommand: one workflow step's entry point."""

    def __call__(self, cmd: ReviewCommand, *, reply: Reply, client: WebClient, deps: Deps) -> None:
        """Do the step and answer the person (``reply``) or open a modal (``client``)."""
        ...
