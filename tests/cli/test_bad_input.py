"""Every bad input gets one clear line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import pytest

BROKEN_PRESET = """\
[protocol]
name = "broken"
title = "Broken"
source = "x"

[[rules]]
id = "notify"
label = "Tell the panel"
event = "aware"
amount = 5
unit = "working_days"
direction = "after"
owner = "mayor"
source = "x"
"""

BAD = [
    pytest.param(
        ["workdays", "add", "2026-02-30", "5", "--nation", "england"],
        "'2026-02-30' is not a date",
        id="workdays-impossible-date",
    ),
    pytest.param(
        ["workdays", "add", "1/6/2026", "5", "--nation", "england"],
        "write it as YYYY-MM-DD",
        id="workdays-date-not-iso",
    ),
    pytest.param(
        ["workdays", "add", "2026-06-01", "five", "--nation", "england"],
        "invalid int value",
        id="workdays-n-not-a-number",
    ),
    pytest.param(
        ["workdays", "add", "2026-06-01", "5", "--nation", "france"],
        "unknown nation 'france'",
        id="workdays-unknown-nation",
    ),
    pytest.param(
        ["workdays", "add", "2026-06-01", "5"], "required: --nation", id="workdays-missing-nation"
    ),
    pytest.param(
        ["workdays", "count", "2026-06-01", "2026-13-01", "--nation", "wales"],
        "'2026-13-01' is not a date",
        id="workdays-count-bad-end",
    ),
    pytest.param(
        ["workdays", "add", "9999-12-30", "5", "--nation", "england"],
        "out of range",
        id="workdays-past-year-9999",
    ),
    pytest.param(
        ["deadlines", "--protocol", "narnia", "--event", "decision=2026-12-21"],
        "unknown protocol 'narnia'",
        id="deadlines-unknown-preset",
    ),
    pytest.param(
        ["deadlines", "--protocol", "surrey", "--event", "inquest=2026-12-21"],
        "unknown event 'inquest'",
        id="deadlines-unknown-event",
    ),
    pytest.param(
        ["deadlines", "--protocol", "surrey", "--event", "decision=21/12/2026"],
        "'21/12/2026' is not a date",
        id="deadlines-bad-date",
    ),
    pytest.param(
        ["deadlines", "--protocol", "surrey", "--event", "decision"],
        "is not EVENT=YYYY-MM-DD",
        id="deadlines-event-without-date",
    ),
    pytest.param(
        [
            "deadlines",
            "--protocol",
            "surrey",
            "--event",
            "decision=2026-12-21",
            "--nation",
            "atlantis",
        ],
        "unknown nation 'atlantis'",
        id="deadlines-bad-nation",
    ),
    pytest.param(
        [
            "deadlines",
            "--protocol",
            "surrey",
            "--event",
            "decision=2026-12-21",
            "--review-type",
            "inquest",
        ],
        "unknown review type",
        id="deadlines-bad-type",
    ),
    pytest.param(
        [
            "deadlines",
            "--protocol",
            "surrey",
            "--event",
            "decision=2026-12-21",
            "--event",
            "decision=2026-12-22",
        ],
        "given twice",
        id="deadlines-event-twice",
    ),
    pytest.param(
        [
            "deadlines",
            "--protocol",
            "stockport",
            "--event",
            "referral=2026-03-02",
            "--rule-event",
            "independent-chair-decision=decision",
        ],
        "can count from recommendation, notification",
        id="deadlines-reading-refused",
    ),
    pytest.param(
        ["deadlines", "--protocol", "surrey", "--event", "initiation=9999-12-21"],
        "out of range",
        id="deadlines-past-year-9999",
    ),
    pytest.param(
        ["deadlines", "--protocol", "surrey"], "required: --event", id="deadlines-no-event"
    ),
    pytest.param(
        ["protocols", "show", "narnia"], "unknown protocol 'narnia'", id="protocols-show-unknown"
    ),
    pytest.param(
        ["protocols", "check", "/nonexistent/board.toml"],
        "/nonexistent/board.toml: cannot read the file",
        id="protocols-check-missing",
    ),
    pytest.param(["protocols", "frobnicate"], "invalid choice", id="protocols-unknown-command"),
    pytest.param(["teleport"], "invalid choice", id="unknown-command"),
]


@pytest.mark.parametrize(("args", "words"), BAD)
def test_bad_input_exits_2_with_one_line_on_stderr(casedesk, args, words):
    result = casedesk(*args)
    assert result.code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert words in result.stderr


@pytest.mark.entry_point
def test_a_broken_preset_file_names_file_line_rule_and_field(casedesk, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN_PRESET, encoding="utf-8")
    result = casedesk("deadlines", "--protocol", str(path), "--event", "aware=2026-12-21")
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        f"casedesk: {path}:13, rule 'notify', field 'owner': 'mayor' is not one of: "
        "business_manager, chair, member, decision_maker, admin"
    ]


def test_a_preset_file_with_bad_toml_names_its_line_rule_and_field(casedesk, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN_PRESET.replace("amount = 5", "amount = 5 days"), encoding="utf-8")
    result = casedesk("protocols", "check", str(path))
    assert result.code == 2
    assert len(result.stderr.splitlines()) == 1
    assert f"{path}:10, rule 'notify', field 'amount': not valid TOML" in result.stderr
