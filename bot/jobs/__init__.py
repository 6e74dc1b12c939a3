"""Scheduled jobs: the reminder sweep and the board channels' daily digest.

A sweep loads the running deadlines that can have a reminder due (those due by
:func:`bot.domain.reminders.reminder_horizon`), asks :func:`bot.domain.reminders.reminder_due`
which slot is due for each, and for each slot:

1. claims (deadline, slot key) in its own short transaction: the store's unique key makes this
   succeed for exactly one sweeper, however many instances run against one database;
2. sends the DM (owners of the rule's role; escalations also the chair), outside any transaction,
   writing each recipient reached to the dispatch's ``delivered_to`` as it goes, so a retry sends
   only to those not yet reached (:mod:`~bot.jobs.delivery`);
3. records the outcome: sent; or failed with a retry time (Slack asked to wait, or was down),
   which a later sweep picks up from ``due_retries``; or failed for good.

A claim carries a lease (``next_attempt_at``), so a sweeper that dies between claim and send
delays the reminder by the lease, never loses it. Source: PRODUCT.md §Deadlines and reminders
("sent once: not twice after a restart, not twice when two instances run against one PostgreSQL
database, and not lost if Slack is down or rate-limits"); §Scale.

Messages carry the reference, pseudonym, rule label, due date and working days left, never a
subject's name (PRODUCT.md §Confidentiality).

The package's modules: :mod:`~bot.jobs.planning` (what is due), :mod:`~bot.jobs.sending` (claim,
retry), :mod:`~bot.jobs.delivery` (send to each recipient once, record),
:mod:`~bot.jobs.vote_deadline` (closing a vote at its deadline), :mod:`~bot.jobs.digest` (the
daily channel digest), :mod:`~bot.jobs.scheduler` (the BackgroundScheduler in ``casedesk run``)
and :mod:`~bot.jobs.views` (view models and each board's settings).
"""

from bot.jobs.digest import daily_digest, run_digests
from bot.jobs.scheduler import run_once, start_scheduler
from bot.jobs.sending import LEASE, sweep
from bot.jobs.views import DigestLine, ReminderView, SweepResult, VoteReminderView
from bot.jobs.vote_deadline import close_at_deadline

__all__ = [
    "LEASE",
    "DigestLine",
    "ReminderView",
    "SweepResult",
    "VoteReminderView",
    "close_at_deadline",
    "daily_digest",
    "run_digests",
    "run_once",
    "sweep",
    "start_scheduler",
]
