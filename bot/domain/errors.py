"""The DomainError tree: every rule violation a person can cause, as one family.

    DomainError                      a rule said no; the message is safe to show the person
    ├── InvalidInput                 a value is malformed (date, nation, reference, ...)
    │   ├── FieldsRefused            named fields are refused (too long, ...), one message each
    │   ├── ProtocolError            a preset file is broken (names file, rule and field)
    │   └── BoardFileError           a board file is broken (names file, line and field)
    ├── NotFound                     no such case, board, member or deadline
    ├── NotAllowed                   the person lacks the role, or is conflicted
    ├── InvalidTransition            the case's state does not allow the trigger
    └── Conflict                     somebody else got there first (a decision already exists)

Messages never contain identifying details of a subject: they are shown in Slack and logged.
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """A business rule refused the request; ``str(err)`` is fit to show the person."""


class InvalidInput(DomainError):
    """A value given by a person or a file is malformed."""


class FieldsRefused(InvalidInput):
    """Input refused field by field, so a form can show each message under its own field.

    ``str(err)`` joins the messages, for a surface with no fields (a slash command's answer).

    Args:
        problems: field name (the command's attribute, such as ``rationale``) -> a message fit
            to show the person; at least one.
    """

    def __init__(self, problems: Mapping[str, str]) -> None:
        if not problems:
            raise ValueError("a refusal names at least one field")
        self.problems = dict(problems)
        super().__init__(" ".join(self.problems.values()))


class ProtocolError(InvalidInput):
    """A protocol preset file is broken.

    Args:
        path: the preset file.
        message: what is wrong.
        rule: the rule id, when the fault is in one rule.
        field: the field name, when the fault is in one field.
        line: the line in the file, when known.
    """

    def __init__(
        self,
        path: str,
        message: str,
        *,
        rule: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self.path, self.rule, self.field, self.line = path, rule, field, line
        where = path if line is None else f"{path}:{line}"
        parts = [where]
        if rule is not None:
            parts.append(f"rule {rule!r}")
        if field is not None:
            parts.append(f"field {field!r}")
        super().__init__(f"{', '.join(parts)}: {message}")


class BoardFileError(InvalidInput):
    """A board file (``CASEDESK_BOARD``) is broken.

    Args:
        path: the board file.
        message: what is wrong.
        field: the field, dotted from the board (``boards[surrey-children].members[2].roles``).
        line: the line in the file, when known.
    """

    def __init__(
        self, path: str, message: str, *, field: str | None = None, line: int | None = None
    ) -> None:
        self.path, self.field, self.line = path, field, line
        where = path if line is None else f"{path}:{line}"
        prefix = where if field is None else f"{where}, field {field!r}"
        super().__init__(f"{prefix}: {message}")


class NotFound(DomainError):
    """The thing asked for does not exist (or the person may not know it exists)."""


class NotAllowed(DomainError):
    """The person may not do this: wrong role, not a member, or a declared conflict."""


class InvalidTransition(DomainError):
    """The case's current state does not allow this step."""


class Conflict(DomainError):
    """The step was already taken by somebody else (for example a decision already recorded)."""
