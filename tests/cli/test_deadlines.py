"""``casedesk deadlines`` as a board manager runs it (PRODUCT.md contract)."""

from __future__ import annotations

import json

import pytest

CONTRACT_KEYS = {"rule", "label", "event", "due", "source"}


def deadlines_json(casedesk, *args: str) -> list[dict]:
    result = casedesk("deadlines", *args, "--json")
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.entry_point
def test_surrey_decision_on_21_december_2026_has_national_bodies_due_30_december(casedesk):
    rows = deadlines_json(casedesk, "--protocol", "surrey", "--event", "decision=2026-12-21")
    assert {"rule": "national-bodies-informed", "due": "2026-12-30"}.items() <= rows[0].items()
    assert any(r["due"] == "2026-12-30" and "national" in r["label"].lower() for r in rows)


def test_json_rows_carry_the_contract_keys_and_cite_the_seed(casedesk):
    rows = deadlines_json(casedesk, "--protocol", "surrey", "--event", "decision=2026-12-21")
    assert rows
    for row in rows:
        assert CONTRACT_KEYS <= row.keys()
        assert row["event"] == "decision"
        assert row["event_date"] == "2026-12-21"
        assert "002_0ceef0fde733de82.txt §1.2" in row["source"]


def test_deadlines_from_several_events_come_sorted_by_due_date(casedesk):
    rows = deadlines_json(
        casedesk,
        "--protocol",
        "stockport",
        "--event",
        "notification=2026-03-02",
        "--event",
        "meeting=2026-03-25",
        "--event",
        "recommendation=2026-04-01",
    )
    assert [(r["rule"], r["due"]) for r in rows] == [
        ("sub-group-meets", "2026-03-30"),
        ("recommendation-to-independent-chair", "2026-04-10"),
        ("independent-chair-decision", "2026-04-24"),
    ]


def test_the_nation_changes_the_due_date(casedesk):
    args = ("--protocol", "stockport", "--event", "recommendation=2026-04-01")
    england = deadlines_json(casedesk, *args)
    scotland = deadlines_json(casedesk, *args, "--nation", "scotland")
    assert england[0]["due"] == "2026-04-24"
    assert scotland[0]["due"] == "2026-04-23"  # Easter Monday is a working day in Scotland


def test_a_closure_day_pushes_the_deadline(casedesk):
    rows = deadlines_json(
        casedesk,
        "--protocol",
        "surrey",
        "--event",
        "decision=2026-12-21",
        "--closure",
        "2026-12-24",
    )
    assert rows[0]["due"] == "2026-12-31"


def test_a_review_type_leaves_out_rules_for_other_types(casedesk):
    args = ("--protocol", "stockport", "--event", "decision=2026-04-20")
    assert [r["rule"] for r in deadlines_json(casedesk, *args)] == ["review-completed"]
    assert deadlines_json(casedesk, *args, "--review-type", "partnership_review") == []


def test_a_board_may_count_an_ambiguous_rule_from_its_alternative_event(casedesk):
    rows = deadlines_json(
        casedesk,
        "--protocol",
        "stockport",
        "--event",
        "notification=2026-03-02",
        "--rule-event",
        "independent-chair-decision=notification",
    )
    due = {r["rule"]: r["due"] for r in rows}
    assert due["independent-chair-decision"] == "2026-03-23"


def test_the_protocol_may_be_a_preset_file_path(casedesk, tmp_path):
    path = tmp_path / "own.toml"
    path.write_text(
        '[protocol]\nname = "own"\ntitle = "Own board"\nsource = "board minutes"\n\n'
        '[[rules]]\nid = "notify"\nlabel = "Tell the panel"\nevent = "aware"\namount = 5\n'
        'unit = "working_days"\ndirection = "after"\nowner = "business_manager"\n'
        'source = "board minutes 2026-01-12"\n',
        encoding="utf-8",
    )
    rows = deadlines_json(casedesk, "--protocol", str(path), "--event", "aware=2026-12-21")
    assert [(r["rule"], r["due"], r["source"]) for r in rows] == [
        ("notify", "2026-12-30", "board minutes 2026-01-12")
    ]


def test_without_json_the_deadlines_print_as_an_aligned_table_with_sources(casedesk):
    result = casedesk(
        "deadlines",
        "--protocol",
        "stockport",
        "--event",
        "notification=2026-03-02",
        "--event",
        "meeting=2026-03-25",
    )
    assert result.code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["DUE", "DAY", "RULE", "COUNTS", "FROM", "OWNER", "WHAT"]
    assert lines[1].startswith("2026-03-30  Mon  sub-group-meets")
    assert lines[2].startswith("2026-04-10  Fri  recommendation-to-independent-chair")
    owner = lines[0].index("OWNER")
    assert lines[1][owner:].startswith("business_manager  ")
    assert lines[2][owner:].startswith("chair  ")
    assert "000_cd2220454c4486c5.txt §10" in result.stdout


def test_events_no_rule_counts_from_give_an_empty_list_and_a_note(casedesk):
    result = casedesk(
        "deadlines", "--protocol", "surrey", "--event", "complaint=2026-03-02", "--json"
    )
    assert (result.code, json.loads(result.stdout)) == (0, [])
    assert "no rule of surrey counts from complaint" in result.stderr
