"""A pseudonym must not give the subject away.

Channels, digests and the App Home name a case only by its reference and pseudonym ("Child A",
"Adult B"), never the subject's name, address or date of birth (SPEC.md §Confidentiality;
PRODUCT.md §Confidentiality). So a pseudonym that carries any of them is refused, however it is
written: accents, case, hyphens and punctuation do not hide a name ("Child Zoe" for "Zoë
Brown-Ali", "Child Smith" for "Mary-Jane Smith-Jones"), and a date or a part of the address is
refused too ("Child A, b. 2019-03-04, 12 Elm Road").
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

MIN_PART = 3
"""Shorter parts of a name or address ("Li", "A", "12") are not matched: too many false alarms."""

PSEUDONYM_WORDS = frozenset(
    {"child", "adult", "baby", "infant", "young", "person", "subject", "sibling", "parent"}
)
"""The words pseudonyms are made of: never matched against a name or address ("Child A" stays
possible for a subject surnamed Child, or living on Child Lane: it tells an observer nothing)."""

_DATE = re.compile(r"\d{4}|\d{1,2}\s*[/.\-]\s*\d{1,2}")
"""A year, or a day and month: ``2019``, ``04/03``, ``4.3``, ``04-03``."""


def plain(text: str) -> str:
    """Return ``text`` folded for comparison: accents dropped, case folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def parts(text: str) -> list[str]:
    """Return the words of ``text`` (folded) long enough to identify someone."""
    return [
        p
        for p in re.split(r"[\W_]+", plain(text))
        if len(p) >= MIN_PART and p not in PSEUDONYM_WORDS
    ]


def pseudonym_problem(
    pseudonym: str,
    *,
    name: str | None = None,
    date_of_birth: date | None = None,
    address: str | None = None,
) -> str | None:
    """Return why ``pseudonym`` would give the subject away, or None when it is safe.

    Args:
        pseudonym: what channels will show.
        name: the subject's name: none of its parts may be a word of the pseudonym (whole
            words, so "Adult A" stays possible for a subject called Adu).
        date_of_birth: its year may not appear (nor may any date at all).
        address: none of its words may appear as a word of the pseudonym.
    """
    words = set(parts(pseudonym))
    if name and any(part in words for part in parts(name)):
        return "The pseudonym must not contain the subject's name, or any part of it."
    folded = plain(pseudonym)
    if _DATE.search(folded) or (date_of_birth and str(date_of_birth.year) in folded):
        return "The pseudonym must not contain a date; channels see it."
    if address and any(part in words for part in parts(address) if not part.isdigit()):
        return "The pseudonym must not contain the subject's address, or any part of it."
    return None
