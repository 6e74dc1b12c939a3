"""Telling a board's business managers about a message Slack refused for good.

"A failure in Slack's API never loses a vote, decision or reminder" (:mod:`bot.notify`, from
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

Each notice is an outbox row keyed by the row that failed and the manager it tells (``about_id``,
``recipient``), so a retry or a re-run owes it once. A notice that itself fails for good is
recognised by its template and tells nobody: no loop; nor does a home or an ephemeral reply,
which the person sees afresh when they next look.

A reminder that nobody could be sent, because nobody on the board holds the deadline's owner role
(``What.NO_OWNER``), is told the same way, once per deadline and role (keyed by the deadline and
the slot ``no_owner:<role>``): a deadline nobody is reminded of is a deadline missed without
anyone knowing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.domain.boards import Role
from bot.notify.kinds import Kind, Owed
from messages.render import Mrkdwn, channel_link, mention, render_message, slack_escape
from store.models import OutboxRow
from store.uow import UnitOfWork

NOTICE = "undelivered_notice"
"""The template of every notice: what a failed notice is recognised by."""

WHAT_BY_TEMPLATE = {
    "case_card": "card",
    "recommendation_dm": "recommendation",
    "voting_closed": "channel_notice",
    "decision_notice": "channel_notice",
    "reminder_dm": "reminder",
    "vote_reminder_dm": "vote_reminder",
    "digest": "digest",
}
"""What a notice calls a failed row, by its template; any other is "a message"."""

UNTOLD = frozenset({NOTICE, "home", "vote_recorded"})
"""Templates whose failure tells nobody: a notice (no loop), a home and an ephemeral reply."""


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
        key: names the failure (``outbox:12``): the warning logged when nobody can be told.
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


def of_row(uow: UnitOfWork, row: OutboxRow, error: str) -> Undelivered | None:
    """Describe an owed row that failed for good; None for one whose failure tells nobody.

    A reminder is described by its deadline's label and due date (never its text).
    """
    if row.template in UNTOLD:
        return None
    what = What(WHAT_BY_TEMPLATE.get(row.template, What.MESSAGE))
    label, due = "", None
    deadline = uow.deadlines.get(row.deadline_id) if row.deadline_id is not None else None
    if deadline is not None:
        label = deadline.label if what is What.REMINDER else ""
        due = deadline.due_on
    key = f"outbox:{row.id}"
    return Undelivered(key, row.board_id, row.case_id, what, row.recipient, error, label, due)


def notices(uow: UnitOfWork, failure: Undelivered) -> list[Owed]:
    """Return the notices ``failure`` owes, one DM per manager.

    Empty when the board has no active business manager but the person it failed for.
    """
    managers = [
        m.slack_id
        for m in uow.members.with_role(failure.board_id, Role.BUSINESS_MANAGER)
        if m.slack_id != failure.recipient
    ]
    if not managers:
        return []
    message = render_message(NOTICE, n=_view(uow, failure))
    return [Owed(Kind.DM, NOTICE, user, message, failure.case_id) for user in managers]


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
