"""A slash command's answer rides in its acknowledgement, not in a second HTTP request.

Slack shows the body of a slash command's acknowledgement to the person as the command's answer
(``{"response_type": "ephemeral", "text": …, "blocks": […]}``), over HTTP and over Socket Mode
alike. casedesk runs with ``process_before_response=True``, so Slack gets the acknowledgement
only when the listener returns anyway: putting the answer in it saves the round trip to the
``response_url`` that ``respond`` makes.

The router hands each subcommand an :class:`AnswerInAck` as its ``reply``. It is called like
Bolt's ``respond``; it keeps the first ephemeral answer for the acknowledgement, and sends any
later one (or one the acknowledgement cannot carry, such as ``replace_original``) by ``respond``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from slack_bolt import Ack, Respond

ACK_EXTRAS = frozenset({"unfurl_links", "unfurl_media"})
"""Fields besides text, blocks, attachments and response_type an acknowledgement can carry."""


class Reply(Protocol):
    """Answer the person who typed the command: Bolt's ``Respond`` or an :class:`AnswerInAck`."""

    def __call__(
        self,
        text: str = "",
        blocks: Sequence[dict[str, Any]] | None = None,
        attachments: Sequence[dict[str, Any]] | None = None,
        response_type: str | None = None,
        **fields: Any,
    ) -> Any:
        """Send ``text`` (and ``blocks``) to the person; ephemeral unless told otherwise."""
        ...


class AnswerInAck:
    """A ``respond`` look-alike that keeps the first ephemeral answer for the acknowledgement.

    Args:
        respond: Bolt's ``respond`` for the command, for any answer after the first.
    """

    def __init__(self, respond: Respond) -> None:
        self._respond = respond
        self.answer: dict[str, Any] | None = None
        self.acknowledged = False

    def __call__(
        self,
        text: str = "",
        blocks: Sequence[dict[str, Any]] | None = None,
        attachments: Sequence[dict[str, Any]] | None = None,
        response_type: str | None = None,
        **fields: Any,
    ) -> Any:
        """Keep the first ephemeral answer; send any other by ``respond`` at once."""
        extras = {k: v for k, v in fields.items() if v is not None}
        keep = (
            self.answer is None
            and not self.acknowledged
            and isinstance(text, str)
            and response_type in (None, "ephemeral")
            and extras.keys() <= ACK_EXTRAS
        )
        if not keep:
            return self._respond(
                text=text,
                blocks=blocks,
                attachments=attachments,
                response_type=response_type,
                **fields,
            )
        self.answer = {"text": text, "response_type": "ephemeral", **extras}
        if blocks:
            self.answer["blocks"] = list(blocks)
        if attachments:
            self.answer["attachments"] = list(attachments)
        return None

    def acknowledge(self, ack: Ack) -> None:
        """Acknowledge the command, once: with the kept answer, or empty when there is none."""
        if self.acknowledged:
            return
        self.acknowledged = True
        if self.answer is None:
            ack()
        else:
            ack(**self.answer)
