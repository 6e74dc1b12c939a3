"""``/review status REF`` and ``/review list [open|overdue|mine]``: private answers, no details.

Both answer only the person who asked (``reply``: ephemeral, in the command's acknowledgement),
and only about the boards they belong to: a case elsewhere is "not found", which the error
handler says politely.
"""

from __future__ import annotations

from slack_sdk import WebClient

from bot.domain.errors import InvalidInput
from bot.services.queries import CaseFilter, case_status, list_cases
from handlers.context import Deps
from handlers.reply import Reply
from handlers.slash import ReviewCommand
from messages.cards import summarise_votes
from messages.render import render_message

LIST_FILTERS = (CaseFilter.OPEN, CaseFilter.OVERDUE, CaseFilter.MINE)


def handle_status_command(
    cmd: ReviewCommand, *, reply: Reply, client: WebClient, deps: Deps
) -> None:
    """Answer with a case's state, key dates, open deadlines, votes and decision.

    The vote counts per option follow the board's channel visibility, except for the sub-group
    chair and the decision-maker, who see them at any time (the answer is ephemeral).

    Raises:
        InvalidInput: no reference was given.
        NotFound: no such case on the person's boards.
    """
    if not cmd.args:
        raise InvalidInput("Which case? For example `/review status SCR-2026-003`.")
    with deps.uow_factory(read_only=True) as uow:
        status = case_status(cmd.args[0], cmd.user_id, uow=uow, today=deps.clock.today())
    # Private to the asker: the chair and the decision-maker see the counts before close.
    votes = (
        summarise_votes(status.votes, show_counts=status.counts_visible) if status.votes else None
    )
    message = render_message("status", status=status, vote_summary=votes)
    reply(**message, response_type="ephemeral")


def handle_list_command(cmd: ReviewCommand, *, reply: Reply, client: WebClient, deps: Deps) -> None:
    """Answer with the person's boards' cases (open, overdue or mine), overdue first.

    Raises:
        InvalidInput: the filter is not one of open, overdue, mine.
    """
    word = cmd.args[0].lower() if cmd.args else CaseFilter.OPEN.value
    if word not in LIST_FILTERS:
        raise InvalidInput("I can list `open`, `overdue` or `mine`, e.g. `/review list overdue`.")
    with deps.uow_factory(read_only=True) as uow:
        lines = list_cases(cmd.user_id, uow=uow, today=deps.clock.today(), which=CaseFilter(word))
    reply(**render_message("list", lines=lines, which=word), response_type="ephemeral")
