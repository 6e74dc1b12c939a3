"""Telling a board's business managers about a message Slack refused for good.

"A failure in Slack's API never loses a vote, decision or reminder" (:mod:`bot.outbox`, from
PRODUCT.md §Deadlines and reminders, a reminder is "not lost if Slack is down or rate-limits", and
§Voting, the recommendation "goes to the decision-maker"). A message Slack will never take (the
account deactivated, ``user_not_found``, a channel archived) is not lost either: it is handed to
a person who can pass it on another way.
That person is the board's business manager, who "sends letters and notifications" (SPEC.md §Who
does what, citing 000 §9, 002 §1.1 and 002 §3.2) and "manages members and roles" (PRODUCT.md
§Users and what each does), so can also fix the board file.

A notice names what could not be delivered (its kind, never its text), the case by reference and
pseudonym, to whom (a mention or a channel link), Slack's error code and what to do; never a
subject's identifying details (PRODUCT.md §Confidentiality). It goes to each active business
manager of the board except the person it failed for.

Each notice is keyed by what failed and whom it tells (``undelivered:outbox:<row>:<manager>``,
``undelivered:reminder:<dispatch>:<recipient>:<manager>``), so a retry or a re-run owes it once.
A notice that itself fails for good is recognised by that prefix and tells nobody: no loop.

A reminder that nobody could be sent, because nobody on the board holds the deadline's owner role
(``What.NO_OWNER``), is told the same way, once per deadline and role
(``undelivered:reminder:no_owner:<deadline>:<role>:<manager>``): a deadline nobody is reminded of
is a deadline missed without anyone knowing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from bot.domain.boards import Role
from messages.render import Mrkdwn, channel_link, mention, render_message, slack_escape
from store.models import OutboxRow
from store.uow import UnitOfWork

NOTICE_PREFIX = "undelivered:"
"""The dedupe-key prefix of every notice: what a failed notice is recognised by."""

CLOSING_PREFIX = "voting_closed:"
"""The dedupe-key prefix of a close's messages (:func:`bot.recommendation.closing_key`)."""


class What(StrEnum):
    """What could not be delivered, as the notice names it."""

    RECOMMENDATION = "recommendation"
    CHANNEL_NOTICE = "channel_notice"
    CARD = "card"
    REMINDER = "reminder"
    VOTE_REMINDER = "vote_reminder"
    MESSAGE = "message"
    DIGEST = "digest"
    NO_OWNER = "no_owner"
    """A reminder nobody could be sent: nobody on the board holds the deadline's owner role."""


NO_OWNER_ERROR = "no_owner"
"""The error a reminder slot fails with when nobody holds its owner role."""

HOLDER = {
    Role.BUSINESS_MANAGER: "a business manager",
    Role.CHAIR: "the sub-group chair",
    Role.MEMBER: "a sub-group member",
    Role.DECISION_MAKER: "the decision-maker",
    Role.ADMIN: "a board admin",
}
"""How a notice names the holder of a role nobody holds ("Nobody on the board is …")."""


@dataclass(frozen=True)
class Undelivered:
    """A message Slack refused for good, as a notice may describe it: never the message's text.

    Attributes:
        key: names the failure (``outbox:12``, ``reminder:7:U0PRI00002``): the notices' keys and
            the warning logged when nobody can be told.
        board_id: the board whose business managers are told.
        case_id: the case it was about (None, or a case no longer there: no reference shown).
        what: what it was.
        recipient: the user or channel ID Slack refused it for.
        error: Slack's error code.
        label: a reminder's deadline label.
        due: a reminder's due date (a vote reminder's: when voting closes).
        role: for ``NO_OWNER``, the owner role nobody holds.
    """

    key: str
    board_id: str
    case_id: int | None
    what: What
    recipient: str
    error: str
    label: str = ""
    due: date | None = None
    role: Role | None = None

    @property
    def in_channel(self) -> bool:
        """Whether it was for a channel (the notice, the card) rather than a person."""
        return self.what in (What.CHANNEL_NOTICE, What.CARD, What.DIGEST)


@dataclass(frozen=True)
class UndeliveredView:
    """What the ``undelivered_notice`` template shows: reference and pseudonym, never a name."""

    what: str
    to: Mrkdwn
    to_role: str
    in_channel: bool
    reference: str | None
    pseudonym: str | None
    error: str
    label: str
    due: date | None


def of_outbox_row(row: OutboxRow, error: str) -> Undelivered | None:
    """Describe an owed message that failed for good from its kind and key; None for a notice."""
    key = row.dedupe_key
    if key.startswith(NOTICE_PREFIX):
        return None
    # bot.outbox's kinds (CARD, POST_CARD, CHANNEL): that module imports this one
    if row.kind in ("card", "post_card"):
        what = What.CARD
    elif row.kind == "channel":
        what = What.CHANNEL_NOTICE
    elif key.startswith(CLOSING_PREFIX) and ":dm:" in key:
        what = What.RECOMMENDATION
    else:
        what = What.MESSAGE
    return Undelivered(f"outbox:{row.id}", row.board_id, row.case_id, what, row.recipient, error)


def notices(uow: UnitOfWork, failure: Undelivered) -> list[tuple[str, str, dict[str, Any]]]:
    """Return the notices ``failure`` owes: ``(manager, dedupe key, message)``, one per manager.

    Empty when the board has no active business manager but the person it failed for.
    """
    managers = [
        m.slack_id
        for m in uow.members.with_role(failure.board_id, Role.BUSINESS_MANAGER)
        if m.slack_id != failure.recipient
    ]
    if not managers:
        return []
    message = render_message("undelivered_notice", n=_view(uow, failure))
    return [(user, f"{NOTICE_PREFIX}{failure.key}:{user}", message) for user in managers]


def _view(uow: UnitOfWork, failure: Undelivered) -> UndeliveredView:
    case = uow.cases.get(failure.case_id) if failure.case_id is not None else None
    return UndeliveredView(
        what=failure.what.value,
        to=_address(failure),
        to_role=(
            HOLDER[failure.role]
            if failure.role is not None
            else _role_of(uow, failure)
            if failure.what is What.RECOMMENDATION
            else ""
        ),
        in_channel=failure.in_channel,
        reference=case.reference if case is not None else None,
        pseudonym=case.pseudonym if case is not None else None,
        error=failure.error,
        label=failure.label,
        due=failure.due,
    )


def _address(failure: Undelivered) -> Mrkdwn:
    """Return a mention or channel link; an ID of neither shape is shown escaped, as text."""
    try:
        if failure.in_channel:
            return channel_link(failure.recipient)
        return mention(failure.recipient)
    except ValueError:
        return slack_escape(failure.recipient)


def _role_of(uow: UnitOfWork, failure: Undelivered) -> str:
    """Return whom a recommendation was for: ``decision-maker``, ``chair``, or "" (neither now)."""
    for role, name in ((Role.DECISION_MAKER, "decision-maker"), (Role.CHAIR, "chair")):
        holders = uow.members.with_role(failure.board_id, role)
        if any(m.slack_id == failure.recipient for m in holders):
            return name
    return ""
