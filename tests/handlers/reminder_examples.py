"""Example contexts for the reminder, digest and extend templates (used by test_render)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.domain.boards import Role
from bot.domain.deadlines import DeadlineStatus
from bot.domain.limits import MAX_LENGTH
from bot.domain.protocols import Event
from bot.notify.drawn import DigestLine, ReminderView, VoteReminderView
from bot.notify.undelivered import UndeliveredView
from bot.services.views import DeadlineView
from messages.render import channel_link, mention, slack_escape

NASTY = 'She said "stop" & <!channel> <@U123> <https://evil.example|click> \\ end'

_LINES = [
    DigestLine("SCR-2026-001", "Child A", "Rapid review sent", date(2026, 3, 9), 5),
    DigestLine("SCR-2026-002", NASTY, NASTY, date(2026, 2, 27), -1),
]

_DEADLINE = DeadlineView(
    id=7,
    reference="SCR-2026-001",
    pseudonym=NASTY,
    rule_id="rapid-review",
    label=NASTY,
    event=Event.REFERRAL,
    event_date=date(2026, 3, 2),
    due_on=date(2026, 3, 9),
    original_due_on=date(2026, 3, 9),
    owner_role=Role.BUSINESS_MANAGER,
    status=DeadlineStatus.OPEN,
    reason=None,
    source="test",
    reminders=(5, 2, 1, 0),
    working_days_left=5,
    overdue=False,
)

_SECOND = replace(
    _DEADLINE, id=8, rule_id="chair-decision", label=NASTY * 20, due_on=date(2026, 12, 31)
)

_NOTICE = UndeliveredView(
    "recommendation",
    mention("U0GRA00005"),
    "decision-maker",
    False,
    "SCR-2026-001",
    "Child A",
    "user_not_found",
    "",
    None,
)

REMINDER_EXAMPLES = {
    "extend_modal": [
        {
            "deadlines": (_DEADLINE,),
            "chosen": _DEADLINE,
            "metadata": '{"deadline": 7}',
            "limits": MAX_LENGTH,
        },
        {
            "deadlines": (_DEADLINE, _SECOND),
            "chosen": _SECOND,
            "metadata": '{"case": "SCR-2026-001", "board": "surrey", "deadline": 8}',
            "limits": MAX_LENGTH,
        },
    ],
    "reminder_dm": [
        {
            "r": ReminderView(
                7, "SCR-2026-001", "Child A", "Rapid review sent", date(2026, 3, 9), n, k
            )
        }
        for n, k in ((5, "before"), (0, "due_day"), (-2, "overdue"), (-4, "escalation"))
    ]
    + [{"r": ReminderView(8, "SCR-2026-002", NASTY, NASTY * 20, date(2026, 3, 9), 1, "before")}],
    "vote_reminder_dm": [
        {"r": VoteReminderView("SCR-2026-001", "Child A", date(2026, 3, 4), 2)},
        {"r": VoteReminderView("SCR-2026-002", NASTY, date(2026, 3, 4), 0)},
    ],
    "digest": [
        {"board_name": "Surrey", "day": date(2026, 3, 2), "overdue": [], "due_soon": []},
        {"board_name": NASTY, "day": date(2026, 3, 2), "overdue": _LINES[1:], "due_soon": _LINES},
    ],
    "undelivered_notice": [
        {"n": _NOTICE},
        {"n": replace(_NOTICE, to_role="", reference=None, pseudonym=None, what="message")},
        {
            "n": replace(
                _NOTICE,
                what="reminder",
                to_role="",
                pseudonym=NASTY,
                error=NASTY,
                label=NASTY * 20,
                due=date(2026, 3, 9),
            )
        },
        {"n": replace(_NOTICE, what="vote_reminder", to_role="", due=date(2026, 3, 4))},
        {"n": replace(_NOTICE, what="card", to=channel_link("C0CASEREV01"), in_channel=True)},
        {"n": replace(_NOTICE, what="channel_notice", to=channel_link("C0X"), in_channel=True)},
        {"n": replace(_NOTICE, error="not_a_member")},
        {
            "n": replace(
                _NOTICE, what="digest", to=channel_link("C0CASEREV01"), in_channel=True, to_role=""
            )
        },
        {
            "n": replace(
                _NOTICE,
                what="no_owner",
                to=slack_escape(""),
                to_role="the decision-maker",
                pseudonym=NASTY,
                error="no_owner",
                label=NASTY,
                due=date(2026, 3, 9),
            )
        },
    ],
}
