"""The APScheduler ``BackgroundScheduler`` that runs the sweep and digests in ``casedesk run``."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.clock import LONDON, Clock
from bot.jobs.digest import run_digests
from bot.jobs.sending import sweep
from bot.jobs.trouble import JobTrouble
from bot.jobs.views import (
    SweepResult,
    UowFactory,
)
from bot.outbox import deliver
from bot.slack_gateway import SlackGateway

logger = logging.getLogger(__name__)


def run_once(
    *,
    uow_factory: UowFactory,
    gateway: SlackGateway,
    clock: Clock,
    instance_id: str,
    trouble: JobTrouble | None = None,
) -> SweepResult:
    """One scheduler tick: the reminder sweep, the digests, then the owed messages that are due.

    The outbox's retries (:mod:`bot.outbox`) run even when the sweep failed, so a message Slack
    refused at the moment of its step goes out on a later tick. Errors are logged, not raised,
    through ``trouble`` (:mod:`bot.jobs.trouble`: once a minute per job at most; the scheduler
    passes its own).
    """
    trouble = trouble or JobTrouble()
    result = SweepResult()
    try:
        result = sweep(
            uow_factory=uow_factory, gateway=gateway, clock=clock, instance_id=instance_id
        )
        result.digests = run_digests(
            uow_factory=uow_factory, gateway=gateway, clock=clock, instance_id=instance_id
        )
    except Exception as err:  # a tick must never kill the scheduler
        trouble.failed("reminder sweep", err)
    else:
        trouble.succeeded("reminder sweep")
    try:
        delivered = deliver(uow_factory, gateway, now=clock.now(), instance_id=instance_id)
        result.delivered = delivered.sent
    except Exception as err:  # a tick must never kill the scheduler
        trouble.failed("outbox delivery", err)
    else:
        trouble.succeeded("outbox delivery")
    return result


def start_scheduler(
    *,
    uow_factory: UowFactory,
    gateway: SlackGateway,
    clock: Clock,
    instance_id: str,
    sweep_seconds: float,
) -> Any:
    """Start an APScheduler ``BackgroundScheduler`` (Europe/London) running :func:`run_once`.

    Returns:
        The running scheduler; call ``shutdown()`` on it when the process stops.
    """
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="Europe/London")
    scheduler.add_job(
        run_once,
        "interval",
        seconds=sweep_seconds,
        kwargs={
            "uow_factory": uow_factory,
            "gateway": gateway,
            "clock": clock,
            "instance_id": instance_id,
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
