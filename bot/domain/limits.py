"""How long each piece of free text a person types may be: one table for the services and modals.

Every text input of every modal carries its field's ``max_length`` from :data:`MAX_LENGTH`, so
Slack's client stops a person at the limit; the use cases check the same limits again with
:func:`check_lengths`, because a request can be forged past Slack's client. A short field is
limited to its column's size (``store.models``), so PostgreSQL never refuses an INSERT; long
text to 3,000 characters, the most a Slack text input takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from bot.domain.errors import FieldsRefused


class TextField(StrEnum):
    """A text a person types; the value is the command's attribute, named in a refusal."""

    PSEUDONYM = "pseudonym"
    SUBJECT_NAME = "subject_name"
    ADDRESS = "address"
    SUMMARY = "summary"
    REFERRING_AGENCY = "referring_agency"
    RATIONALE = "rationale"  # a vote's
    REASON = "reason"  # a conflict's, an extension's, a pause's or resume's, a conversion's
    REASONS = "reasons"  # a decision's
    AGENCY = "agency"  # an agency asked for information
    NOTE = "note"  # an information request's


LONG_TEXT = 3000
"""The most a Slack ``plain_text_input`` takes (its ``max_length`` may not be larger)."""

MAX_LENGTH: Mapping[str, int] = MappingProxyType(
    {
        TextField.PSEUDONYM: 100,  # cases.pseudonym
        TextField.SUBJECT_NAME: 200,  # case_subjects.name
        TextField.ADDRESS: 500,
        TextField.SUMMARY: LONG_TEXT,
        TextField.REFERRING_AGENCY: 200,  # cases.referring_agency
        TextField.RATIONALE: LONG_TEXT,
        TextField.REASON: LONG_TEXT,
        TextField.REASONS: LONG_TEXT,
        TextField.AGENCY: 200,  # information_requests.agency
        TextField.NOTE: LONG_TEXT,
    }
)
"""The longest each field may be, in characters once stripped; templates read it as ``limits``."""

LABELS: Mapping[str, str] = MappingProxyType(
    {
        TextField.PSEUDONYM: "pseudonym",
        TextField.SUBJECT_NAME: "subject's name",
        TextField.ADDRESS: "address",
        TextField.SUMMARY: "summary",
        TextField.REFERRING_AGENCY: "referring agency",
        TextField.RATIONALE: "rationale",
        TextField.REASON: "reason",
        TextField.REASONS: "reasons",
        TextField.AGENCY: "agency's name",
        TextField.NOTE: "note",
    }
)


def length_problems(values: Mapping[TextField, str | None]) -> dict[str, str]:
    """Return a polite message per field whose text is longer than its limit (None: not given).

    The message names the field and its limit, never the text: it is shown and logged.
    """
    problems: dict[str, str] = {}
    for field, value in values.items():
        limit = MAX_LENGTH[field]
        if value is not None and len(value.strip()) > limit:
            keep = f"Please keep the {LABELS[field]} to {limit:,} characters or fewer."
            problems[field.value] = keep
    return problems


def check_lengths(values: Mapping[TextField, str | None]) -> None:
    """Refuse, field by field, every text longer than its limit, before anything is written.

    Raises:
        FieldsRefused: naming each field too long and its limit.
    """
    problems = length_problems(values)
    if problems:
        raise FieldsRefused(problems)
