"""The one sender: a loop that sends every owed row, woken the moment a commit owes one.

A listener answers Slack as soon as its step has committed (its rows owed in the same
transaction); it never waits for Slack. The commit wakes the sender (:meth:`Sender.wake`), which
sends what is due on its own thread through the process's one gateway: one per-channel pacing,
one retry policy, one "refused for good" path (:mod:`bot.notify.delivery`). Between wakes it
sleeps until the earliest retry falls due, or :data:`IDLE_SECONDS` at most, so a row another
process owed, or one whose retry time has come, is never left waiting for long.

:meth:`Sender.drain` sends everything due now on the calling thread: the tests' way to see what a
step sent, and the CLI's when it has no loop running.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from bot.clock import Clock
from bot.notify.delivery import Delivered, deliver_due
from bot.notify.outbox import this_instance
from bot.slack.gateway import SlackGateway
from bot.trouble import JobTrouble
from store.uow import UowFactory

logger = logging.getLogger(__name__)

IDLE_SECONDS = 30.0
"""The longest the loop sleeps without being woken."""

MIN_WAIT_SECONDS = 0.05
"""The shortest sleep between passes while rows are due again soon (a busy channel's spacing)."""

JOB = "outbox delivery"
"""The loop's name in the log."""

MAX_PASSES = 50
"""Passes one drain makes at most before yielding (each sends up to ``batch`` rows)."""


class Sender:
    """Sends the outbox: one per process.

    Args:
        uow_factory: opens units of work (without commit hooks: sending owes nothing new,
            except a notice, which the pass itself sends).
        gateway: the process's one gateway.
        clock: the time rows fall due by.
        instance_id: names this process in the rows it leases.
        batch: rows read per pass.
        trouble: logs the loop's failing passes (once a minute at most; a database outage
            without a traceback) and its recovery (:class:`bot.trouble.JobTrouble`).
    """

    def __init__(
        self,
        uow_factory: UowFactory,
        gateway: SlackGateway,
        clock: Clock,
        *,
        instance_id: str | None = None,
        batch: int = 100,
        trouble: JobTrouble | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self.gateway = gateway
        self._clock = clock
        self._instance = instance_id or this_instance()
        self._batch = batch
        self._trouble = trouble or JobTrouble()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the loop runs (else whoever owes rows sends them with :meth:`drain`)."""
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Ask the loop to send what is due now (called after a commit that owed rows)."""
        self._wake.set()

    def drain_if_woken(self) -> Delivered | None:
        """Send what is due if anything was owed since the last drain (no loop running)."""
        if not self._wake.is_set():
            return None
        self._wake.clear()
        return self.drain()

    def drain(self) -> Delivered:
        """Send every row due now, on this thread; return what was done."""
        total = Delivered()
        for _ in range(MAX_PASSES):
            done = deliver_due(
                self._uow_factory,
                self.gateway,
                now=self._clock.now(),
                instance_id=self._instance,
                limit=self._batch,
            )
            _add(total, done)
            if done.sent + done.skipped + done.failed == 0 or done.deferred and not done.sent:
                break
        return total

    def start(self) -> None:
        """Run the loop on a daemon thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="casedesk-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the loop after the message it is sending, waiting ``timeout`` seconds at most."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.drain()
                wait = self._next_wait()
            except Exception as exc:  # noqa: BLE001 - the loop must outlive any one failure
                self._trouble.failed(JOB, exc)
                wait = IDLE_SECONDS
            else:
                self._trouble.succeeded(JOB)
            self._wake.wait(wait)

    def _next_wait(self) -> float:
        """Return the seconds until the earliest owed row falls due (at most IDLE_SECONDS)."""
        with self._uow_factory(read_only=True) as uow:
            due: datetime | None = uow.outbox.next_due()
        if due is None:
            return IDLE_SECONDS
        seconds = (due - self._clock.now()).total_seconds()
        return min(IDLE_SECONDS, max(MIN_WAIT_SECONDS, seconds))


def _add(total: Delivered, done: Delivered) -> None:
    total.sent += done.sent
    total.deferred += done.deferred
    total.failed += done.failed
    total.skipped += done.skipped
    total.sent_kinds += done.sent_kinds
