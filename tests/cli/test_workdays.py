"""``casedesk workdays add|count`` as a board manager runs it (PRODUCT.md contract)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("nation", "expected"),
    [
        pytest.param("scotland", "2026-06-23", id="scotland-skips-15-june-2026"),
        pytest.param("england", "2026-06-22", id="england"),
        pytest.param("wales", "2026-06-22", id="wales"),
        pytest.param("northern-ireland", "2026-06-22", id="northern-ireland"),
    ],
)
def test_workdays_add_prints_the_fifteenth_working_day_after_1_june_2026(
    casedesk, nation, expected
):
    result = casedesk("workdays", "add", "2026-06-01", "15", "--nation", nation)
    assert (result.code, result.stdout, result.stderr) == (0, f"{expected}\n", "")


@pytest.mark.entry_point
def test_workdays_add_with_a_negative_count_goes_back_over_easter(casedesk):
    result = casedesk("workdays", "add", "2026-04-07", "-1", "--nation", "england")
    assert (result.code, result.stdout) == (0, "2026-04-02\n")


def test_workdays_count_prints_the_working_days_in_the_half_open_interval(casedesk):
    result = casedesk("workdays", "count", "2026-06-01", "2026-06-23", "--nation", "scotland")
    assert (result.code, result.stdout) == (0, "15\n")


def test_workdays_count_is_negative_when_end_is_before_start(casedesk):
    result = casedesk("workdays", "count", "2026-12-30", "2026-12-21", "--nation", "wales")
    assert (result.code, result.stdout) == (0, "-5\n")
