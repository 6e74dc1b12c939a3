"""``/review status`` and ``/review list``: private answers about the person's boards only."""

from __future__ import annotations

import json
from datetime import timedelta

from messages.ids import ActionId, BlockId
from tests.handlers.interactions import (
    ANA,
    GRACE,
    PRIYA,
    TOM,
    click,
    command_answer,
    opened_view,
    slash,
    submit,
)


def ask(app, slack_api, text: str, user: str = TOM) -> dict:
    reply = command_answer(slash(app, slack_api, text, user))
    assert reply["response_type"] == "ephemeral"
    assert slack_api.calls_to("response_url") == []  # answered in the acknowledgement only
    return reply


def test_status_shows_state_key_dates_and_every_open_deadline_with_working_days_left(
    app, slack_api, ref
):
    reply = ask(app, slack_api, f"status {ref.lower()}")
    blocks = reply["blocks"]
    assert blocks[0]["text"]["text"] == (
        f"*{ref}* · Child A\nSerious Case Review · referred · "
        "Surrey Safeguarding Children Partnership"
    )
    assert "Referral: Mon 2 Mar 2026" in json.dumps(blocks)
    deadlines = [b["text"]["text"] for b in blocks if b["type"] == "section"][2:]
    assert deadlines and all("working days left" in d for d in deadlines)
    assert reply["text"].startswith(f"{ref} (Child A): ")


def test_an_overdue_deadline_is_marked_overdue_in_status(app, slack_api, ref, clock):
    clock.advance(timedelta(days=120))
    reply = ask(app, slack_api, f"status {ref}")
    assert ":warning: *OVERDUE*" in json.dumps(reply["blocks"])
    assert "overdue by" in json.dumps(reply["blocks"])
    assert "overdue." in reply["text"]


def test_status_shows_the_vote_turnout_once_voting_opens(app, slack_api, ref):
    click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)
    reply = ask(app, slack_api, f"status {ref}")
    assert "0 of " in json.dumps(reply["blocks"])
    assert "voted" in json.dumps(reply["blocks"])


def test_the_chair_and_the_decision_maker_see_the_counts_while_the_channel_may_not(
    app, slack_api, ref
):
    click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)
    click(app, slack_api, ActionId.VOTE_NFA, ref, TOM)
    submit(app, opened_view(slack_api), {BlockId.RATIONALE: {"value": "Not met."}}, TOM)

    def votes_line(user: str) -> str:
        blocks = ask(app, slack_api, f"status {ref}", user=user)["blocks"]
        [line] = [
            e["text"]
            for b in blocks
            if b["type"] == "context"
            for e in b["elements"]
            if ":ballot_box_with_ballot:" in e["text"]
        ]
        return line

    counts = ":ballot_box_with_ballot: No further action 1 (1 of 4 voted)."
    assert votes_line(PRIYA) == counts  # the sub-group chair (Surrey hides counts until close)
    assert votes_line(GRACE) == counts  # the decision-maker
    hidden = ":ballot_box_with_ballot: 1 of 4 voted; the counts are shown when voting closes."
    assert votes_line(ANA) == hidden  # a member sees what the channel sees
    assert votes_line(TOM) == hidden + " You voted: no further action."


def test_status_of_an_unknown_reference_says_so_politely(app, slack_api, ref):
    reply = ask(app, slack_api, "status SCR-2026-999")
    assert reply["text"].startswith("I can't find case SCR-2026-999 on any board you belong to.")


def test_status_of_a_case_on_another_board_is_not_found_for_a_non_member(app, slack_api, ref):
    reply = ask(app, slack_api, f"status {ref}", user="U0LIN00007")  # Stockport's chair
    assert reply["text"].startswith(f"I can't find case {ref}")
    assert "Child A" not in json.dumps(reply)


def test_status_without_a_reference_asks_which_case(app, slack_api, ref):
    reply = ask(app, slack_api, "status")
    assert reply["text"].startswith("Which case? For example `/review status SCR-2026-003`.")


def test_list_shows_open_cases_with_their_next_deadline(app, slack_api, ref):
    reply = ask(app, slack_api, "list")
    sections = [b["text"]["text"] for b in reply["blocks"] if b["type"] == "section"]
    assert sections[0] == "*Open cases* (1)"
    assert sections[1].startswith(f"*{ref}* · Child A · referred\nNext: ")
    assert reply["text"] == f"Open cases: {ref} (Child A)."


def test_list_overdue_is_empty_until_a_deadline_passes(app, slack_api, ref, clock):
    assert ask(app, slack_api, "list overdue")["text"] == "Overdue cases: none."
    clock.advance(timedelta(days=120))
    reply = ask(app, slack_api, "list overdue")
    assert reply["text"] == f"Overdue cases: {ref} (Child A)."
    assert reply["blocks"][1]["text"]["text"].startswith(":warning: ")


def test_list_with_an_unknown_filter_names_the_ones_it_knows(app, slack_api, ref):
    reply = ask(app, slack_api, "list everything")
    assert reply["text"].startswith("I can list `open`, `overdue` or `mine`")


def test_a_person_on_no_board_sees_an_empty_list(app, slack_api, ref):
    assert ask(app, slack_api, "list", user="U0NOBODY01")["text"] == "Open cases: none."


def test_list_mine_shows_the_cases_a_person_referred_and_not_the_others(app, slack_api, ref):
    assert ask(app, slack_api, "list mine", user="U0BEN00001")["text"] == (
        f"Your cases: {ref} (Child A)."
    )
    assert ask(app, slack_api, "list mine")["text"].endswith("none.")
