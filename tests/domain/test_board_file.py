"""The board file: the example loads, and every fault names the file, the line and the field."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from bot.domain.board_file import load_board_file, parse_board_file
from bot.domain.boards import BoardKind, ReviewType, Role
from bot.domain.calendar import Nation
from bot.domain.cases import Trigger
from bot.domain.errors import BoardFileError, ProtocolError
from bot.domain.votes import Quorum, VoteVisibility

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "board.toml"

GOOD = """\
[[boards]]
id = "test-board"
name = "Test Safeguarding Children Partnership"
kind = "children"
nation = "wales"
protocol = "surrey"
channel = "C0TEST0001"
quorum = 2

[boards.reference_prefixes]
scr = "CPR"

[[boards.members]]
slack_id = "U0AAA00001"
name = "Alex Example"
roles = ["chair", "member"]

[[boards.members]]
slack_id = "U0BBB00002"
name = "Bea Example"
agency = "Police"
roles = ["decision_maker"]
"""


def test_the_example_board_file_loads_with_its_two_boards():
    surrey, stockport = load_board_file(EXAMPLE)
    assert (surrey.id, surrey.kind, surrey.nation, surrey.protocol) == (
        "surrey-children",
        BoardKind.CHILDREN,
        Nation.ENGLAND,
        "surrey",
    )
    assert surrey.vote_visibility is VoteVisibility.HIDDEN_UNTIL_CLOSE
    assert surrey.quorum == Quorum() and stockport.quorum == Quorum(votes=3)
    assert surrey.sending_hours == (time(8, 0), time(18, 0))
    assert date(2026, 12, 24) in surrey.closure_days
    assert surrey.step_rules[Trigger.CLOSE_VOTING] == ("sub-group-recommendation",)
    assert stockport.rule_events == {"independent-chair-decision": "notification"}
    assert [m.name for m in surrey.members][:2] == ["Ben Okafor", "Priya Raman"]
    assert surrey.members[0].roles == frozenset({Role.BUSINESS_MANAGER, Role.MEMBER})


def test_defaults_fill_what_a_board_leaves_out():
    (board,) = parse_board_file(GOOD, "good.toml")
    assert board.prefix(ReviewType.SCR) == "CPR" and board.prefix(ReviewType.LCSPR) == "LCSPR"
    assert (board.digest_time, board.open_voting_on_referral) == (time(9, 0), False)
    assert board.members[0].agency == "" and board.members[1].agency == "Police"
    assert board.calendar().nation is Nation.WALES


def _broken(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        (_broken('kind = "children"', 'kind = "childrens"'), 4, "boards[test-board].kind",
         "not one of: children, adults, community-safety"),
        (_broken('nation = "wales"', 'nation = "cymru"'), 5, "boards[test-board].nation",
         "not one of"),
        (_broken("quorum = 2", 'quorum = "most"'), 8, "boards[test-board].quorum",
         '"majority" or a whole number'),
        (_broken('channel = "C0TEST0001"', 'channel = "#case-review"'), 7,
         "boards[test-board].channel", "Slack channel id"),
        (_broken("quorum = 2", "quorom = 2"), 8, "boards[test-board].quorom", "unknown field"),
        (_broken('scr = "CPR"', 'scr = "cpr-"'), 11,
         "boards[test-board].reference_prefixes.scr", "capital letters"),
        (_broken('scr = "CPR"', 'scrr = "CPR"'), 11,
         "boards[test-board].reference_prefixes.scrr", "unknown review type"),
        (_broken('slack_id = "U0BBB00002"', 'slack_id = "bea"'), 19,
         "boards[test-board].members[1].slack_id", "Slack user id"),
        (_broken('roles = ["decision_maker"]', 'roles = ["boss"]'), 22,
         "boards[test-board].members[1].roles", "not one of"),
        (_broken('slack_id = "U0BBB00002"', 'slack_id = "U0AAA00001"'), 19,
         "boards[test-board].members[1].slack_id", "listed twice"),
        (_broken('protocol = "surrey"', 'protocol = "surry"'), 6,
         "boards[test-board].protocol", "neither a preset"),
        (_broken("quorum = 2", 'quorum = 2\nsending_hours = ["18:00", "08:00"]'), 9,
         "boards[test-board].sending_hours", "first time must be before"),
        (_broken("quorum = 2", 'quorum = 2\ndigest_time = "9am"'), 9,
         "boards[test-board].digest_time", "HH:MM"),
        (_broken("quorum = 2", 'quorum = 2\nclosure_days = ["24/12/2026"]'), 9,
         "boards[test-board].closure_days", "not a date"),
        (_broken("quorum = 2", 'quorum = 2\n[boards.rule_events]\nchair-decision = "meeting"'),
         10, "boards[test-board].rule_events.chair-decision", "can count from referral"),
        (_broken("quorum = 2", 'quorum = 2\n[boards.step_rules]\nclose_voting = ["nope"]'),
         10, "boards[test-board].step_rules.close_voting", "has no rule 'nope'"),
        (_broken("quorum = 2", 'quorum = 2\n[boards.step_rules]\nvote = ["chair-decision"]'),
         10, "boards[test-board].step_rules.vote", "unknown step"),
    ],
    ids=[
        "kind", "nation", "quorum", "channel", "unknown-key", "prefix", "prefix-type",
        "member-slack-id", "member-role", "member-twice", "protocol", "sending-hours",
        "digest-time", "closure-day", "rule-event", "step-rule", "step",
    ],
)  # fmt: skip
def test_a_fault_names_the_file_line_and_field(text, line, field, message):
    with pytest.raises(BoardFileError) as caught:
        parse_board_file(text, "boards/test.toml")
    err = caught.value
    assert (err.path, err.line, err.field) == ("boards/test.toml", line, field)
    assert message in str(err)
    assert str(err).startswith(f"boards/test.toml:{line}, field {field!r}: ")


def test_a_toml_syntax_error_names_its_line():
    with pytest.raises(BoardFileError, match=r"^b\.toml:3: not valid TOML"):
        parse_board_file('[[boards]]\nid = "x"\nname = \n', "b.toml")


def test_two_boards_with_one_id_are_refused():
    text = GOOD + "\n" + GOOD.split("[boards.reference_prefixes]")[0]
    with pytest.raises(BoardFileError, match="two boards have this id") as caught:
        parse_board_file(text, "b.toml")
    assert caught.value.line == 25


def test_a_board_file_with_no_boards_is_refused():
    with pytest.raises(BoardFileError, match="at least one"):
        parse_board_file("", "empty.toml")


def test_a_missing_board_file_says_so(tmp_path):
    with pytest.raises(BoardFileError, match="cannot read the board file"):
        load_board_file(tmp_path / "nope.toml")


def test_a_board_may_use_its_own_preset_file_next_to_the_board_file(tmp_path):
    (tmp_path / "ours.toml").write_text(
        (Path(__file__).resolve().parents[2] / "bot/domain/presets/surrey.toml").read_text()
    )
    (tmp_path / "board.toml").write_text(_broken('protocol = "surrey"', 'protocol = "ours.toml"'))
    (board,) = load_board_file(tmp_path / "board.toml")
    assert board.protocol == str(tmp_path / "ours.toml")
    assert board.load_protocol().name == "surrey"


def test_a_broken_preset_file_is_reported_in_its_own_terms(tmp_path):
    (tmp_path / "ours.toml").write_text("[protocol]\nname = 'x'\n")
    (tmp_path / "board.toml").write_text(_broken('protocol = "surrey"', 'protocol = "ours.toml"'))
    with pytest.raises(ProtocolError, match="ours.toml"):
        load_board_file(tmp_path / "board.toml")
