"""Every rule of every shipped preset: its due date for a concrete event, and its source.

The rows, each expected due date counted by hand, are in ``tests/domain/preset_due_dates.py``;
their test ids name the seed (000-004) and its section, so a failure points at the text to re-read.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.boards import ReviewType
from bot.domain.calendar import WorkingCalendar
from bot.domain.preset_files import load_protocol, preset_names
from bot.domain.protocols import Event
from tests.domain.preset_due_dates import ENG, GUIDANCE, RULES, SEEDS


@pytest.mark.parametrize(("preset", "rule_id", "event", "on", "due", "section", "nation"), RULES)
def test_preset_rule_falls_due_on_the_hand_counted_date(
    preset, rule_id, event, on, due, section, nation
):
    protocol = load_protocol(preset)
    rule = protocol.rule(rule_id)
    assert rule.event is event
    assert rule.due(on, WorkingCalendar(nation)) == due


@pytest.mark.parametrize(("preset", "rule_id", "event", "on", "due", "section", "nation"), RULES)
def test_preset_rule_cites_its_seed_file_and_section(
    preset, rule_id, event, on, due, section, nation
):
    source = load_protocol(preset).rule(rule_id).source
    expected = SEEDS.get(preset) or GUIDANCE[preset]
    assert expected in source
    assert section in source


@pytest.mark.parametrize("preset", sorted(SEEDS) + sorted(GUIDANCE))
def test_every_rule_of_the_preset_has_a_hand_counted_row(preset):
    tested = {row.values[1] for row in RULES if row.values[0] == preset}
    assert tested == {r.id for r in load_protocol(preset).rules}


def test_the_tables_cover_every_shipped_preset():
    assert sorted([*SEEDS, *GUIDANCE]) == preset_names()


@pytest.mark.parametrize("preset", sorted(SEEDS))
def test_seed_preset_names_its_seed_as_the_protocol_source(preset):
    assert load_protocol(preset).source == SEEDS[preset]


@pytest.mark.parametrize("preset", sorted(SEEDS) + sorted(GUIDANCE))
def test_a_preset_quotes_or_cites_for_every_rule_and_explains_every_alternative(preset):
    for rule in load_protocol(preset).rules:
        assert len(rule.source) > 40, rule.id
        if rule.alternative_events:
            assert rule.note, f"{rule.id} offers other readings without saying why"


def test_stockport_decision_counts_from_the_recommendation_and_may_count_from_notification():
    rule = load_protocol("stockport").rule("independent-chair-decision")
    assert rule.event is Event.RECOMMENDATION
    assert rule.alternative_events == (Event.NOTIFICATION,)
    assert "20 working days" in rule.note


def test_stockport_board_reading_from_the_notification_moves_the_decision_date():
    protocol = load_protocol("stockport").with_events(
        {"independent-chair-decision": "notification"}
    )
    events = {Event.NOTIFICATION: date(2026, 3, 2), Event.RECOMMENDATION: date(2026, 4, 1)}
    due = {d.rule.id: d.due for d in protocol.deadlines(events, WorkingCalendar(ENG))}
    assert due["independent-chair-decision"] == date(2026, 3, 23)  # 15 working days from 2 March
    assert due["sub-group-meets"] == date(2026, 3, 30)


def test_surrey_acceptance_national_bodies_due_30_december_2026():
    dues = load_protocol("surrey").deadlines(
        {Event.DECISION: date(2026, 12, 21)}, WorkingCalendar(ENG)
    )
    assert [(d.rule.id, d.due) for d in dues] == [("national-bodies-informed", date(2026, 12, 30))]


def test_oxfordshire_marks_every_rule_as_statutory_or_local_good_practice():
    for rule in load_protocol("oxfordshire").rules:
        assert rule.note.startswith(("Local good practice default", "Statutory")), rule.id
        if rule.note.startswith("Statutory"):
            assert "Working Together to Safeguard Children 2015" in rule.source, rule.id


def test_rapid_review_rules_apply_only_to_the_review_types_that_have_one():
    protocol = load_protocol("england-children-2023")
    events = {Event.AWARE: date(2026, 12, 21)}
    calendar = WorkingCalendar(ENG)
    assert {d.rule.id for d in protocol.deadlines(events, calendar, ReviewType.RAPID_REVIEW)} == {
        "national-panel-notified",
        "rapid-review-to-panel",
    }
    assert {d.rule.id for d in protocol.deadlines(events, calendar, ReviewType.SAR)} == {
        "national-panel-notified",
    }
