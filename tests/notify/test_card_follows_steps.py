"""The case card follows every change to a case's deadlines, whoever made it and however.

Extending a deadline (the modal), marking one done (the reminder's button), pausing and resuming
the case's clocks (``/review pause|resume REF reason``) each owe the card's redraw in their own
transaction (:data:`bot.notify.owed.OWED`); the sender redraws the one card in the board's
channel (``chat.update`` on its ts) from the case as it is then. Signed requests through the
real app, against the fake Slack Web API. Source: PRODUCT.md §Deadlines and reminders (an
extension, a pause and its resumption are shown with the case), §Confidentiality.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from slack_bolt import App

from bot.domain.deadlines import DeadlineStatus
from messages.ids import ActionId
from messages.render import day
from tests.fakes.signing import CHANNEL_ID
from tests.handlers.interactions import (
    BEN,
    CARD_TS,
    SUBJECT,
    click,
    command_answer,
    deadline_rows,
    opened_view,
    refer,
    slash,
    submit,
)
from tests.handlers.test_extend import fields

pytestmark = pytest.mark.usefixtures("no_sdk_sleep")

MEMBERS = sorted(
    ["U0BEN00001", "U0PRI00002", "U0TOM00003", "U0ANA00004", "U0GRA00005", "U0SAM00006"]
)
ON_REFERRAL = date(2026, 4, 2)  # both deadlines of a referral on Mon 2 Mar: 23 working days


@pytest.fixture
def app(make_bolt_app, uow_factory, clock, board) -> App:
    """The real Bolt app on the fake Slack API: what a request owes is sent once it returns."""
    return make_bolt_app(uow_factory=uow_factory, clock=clock)


@pytest.fixture
def ref(app, slack_api, uow_factory, clock) -> str:
    """A referred SCR whose card is in the board's channel (``CARD_TS``); no calls made yet."""
    reference = refer(uow_factory, clock)
    slack_api.reset()
    return reference


def redrawn_card(slack_api) -> dict:
    """The one card redraw the step made: on the case's card, in the board's channel."""
    [update] = [c for c in slack_api.calls_to("chat.update") if c.response.get("ok")]
    assert (update.args["channel"], update.args["ts"]) == (CHANNEL_ID, CARD_TS)
    assert SUBJECT not in json.dumps(update.args)
    return update.args


def deadline_lines(card: dict, labels: list[str]) -> dict[str, str]:
    """The card's deadline lines (the context block under its summary), by deadline label."""
    context = card["blocks"][1]
    assert context["type"] == "context"
    lines = [e["text"] for e in context["elements"]]
    assert len(lines) == len(labels), lines
    return {label: line for label in labels for line in lines if f" {label}: " in line}


def labels(uow_factory) -> list[str]:
    return [d.label for d in deadline_rows(uow_factory)]


def homes_published(slack_api) -> list[str]:
    return sorted(c.args["user_id"] for c in slack_api.calls_to("views.publish"))


def test_extending_a_deadline_in_the_modal_redraws_the_card_with_its_new_due_date(
    app, slack_api, ref, uow_factory
):
    first, second = deadline_rows(uow_factory)
    assert first.due_on == second.due_on == ON_REFERRAL
    new_due = ON_REFERRAL + timedelta(days=28)  # Thu 30 Apr

    click(app, slack_api, ActionId.EXTEND, f"{ref}:{second.id}", BEN)
    submit(app, opened_view(slack_api), fields(second.id, new_due, "Police asked"), BEN)

    assert {d.id: d.due_on for d in deadline_rows(uow_factory)}[second.id] == new_due
    lines = deadline_lines(redrawn_card(slack_api), labels(uow_factory))
    extended, kept = lines[second.label], lines[first.label]
    assert extended.startswith(f":calendar: {second.label}: {day(new_due)}")
    assert extended.endswith(" - 41 working days left")  # Good Friday, Easter Monday skipped
    assert kept == f":calendar: {first.label}: {day(ON_REFERRAL)} - 23 working days left"
    assert homes_published(slack_api) == MEMBERS  # the board's homes show its deadlines too


def test_marking_a_deadline_done_from_its_reminder_redraws_the_card_without_it(
    app, slack_api, ref, uow_factory
):
    first, second = deadline_rows(uow_factory)

    click(app, slack_api, ActionId.MARK_DONE, f"{ref}:{first.id}", BEN)

    statuses = {d.id: d.status for d in deadline_rows(uow_factory)}
    assert statuses == {first.id: DeadlineStatus.DONE, second.id: DeadlineStatus.OPEN}
    assert deadline_lines(redrawn_card(slack_api), [second.label]) == {
        second.label: f":calendar: {second.label}: {day(ON_REFERRAL)} - 23 working days left"
    }
    assert homes_published(slack_api) == MEMBERS


def test_pausing_the_case_redraws_the_card_with_its_deadlines_shown_paused(
    app, slack_api, ref, uow_factory
):
    answer = command_answer(slash(app, slack_api, f"pause {ref} criminal proceedings"))

    assert answer["text"].startswith("Paused ")
    assert {d.status for d in deadline_rows(uow_factory)} == {DeadlineStatus.PAUSED}
    card = redrawn_card(slack_api)
    lines = deadline_lines(card, labels(uow_factory))
    assert len(lines) == 2
    for line in lines.values():  # a stopped clock, not one still counting down
        assert "paused" in line.lower(), line
        assert "working days left" not in line, line
    assert "paused" in card["text"].lower()  # the notification fallback says so too
    assert "criminal proceedings" not in json.dumps(card)  # the reason is not the channel's
    assert homes_published(slack_api) == MEMBERS


def test_resuming_the_case_redraws_the_card_with_its_new_due_dates_counting_again(
    app, slack_api, ref, uow_factory, clock
):
    slash(app, slack_api, f"pause {ref} criminal proceedings")
    clock.advance(timedelta(days=7))  # Mon 9 Mar: five working days paused
    slack_api.reset()

    answer = command_answer(slash(app, slack_api, f"resume {ref} proceedings concluded"))

    assert answer["text"].startswith("Resumed ")
    resumed = deadline_rows(uow_factory)
    assert {(d.due_on, d.status) for d in resumed} == {
        (date(2026, 4, 13), DeadlineStatus.EXTENDED)  # Thu 2 Apr + 5 working days (Easter)
    }
    lines = deadline_lines(redrawn_card(slack_api), labels(uow_factory))
    assert len(lines) == 2
    for label, line in lines.items():  # the same 23 working days left as when paused
        assert line.startswith(f":calendar: {label}: Mon 13 Apr 2026"), line
        assert line.endswith(" - 23 working days left"), line
        assert "paused" not in line.lower(), line
    assert homes_published(slack_api) == MEMBERS
