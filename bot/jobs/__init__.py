"""Scheduled jobs: the one reminder engine, the daily digests, votes closed at their deadline.

A tick (:func:`~bot.jobs.scheduler.tick`) owes what is due now and wakes the sender; it sends
nothing itself. The sweep (:mod:`~bot.jobs.sweep`) plans the reminder slots due
(:mod:`~bot.jobs.planning`) and owes each to its recipients as outbox rows, closes the votes past
their deadline (:mod:`~bot.jobs.vote_deadline`) and owes the boards' digests
(:mod:`~bot.jobs.digest`). The outbox's unique keys make each owed once however many instances
run; the sender (:mod:`bot.notify.sender`) sends them, retries them, and tells the business
managers of what Slack refuses for good. Source: PRODUCT.md §Deadlines and reminders.

Messages carry the reference, pseudonym, rule label, due date and working days left, never a
subject's name (PRODUCT.md §Confidentiality).
"""

from bot.jobs.digest import owe_digests
from bot.jobs.scheduler import run_once, start_scheduler, tick
from bot.jobs.sweep import SweepResult, sweep
from bot.jobs.vote_deadline import close_at_deadline

__all__ = [
    "SweepResult",
    "close_at_deadline",
    "owe_digests",
    "run_once",
    "start_scheduler",
    "sweep",
    "tick",
]
