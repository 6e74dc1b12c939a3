"""The messages a referral owes: the case card, the referrer's reference, the managers' notice.

The card is posted in the board's channel, the referrer is sent the reference by DM
(``referral_ack``) and each business manager is told (``bm_notice``). Source: PRODUCT.md §Users
and what each does (the referrer "gets the reference number back"), §Confidentiality (reference
and pseudonym only, never the subject's details).

They are owed in the outbox in the referral's own transaction and sent after it commits
(:mod:`bot.outbox`): a Slack failure (the bot not in the channel, a 500, a departed manager)
delays or drops one message, never the referral or the others, and never makes the referrer
refer again. Each is keyed by the case, so a redelivered submission owes them once.
"""

from __future__ import annotations

from datetime import datetime

from bot.outbox import DM, POST_CARD, owe
from bot.services.cases import CaseReferred
from messages.render import mention, render_message
from store.uow import UnitOfWork

REFERRED_PREFIX = "referred:"
"""The dedupe-key prefix of a referral's messages: ``referred:<case id>:<which>``."""


def owe_referral_messages(uow: UnitOfWork, referred: CaseReferred, now: datetime) -> list[int]:
    """Owe the referral's messages in its transaction: the card post, the DMs.

    The card is drawn from the case when it is sent; the DMs are rendered now.

    Returns:
        The ids of the rows written (none for messages this case already owed).
    """
    case = referred.case
    prefix = f"{REFERRED_PREFIX}{referred.case_id}"
    where = {"board_id": case.board_id, "case_id": referred.case_id, "now": now}
    ack = render_message("referral_ack", case=case, deadlines=referred.deadlines)
    notice = render_message("bm_notice", case=case, referrer=mention(referred.referrer))
    owed = [
        owe(uow, key=f"{prefix}:card", kind=POST_CARD, recipient=case.board_channel, **where),
        owe(uow, key=f"{prefix}:ack", kind=DM, recipient=referred.referrer, message=ack, **where),
    ]
    owed += [
        owe(uow, key=f"{prefix}:bm:{user}", kind=DM, recipient=user, message=notice, **where)
        for user in referred.business_managers
    ]
    return [row_id for row_id in owed if row_id is not None]
