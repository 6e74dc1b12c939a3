"""``casedesk protocols list|show|check`` as a board manager runs them."""

from __future__ import annotations

from pathlib import Path

PRESET_DIR = Path(__file__).resolve().parents[2] / "bot" / "domain" / "presets"
PRESETS = [
    "bath-ne-somerset",
    "dhr-2016",
    "england-adults-sar",
    "england-children-2023",
    "herefordshire",
    "oxfordshire",
    "stockport",
    "surrey",
]

GOOD = """\
[protocol]
name = "own"
title = "Own board"
source = "board minutes"

[[rules]]
id = "notify"
label = "Tell the panel"
event = "aware"
amount = 5
unit = "working_days"
direction = "after"
owner = "business_manager"
source = "board minutes 2026-01-12"
"""


def test_protocols_list_prints_every_preset_with_its_title(casedesk):
    result = casedesk("protocols", "list")
    assert result.code == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == PRESETS
    assert any(line.startswith("surrey") and "Surrey Safeguarding" in line for line in lines)


def test_protocols_show_prints_rules_with_timing_sources_and_notes(casedesk):
    result = casedesk("protocols", "show", "stockport")
    assert result.code == 0
    out = result.stdout
    assert out.startswith("stockport\n")
    assert "independent-chair-decision: Independent Chair decides" in out
    assert "due:        15 working days after recommendation" in out
    assert "may count from instead: notification" in out
    assert '000_cd2220454c4486c5.txt §10: "The Serious Case Review Sub Group will be' in out
    assert "note:       The seed does not say what the 15 working days count from." in out
    assert "due:        2 weeks before publication" in out


def test_protocols_show_accepts_a_file_path(casedesk, tmp_path):
    path = tmp_path / "own.toml"
    path.write_text(GOOD, encoding="utf-8")
    result = casedesk("protocols", "show", str(path))
    assert result.code == 0
    assert "notify: Tell the panel" in result.stdout
    assert "due:        5 working days after aware" in result.stdout


def test_protocols_check_counts_the_rules_of_a_good_file(casedesk, tmp_path):
    path = tmp_path / "own.toml"
    path.write_text(GOOD, encoding="utf-8")
    result = casedesk("protocols", "check", str(path))
    assert (result.code, result.stdout, result.stderr) == (0, "ok: 1 rule\n", "")


def test_protocols_check_passes_a_shipped_preset_file(casedesk):
    result = casedesk("protocols", "check", str(PRESET_DIR / "surrey.toml"))
    assert (result.code, result.stdout) == (0, "ok: 6 rules\n")


def test_protocols_check_names_file_line_rule_and_field_of_a_broken_file(casedesk, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(GOOD.replace('unit = "working_days"', 'unit = "fortnights"'), encoding="utf-8")
    result = casedesk("protocols", "check", str(path))
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1
    assert f"{path}:11, rule 'notify', field 'unit': 'fortnights' is not one of" in result.stderr
