"""The protocol loader: valid files load, every broken file names its file, line, rule and field."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.boards import ReviewType, Role
from bot.domain.calendar import Nation, WorkingCalendar
from bot.domain.errors import InvalidInput, ProtocolError
from bot.domain.preset_files import load_protocol, parse_protocol, preset_names
from bot.domain.protocols import Direction, Event, Rule, Unit

VALID = """\
[protocol]
name = "test-board"
title = "Test board"
source = "000_cd2220454c4486c5.txt"

[[rules]]
id = "notify"
label = "National bodies told"
event = "decision"
amount = 5
unit = "working_days"
direction = "after"
owner = "business_manager"
source = "000 §1"

[[rules]]
id = "complete"
label = "Review completed"
event = "initiation"
amount = 6
unit = "months"
direction = "after"
owner = "chair"
applies_to = ["scr"]
alternative_events = ["decision"]
source = "000 §2"
"""
# Line numbers in VALID (1-based): the first rule's header is line 6 (amount 10, owner 13,
# source 14); the second's is line 16 (id 17, label 18, event 19, amount 20, unit 21, owner 23,
# applies_to 24, alternative_events 25).
PATH = "boards/test-board.toml"
ENGLAND = WorkingCalendar(Nation.ENGLAND)


def broken(old: str, new: str, count: int = 1) -> str:
    assert old in VALID, old
    return VALID.replace(old, new, count)


def load_error(text: str) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        parse_protocol(text, PATH)
    return info.value


def test_a_valid_file_loads_into_rules():
    protocol = parse_protocol(VALID, PATH)
    assert protocol.name == "test-board"
    assert [r.id for r in protocol.rules] == ["notify", "complete"]
    notify = protocol.rule("notify")
    assert (notify.event, notify.amount, notify.unit, notify.direction, notify.owner) == (
        Event.DECISION,
        5,
        Unit.WORKING_DAYS,
        Direction.AFTER,
        Role.BUSINESS_MANAGER,
    )
    assert notify.reminders == (5, 2, 1, 0)
    assert protocol.rule("complete").applies_to == frozenset({ReviewType.SCR})
    assert protocol.rule("complete").alternative_events == (Event.DECISION,)


@pytest.mark.parametrize(
    ("text", "line", "rule", "field", "words"),
    [
        pytest.param(
            broken('unit = "months"', 'unit = "fortnights"'),
            21,
            "complete",
            "unit",
            "'fortnights' is not one of: working_days, calendar_days, weeks, months",
            id="bad-unit",
        ),
        pytest.param(
            broken('owner = "chair"\n', ""),
            16,
            "complete",
            "owner",
            "required field is missing",
            id="missing-field",
        ),
        pytest.param(
            broken('owner = "chair"', 'owner = "chair"\nownr = "chair"'),
            24,
            "complete",
            "ownr",
            "unknown field",
            id="unknown-field",
        ),
        pytest.param(
            broken("amount = 5", "amount = five"),
            10,
            "notify",
            "amount",
            "not valid TOML",
            id="bad-toml",
        ),
        pytest.param(
            broken('id = "complete"', 'id = "notify"'),
            17,
            "notify",
            "id",
            "duplicate rule id",
            id="duplicate-id",
        ),
        pytest.param(
            broken('event = "initiation"', 'event = "birthday"'),
            19,
            "complete",
            "event",
            "'birthday' is not one of",
            id="bad-event",
        ),
        pytest.param(
            broken('owner = "business_manager"', 'owner = "mayor"'),
            13,
            "notify",
            "owner",
            "'mayor' is not one of",
            id="bad-owner",
        ),
        pytest.param(
            broken("amount = 5", "amount = -5"),
            10,
            "notify",
            "amount",
            "whole number",
            id="negative-amount",
        ),
        pytest.param(
            broken('applies_to = ["scr"]', 'applies_to = ["inquest"]'),
            24,
            "complete",
            "applies_to",
            "'inquest' is not one of",
            id="bad-review-type",
        ),
        pytest.param(
            broken('alternative_events = ["decision"]', 'alternative_events = ["initiation"]'),
            25,
            "complete",
            "alternative_events",
            "other events",
            id="alternative-is-the-event",
        ),
        pytest.param(
            broken('id = "complete"', 'id = "Complete Review"'),
            17,
            "Complete Review",
            "id",
            "lower-case",
            id="bad-id",
        ),
        pytest.param(
            broken("amount = 6", 'amount = "six"'),
            20,
            "complete",
            "amount",
            "whole number",
            id="amount-as-text",
        ),
        pytest.param(
            broken('source = "000 §1"\n', 'source = "000 §1"\nreminders = [5, "x"]\n'),
            15,
            "notify",
            "reminders",
            "whole numbers",
            id="bad-reminders",
        ),
    ],
)
def test_a_broken_rule_names_file_line_rule_and_field(text, line, rule, field, words):
    err = load_error(text)
    assert (err.path, err.line, err.rule, err.field) == (PATH, line, rule, field)
    message = str(err)
    assert message.startswith(f"{PATH}:{line}, rule {rule!r}, field {field!r}: ")
    assert words in message
    assert "\n" not in message


def test_an_unterminated_string_is_reported_with_its_line():
    err = load_error(broken('label = "Review completed"', 'label = "Review completed'))
    assert (err.line, err.rule, err.field) == (18, "complete", "label")
    assert f"{PATH}:18" in str(err)


def test_an_unknown_protocol_field_is_refused():
    err = load_error(broken('title = "Test board"', 'title = "Test board"\ntitel = "x"'))
    assert (err.line, err.field) == (4, "protocol.titel")


def test_a_missing_protocol_table_is_refused():
    err = load_error(VALID.split("[[rules]]", 1)[1].join(["[[rules]]", ""]))
    assert err.field == "protocol"
    assert PATH in str(err)


def test_a_protocol_without_rules_is_refused():
    err = load_error(VALID.split("[[rules]]", 1)[0])
    assert err.field == "rules"


def test_a_protocol_header_with_a_missing_title_is_refused():
    err = load_error(broken('title = "Test board"\n', ""))
    assert err.field == "protocol.title"


def test_a_spaced_rules_header_still_gets_line_numbers():
    err = load_error(
        broken('[[rules]]\nid = "complete"', '[[ rules ]]  # second\nid = "x"').replace(
            'unit = "months"', 'unit = "moons"'
        )
    )
    assert (err.line, err.rule) == (21, "x")


def test_reminders_are_kept_latest_first_without_repeats():
    text = broken('source = "000 §1"\n', 'source = "000 §1"\nreminders = [0, 5, 1, 5]\n')
    assert parse_protocol(text, PATH).rule("notify").reminders == (5, 1, 0)


def test_an_unknown_preset_name_lists_the_presets():
    with pytest.raises(InvalidInput, match="presets are: bath-ne-somerset") as info:
        load_protocol("narnia")
    assert not isinstance(info.value, ProtocolError)


def test_a_missing_preset_file_names_the_file():
    with pytest.raises(ProtocolError, match="nowhere.toml: cannot read the file"):
        load_protocol("nowhere.toml")


def test_a_board_can_load_its_own_preset_file(tmp_path):
    path = tmp_path / "own.toml"
    path.write_text(VALID, encoding="utf-8")
    protocol = load_protocol(path)
    assert protocol.path == str(path)
    assert len(protocol.rules) == 2


def test_a_shipped_preset_is_parsed_once_a_boards_own_file_every_time(tmp_path):
    assert load_protocol("surrey") is load_protocol("surrey")  # frozen, shared
    path = tmp_path / "own.toml"
    path.write_text(VALID, encoding="utf-8")
    first = load_protocol(path)
    path.write_text(VALID.replace('title = "Test board"', 'title = "Edited"'), encoding="utf-8")
    assert (first.title, load_protocol(path).title) == ("Test board", "Edited")


def test_the_eight_presets_ship_with_casedesk():
    assert preset_names() == [
        "bath-ne-somerset",
        "dhr-2016",
        "england-adults-sar",
        "england-children-2023",
        "herefordshire",
        "oxfordshire",
        "stockport",
        "surrey",
    ]


def rule(unit: Unit, amount: int, direction: Direction = Direction.AFTER) -> Rule:
    return Rule(
        id="r",
        label="r",
        event=Event.DECISION,
        amount=amount,
        unit=unit,
        direction=direction,
        owner=Role.CHAIR,
        source="s",
    )


@pytest.mark.parametrize(
    ("unit", "amount", "direction", "expected"),
    [
        pytest.param(Unit.WORKING_DAYS, 5, Direction.AFTER, date(2026, 4, 10), id="working-after"),
        pytest.param(Unit.WORKING_DAYS, 7, Direction.BEFORE, date(2026, 3, 23), id="work-before"),
        pytest.param(Unit.CALENDAR_DAYS, 28, Direction.AFTER, date(2026, 4, 29), id="days-after"),
        pytest.param(Unit.WEEKS, 2, Direction.BEFORE, date(2026, 3, 18), id="weeks-before"),
        pytest.param(Unit.MONTHS, 6, Direction.AFTER, date(2026, 10, 1), id="months-after"),
        pytest.param(Unit.WORKING_DAYS, 0, Direction.AFTER, date(2026, 4, 1), id="on-the-day"),
    ],
)
def test_a_rule_counts_its_amount_in_its_unit_from_the_event(unit, amount, direction, expected):
    # 1 April 2026 is a Wednesday; Good Friday 3 April and Easter Monday 6 April are holidays.
    assert rule(unit, amount, direction).due(date(2026, 4, 1), ENGLAND) == expected


def test_deadlines_come_only_from_events_that_happened_sorted_by_due_date():
    protocol = parse_protocol(VALID, PATH)
    dues = protocol.deadlines(
        {Event.DECISION: date(2026, 12, 21), Event.INITIATION: date(2026, 6, 15)}, ENGLAND
    )
    assert [(d.rule.id, d.due) for d in dues] == [
        ("complete", date(2026, 12, 15)),
        ("notify", date(2026, 12, 30)),
    ]
    assert protocol.deadlines({Event.REFERRAL: date(2026, 1, 5)}, ENGLAND) == []


def test_deadlines_leave_out_rules_for_other_review_types():
    protocol = parse_protocol(VALID, PATH)
    events = {Event.DECISION: date(2026, 12, 21), Event.INITIATION: date(2026, 6, 15)}
    assert [d.rule.id for d in protocol.deadlines(events, ENGLAND, ReviewType.SAR)] == ["notify"]
    assert len(protocol.deadlines(events, ENGLAND, ReviewType.SCR)) == 2


def test_deadlines_for_a_new_event_only():
    protocol = parse_protocol(VALID, PATH)
    events = {Event.DECISION: date(2026, 12, 21), Event.INITIATION: date(2026, 6, 15)}
    dues = protocol.deadlines(events, ENGLAND, only=[Event.INITIATION])
    assert [d.rule.id for d in dues] == ["complete"]


def test_a_board_may_choose_an_allowed_reading_of_an_ambiguous_rule():
    protocol = parse_protocol(VALID, PATH).with_events({"complete": "decision"})
    assert protocol.rule("complete").event is Event.DECISION
    dues = protocol.deadlines({Event.DECISION: date(2026, 12, 21)}, ENGLAND)
    assert [(d.rule.id, d.due) for d in dues] == [
        ("notify", date(2026, 12, 30)),
        ("complete", date(2027, 6, 21)),
    ]


def test_a_reading_the_preset_does_not_allow_is_refused():
    with pytest.raises(InvalidInput, match="can count from initiation, decision, not 'referral'"):
        parse_protocol(VALID, PATH).with_events({"complete": "referral"})


def test_choosing_a_reading_for_an_unknown_rule_is_refused():
    with pytest.raises(InvalidInput, match="has no rule 'nope'"):
        parse_protocol(VALID, PATH).with_events({"nope": "decision"})
