"""Text limits: one table, a polite refusal per field too long, never the text itself."""

from __future__ import annotations

import pytest

from bot.domain.deadlines import ExtensionField, ExtensionRefused
from bot.domain.errors import FieldsRefused, InvalidInput
from bot.domain.limits import LONG_TEXT, MAX_LENGTH, TextField, check_lengths, length_problems


def test_every_text_field_has_a_limit_no_larger_than_a_slack_text_input_takes():
    assert set(MAX_LENGTH) == set(TextField)
    assert all(0 < limit <= LONG_TEXT for limit in MAX_LENGTH.values())


def test_short_fields_are_limited_to_their_columns():
    assert MAX_LENGTH[TextField.PSEUDONYM] == 100
    assert MAX_LENGTH[TextField.SUBJECT_NAME] == 200
    assert MAX_LENGTH[TextField.REFERRING_AGENCY] == 200
    assert MAX_LENGTH[TextField.AGENCY] == 200


@pytest.mark.parametrize("field", list(TextField), ids=[f.value for f in TextField])
def test_text_at_the_limit_passes_and_one_more_character_is_refused(field):
    limit = MAX_LENGTH[field]
    assert length_problems({field: "x" * limit}) == {}
    assert length_problems({field: f"  {'x' * limit}\n"}) == {}  # measured once stripped
    problems = length_problems({field: "x" * (limit + 1)})
    assert list(problems) == [field.value]
    assert problems[field.value].endswith(f"to {limit:,} characters or fewer.")


def test_a_refusal_names_every_field_too_long_and_never_quotes_the_text():
    secret = "Zebedee Quartermaine " * 20
    with pytest.raises(FieldsRefused) as caught:
        check_lengths(
            {
                TextField.PSEUDONYM: "Child A",
                TextField.SUBJECT_NAME: secret,
                TextField.SUMMARY: secret * 10,
                TextField.ADDRESS: None,
            }
        )
    assert caught.value.problems == {
        "subject_name": "Please keep the subject's name to 200 characters or fewer.",
        "summary": "Please keep the summary to 3,000 characters or fewer.",
    }
    assert str(caught.value) == " ".join(caught.value.problems.values())
    assert "Zebedee" not in str(caught.value)
    assert isinstance(caught.value, InvalidInput)


def test_nothing_too_long_passes():
    check_lengths({TextField.RATIONALE: "Criteria met.", TextField.NOTE: None})


def test_a_refusal_names_at_least_one_field():
    with pytest.raises(ValueError):
        FieldsRefused({})


def test_an_extension_refusal_is_a_field_refusal_keyed_like_the_text_fields():
    refused = ExtensionRefused({ExtensionField.REASON: "Give the reason."})
    assert isinstance(refused, FieldsRefused)
    assert refused.problems == {"reason": "Give the reason."}
    assert ExtensionField.REASON == TextField.REASON
