"""The one table of what each change owes Slack, written in the change's own transaction.

A use case says what it changed (``uow.changed(outcome)``, :mod:`store.uow`); before the
transaction commits, :func:`owe_changes` looks each change up in :data:`OWED` and writes what it
owes to the outbox, keyed by the audit event the change wrote (``change_id``) with the template
and recipient, so a change owes each message once. Listeners and jobs never say what a step
owes: a new use case adds one line here, and a test (``tests/notify/test_owed_table.py``) checks
that every change that alters the case card or an App Home redraws both.

What each owes (PRODUCT.md §Voting, §The decision, §Deadlines and reminders; channel messages
name the case by reference and pseudonym only, §Confidentiality):

- the case card redrawn after every change to the case (posted first after a referral);
- the App Homes the change alters: the whole board's (a case's state, deadlines or pending
  votes changed for everyone), or the person who acted (their own vote or conflict);
- the DMs and channel notices of the step: the referrer's reference and the business managers'
  notice; the voter's confirmation; the recommendation by name to each decision-maker and
  chair, and the count to the channel; the decision to the channel and what it made due to
  each business manager.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.domain.boards import Role
from bot.notify.kinds import Kind, Owed
from bot.notify.outbox import owe_all
from bot.services.cases import CaseDetailsUpdated, CaseReferred
from bot.services.conflicts import ConflictDeclared
from bot.services.conversion import ReviewConverted
from bot.services.deadlines import (
    DeadlineDone,
    DeadlineExtended,
    DeadlinesPaused,
    DeadlinesResumed,
)
from bot.services.decisions import DecisionRecorded
from bot.services.homes import HomeOpened
from bot.services.information import InformationRequested, InformationReturned
from bot.services.key_dates import KeyDateRecorded
from bot.services.lifecycle import CaseAdvanced
from bot.services.queries import board_member_ids
from bot.services.views import CaseRef
from bot.services.voting import VoteCast, VotingClosed, VotingOpened
from messages.render import mention, render_message
from store.uow import Changed, CommitHooks, UnitOfWork, UowFactory, with_hooks

Owes = Callable[[UnitOfWork, Any], Iterable[Owed]]
"""Given a change (in its transaction), the messages it owes."""

CARD_TEMPLATE, HOME_TEMPLATE = "case_card", "home"


def _case_of(change: Any) -> CaseRef:
    case = getattr(change, "case", None) or change.recommendation.case
    assert isinstance(case, CaseRef) and case.case_id is not None
    return case


def card(uow: UnitOfWork, change: Any) -> list[Owed]:
    """The case card redrawn (drawn when sent; posted in the board's channel if it has none)."""
    case = _case_of(change)
    return [
        Owed(Kind.CARD, CARD_TEMPLATE, case.card_channel or case.board_channel, None, case.case_id)
    ]


def first_card(uow: UnitOfWork, change: CaseReferred) -> list[Owed]:
    """The case card's first post in the board's channel (drawn when sent)."""
    case = change.case
    return [Owed(Kind.POST_CARD, CARD_TEMPLATE, case.board_channel, None, case.case_id)]


def board_homes(uow: UnitOfWork, change: Any) -> list[Owed]:
    """Every active member's App Home: their boards' open cases and what they owe changed."""
    members = board_member_ids(_case_of(change).board_id, uow=uow)
    return homes(members)


def actor_home(uow: UnitOfWork, change: VoteCast | ConflictDeclared) -> list[Owed]:
    """The App Home of the member who voted or declared a conflict (their pending votes)."""
    return homes([change.voter if isinstance(change, VoteCast) else change.member])


def homes(users: Iterable[str]) -> list[Owed]:
    """Each person's App Home redrawn (drawn when sent), once each."""
    return [Owed(Kind.HOME, HOME_TEMPLATE, user) for user in dict.fromkeys(users) if user]


def referral_messages(uow: UnitOfWork, change: CaseReferred) -> list[Owed]:
    """The referrer's reference by DM and each business manager's notice (never the details)."""
    case, case_id = change.case, change.case_id
    ack = render_message("referral_ack", case=case, deadlines=change.deadlines)
    notice = render_message("bm_notice", case=case, referrer=mention(change.referrer))
    owed = [Owed(Kind.DM, "referral_ack", change.referrer, ack, case_id)]
    owed += [Owed(Kind.DM, "bm_notice", u, notice, case_id) for u in change.business_managers]
    return owed


def referral_homes(uow: UnitOfWork, change: CaseReferred) -> list[Owed]:
    """The homes a referral changes: the referrer's and business managers' (open cases).

    When voting opened on referral, every member's: each voter has a vote pending.
    """
    if change.voting_opened:
        return board_homes(uow, change)
    return homes([change.referrer, *change.business_managers])


def vote_confirmation(uow: UnitOfWork, change: VoteCast) -> list[Owed]:
    """The voter's confirmation, shown to them alone where they clicked (a new ballot only)."""
    if change.reply_channel is None:
        return []
    message = render_message(
        "vote_recorded",
        case=change.case,
        recommendation=change.recommendation,
        alternative_type=change.alternative_type,
    )
    message["channel"] = change.reply_channel
    return [Owed(Kind.EPHEMERAL, "vote_recorded", change.voter, message, change.case_id)]


def recommendation_messages(uow: UnitOfWork, change: VotingClosed) -> list[Owed]:
    """The recommendation by name, privately, and the count to the channel.

    Each decision-maker gets it with "Record decision"; each sub-group chair who is not also
    one without; the channel gets the count by reference and pseudonym only.
    """
    rec, case_id = change.recommendation, change.case_id
    chairs = [m.slack_id for m in uow.members.with_role(rec.case.board_id, Role.CHAIR)]
    recipients = [(user, True) for user in rec.decision_makers]
    recipients += [(user, False) for user in chairs if user not in rec.decision_makers]
    owed = [
        Owed(
            Kind.DM,
            "recommendation_dm",
            user,
            render_message("recommendation_dm", rec=rec, can_decide=can_decide),
            case_id,
        )
        for user, can_decide in recipients
    ]
    notice = render_message("voting_closed", case=rec.case, counts=rec.counts)
    owed.append(Owed(Kind.CHANNEL, "voting_closed", rec.case.board_channel, notice, case_id))
    return owed


def decision_messages(uow: UnitOfWork, change: DecisionRecorded) -> list[Owed]:
    """The decision told to the channel, and what it made due to each business manager."""
    case, case_id = change.case, change.case_id
    notice = render_message("decision_notice", case=case, decision=change.decision)
    due = render_message("notifications_due", case=case, deadlines=change.deadlines)
    owed = [Owed(Kind.CHANNEL, "decision_notice", case.board_channel, notice, case_id)]
    owed += [Owed(Kind.DM, "notifications_due", u, due, case_id) for u in change.business_managers]
    return owed


CASE_CHANGED: tuple[Owes, ...] = (card, board_homes)
"""What every change to a case's state, dates or deadlines owes: its card and the board's homes."""

OWED: Mapping[type, tuple[Owes, ...]] = {
    CaseReferred: (first_card, referral_messages, referral_homes),
    VotingOpened: CASE_CHANGED,
    VoteCast: (card, vote_confirmation, actor_home),
    ConflictDeclared: (card, actor_home),
    VotingClosed: (recommendation_messages, *CASE_CHANGED),
    DecisionRecorded: (decision_messages, *CASE_CHANGED),
    DeadlineExtended: CASE_CHANGED,
    DeadlineDone: CASE_CHANGED,
    DeadlinesPaused: CASE_CHANGED,
    DeadlinesResumed: CASE_CHANGED,
    CaseDetailsUpdated: CASE_CHANGED,
    ReviewConverted: CASE_CHANGED,
    CaseAdvanced: CASE_CHANGED,
    KeyDateRecorded: CASE_CHANGED,
    InformationRequested: CASE_CHANGED,
    InformationReturned: CASE_CHANGED,
    HomeOpened: (lambda uow, change: homes([change.user]),),
}
"""Change -> what it owes. One line per change; the only place that says it."""


def owed_by(uow: UnitOfWork, change: Any) -> list[Owed]:
    """Return what ``change`` owes, by the table.

    Raises:
        KeyError: a change the table does not list (a new use case must add its line).
    """
    owes = OWED[type(change)]
    return [item for owe in owes for item in owe(uow, change)]


def owe_changes(uow: UnitOfWork, changes: Sequence[Changed], now: datetime) -> list[int]:
    """Write what each change owes into the outbox, in the changes' transaction.

    Each row is keyed by the audit event of its change, its template and its recipient, so a
    change owes each message once. Returns the new rows' ids.
    """
    ids: list[int] = []
    for changed in changes:
        change = changed.change
        board_id = None if isinstance(change, HomeOpened) else _case_of(change).board_id
        items = owed_by(uow, changed.change)
        ids += owe_all(uow, items, board_id=board_id, now=now, change_id=changed.event_id)
    return ids


def owing(uow_factory: UowFactory, clock: Clock, wake: Callable[[], None]) -> UowFactory:
    """Return ``uow_factory`` whose commits owe what their changes owe, then call ``wake``.

    The one wiring of the table: every use case run through the returned factory owes its
    messages in its own transaction (:func:`owe_changes`) and wakes the sender once committed.
    """
    hooks = CommitHooks(
        before=lambda uow, changes: owe_changes(uow, changes, clock.now()), after=wake
    )
    return with_hooks(uow_factory, hooks)
