"""A pseudonym that would give the subject away is refused, however it is written."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.pseudonym import pseudonym_problem

NAME, DOB, ADDRESS = "Mary-Jane Smith-Jones", date(2019, 3, 4), "12 Elm Road, Guildford GU1 4AB"


@pytest.mark.parametrize(
    ("pseudonym", "why"),
    [
        ("Child Smith", "name"),  # a part of a hyphenated surname
        ("child mary", "name"),  # any case
        ("Jones's child", "name"),  # possessive
        ("Child A (Mary-Jane)", "name"),
        ("Child A, b. 2019-03-04", "date"),
        ("Child A 2019", "date"),
        ("Child A 4/3", "date"),
        ("Child of Elm Road", "address"),
        ("Child A, Guildford", "address"),
        ("Child A gu1", "address"),  # a postcode's part
    ],
)
def test_a_pseudonym_carrying_the_subject_s_details_is_refused(pseudonym, why):
    problem = pseudonym_problem(pseudonym, name=NAME, date_of_birth=DOB, address=ADDRESS)
    assert problem is not None and why in problem


def test_accents_do_not_hide_a_name():
    assert "name" in pseudonym_problem("Child Zoe", name="Zoë Brown-Ali")
    assert "name" in pseudonym_problem("Child ZOË", name="Zoe Brown-Ali")


@pytest.mark.parametrize("pseudonym", ["Child A", "Adult B", "Child Q", "Sibling 2", "Baby C"])
def test_ordinary_pseudonyms_are_accepted(pseudonym):
    assert pseudonym_problem(pseudonym, name=NAME, date_of_birth=DOB, address=ADDRESS) is None


def test_whole_words_only_so_a_short_surname_does_not_block_adult_a():
    assert pseudonym_problem("Adult A", name="Kwame Adu", address="3 Ash Way") is None
    assert pseudonym_problem("Child Li", name="Li Wei") is None  # two letters: not matched


def test_no_details_given_means_only_dates_are_refused():
    assert pseudonym_problem("Child A") is None
    assert pseudonym_problem("Child A 2020") is not None


def test_the_words_pseudonyms_are_made_of_are_never_a_match():
    assert pseudonym_problem("Child A", name="Harriet Child", address="1 Child Lane") is None
    assert pseudonym_problem("Child Harriet", name="Harriet Child") is not None
