"""The APScheduler ``BackgroundScheduler`` that runs the sweep in ``casedesk run``."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.clock import LONDON, Clock
from bot.jobs.sweep import SweepResult, sweep
from bot.notify.sender import Sender
from bot.trouble import JobTrouble
from store.uow import UowFactory

logger = logging.getLogger(__name__)


def tick(
    *,
    uow_factory: UowFactory,
    sender: Sender,
    clock: Clock,
    trouble: JobTrouble | None = None,
) -> SweepResult:
    """One scheduler tick: owe what is due (reminders, digests, closes), then wake the sender.

    Errors are logged, not raised: a tick must never kill the scheduler. They are logged through
    ``trouble`` (:mod:`bot.trouble`: once a minute per job at most, a database outage
    without a traceback; the scheduler passes its own). The sender is woken even when the sweep
    failed, so what is owed already goes out.
    """
    trouble = trouble or JobTrouble()
    result = SweepResult()
    try:
        result = sweep(uow_factory=uow_factory, clock=clock)
    except Exception as err:  # a tick must never kill the scheduler
        trouble.failed("reminder sweep", err)
    else:
        trouble.succeeded("reminder sweep")
    sender.wake()
    return result


def run_once(
    *,
    uow_factory: UowFactory,
    sender: Sender,
    clock: Clock,
    trouble: JobTrouble | None = None,
) -> SweepResult:
    """A tick whose sending happens here, on this thread: what a test or a one-off run wants."""
    trouble = trouble or JobTrouble()
    result = tick(uow_factory=uow_factory, sender=sender, clock=clock, trouble=trouble)
    try:
        done = sender.drain()
    except Exception as err:  # as tick
        trouble.failed("outbox delivery", err)
        return result
    trouble.succeeded("outbox delivery")
    result.sent, result.deferred, result.failed = done.sent, done.deferred, done.failed
    return result


def start_scheduler(
    *, uow_factory: UowFactory, sender: Sender, clock: Clock, sweep_seconds: float
) -> Any:
    """Start an APScheduler ``BackgroundScheduler`` (Europe/London) running :func:`tick`.

    Returns:
        The running scheduler; call ``shutdown()`` on it when the process stops.
    """
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="Europe/London")
    scheduler.add_job(
        tick,
        "interval",
        seconds=sweep_seconds,
        kwargs={
            "uow_factory": uow_factory,
            "sender": sender,
            "clock": clock,
            "trouble": JobTrouble(),
        },
        id="casedesk-sweep",
        max_instances=1,
        coalesce=True,
        # The first tick at once, on the scheduler's own wall clock: the injected clock is for
        # the rules and may be set elsewhere in time (a past start makes APScheduler walk every
        # missed interval since then).
        next_run_time=datetime.now(LONDON),
    )
    scheduler.start()
    return scheduler
