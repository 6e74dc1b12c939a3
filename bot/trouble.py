"""A scheduled job's failures, logged once a minute at most, and its recovery, logged once.

The scheduler runs its jobs every ``CASEDESK_SWEEP_SECONDS`` and a tick never raises, so while
the database is down every tick fails the same way. :class:`JobTrouble` keeps that to one line
per failing job per minute: the first failure is logged at once, later ones are counted and
summed up in one line when a minute has passed since the last, and the first success after a
failure logs ``job 'X' recovered``. A database outage (:func:`store.outage.is_outage`) is a
warning with the driver's exception class and a short reason, never a traceback; any other
error is logged with its traceback (exception messages withheld by :mod:`bot.logs`), so at most
once a minute too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from store.outage import describe_error, is_outage

logger = logging.getLogger(__name__)

EVERY_SECONDS = 60.0
"""The least time between two lines about one failing job."""


@dataclass
class _Failing:
    """One job's current run of failures."""

    since: float
    logged_at: float
    failures: int = 1
    unlogged: int = 0


class JobTrouble:
    """Log each job's failures at most once a minute, and its recovery once.

    One instance per scheduler, shared by its ticks, so the minute spans ticks.

    Args:
        monotonic: the clock measuring the minute (``time.monotonic``; a fake in tests).
        every: the least seconds between two lines about one job.
        log: where the lines go.
    """

    def __init__(
        self,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        every: float = EVERY_SECONDS,
        log: logging.Logger = logger,
    ) -> None:
        self._monotonic = monotonic
        self._every = every
        self._log = log
        self._failing: dict[str, _Failing] = {}

    def failed(self, job: str, error: BaseException) -> None:
        """Note that ``job`` failed with ``error``; log it unless it was logged within a minute.

        Args:
            job: the job's name, as the log shows it (``reminder sweep``).
            error: what it raised.
        """
        now = self._monotonic()
        run = self._failing.get(job)
        if run is None:
            self._failing[job] = _Failing(since=now, logged_at=now)
            self._report(job, error, "failed")
            return
        run.failures += 1
        if now - run.logged_at < self._every:
            run.unlogged += 1
            return
        since = f"still failing ({run.unlogged + 1} failed runs since the last line)"
        run.logged_at, run.unlogged = now, 0
        self._report(job, error, since)

    def succeeded(self, job: str) -> None:
        """Note that ``job`` ran without error; log its recovery if it had been failing."""
        run = self._failing.pop(job, None)
        if run is not None:
            self._log.info(
                "job %r recovered after %d failed run(s) over %.0f s",
                job,
                run.failures,
                self._monotonic() - run.since,
            )

    def _report(self, job: str, error: BaseException, what: str) -> None:
        if is_outage(error):
            self._log.warning(
                "job %r %s: cannot reach the database (%s)", job, what, describe_error(error)
            )
        else:
            self._log.error("job %r %s: %s", job, what, describe_error(error), exc_info=error)
