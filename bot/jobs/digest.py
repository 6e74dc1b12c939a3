"""Each board's daily channel digest, owed once per working day; drawn when it is sent.

Owed as an outbox row keyed (board, day), so it is posted once per working day however many
instances run; the sender draws it (:func:`bot.notify.drawn.draw_digest`) from the deadlines as
they are then, by reference and pseudonym only, and settles it unsent if its day is over before
Slack took it. A post Slack refuses for good (the channel archived, the bot removed from it) is
told to the business managers like any owed row. Source: PRODUCT.md §Deadlines and reminders
("a daily digest in the board channel at a board-set time, Europe/London, on working days only").
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.reminders import digest_due, local_time
from bot.notify.drawn import DIGEST_TEMPLATE
from bot.notify.kinds import Kind
from bot.services.reminding import board_settings
from store.uow import UowFactory


def owe_digests(uow_factory: UowFactory, now: datetime) -> int:
    """Owe every active board's digest that is due now and not yet owed; return how many."""
    today = local_time(now).date()
    owed = 0
    with uow_factory() as uow:
        for row in uow.boards.all():
            if not row.active:
                continue
            board = board_settings(row)
            if not digest_due(now, board.calendar, board.digest_time, None, until=board.hours.end):
                continue
            if uow.outbox.digest_owed(board.id, today):
                continue
            row_id = uow.outbox.owe(
                now=now,
                board_id=board.id,
                kind=Kind.DIGEST,
                template=DIGEST_TEMPLATE,
                recipient=board.channel,
                digest_on=today,
            )
            owed += row_id is not None
        uow.commit()
    return owed
