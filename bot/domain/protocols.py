"""Protocols: each board's timescales as data, the rules they hold and the deadlines they set.

A :class:`Protocol` is a set of :class:`Rule` values, each due an amount of time (working days,
calendar days, weeks or months) after or before an :class:`Event`; :meth:`Protocol.deadlines`
counts every deadline whose event has happened on the board's working calendar. The presets that
ship with casedesk, and a board's own preset file, are read and validated by
:mod:`bot.domain.preset_files`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from bot.domain.boards import ReviewType, Role
from bot.domain.calendar import WorkingCalendar
from bot.domain.errors import InvalidInput

DEFAULT_REMINDERS: tuple[int, ...] = (5, 2, 1, 0)
"""Working days before the due day at which the owner is reminded. Source: PRODUCT.md."""


class Event(StrEnum):
    """An event a deadline counts from (the CLI's EVENT keys, PRODUCT.md §Command-line contract)."""

    REFERRAL = "referral"
    NOTIFICATION = "notification"
    AWARE = "aware"
    MEETING = "meeting"
    RECOMMENDATION = "recommendation"
    DECISION = "decision"
    INITIATION = "initiation"
    PUBLICATION = "publication"
    INFORMATION_REQUEST = "information_request"
    COMPLAINT = "complaint"
    PUBLISHED = "published"  # the day the report was actually published (``publication``: planned)
    COMPLAINT_ESCALATED = "complaint_escalated"  # an unsatisfied complainant came back
    ACTION_PLAN = "action_plan"  # the day the action plan was agreed

    @property
    def label(self) -> str:
        """Return the event as a board manager would say it."""
        return _EVENT_LABELS[self]

    @property
    def is_planned(self) -> bool:
        """Return whether the event is planned ahead, so its date may be in the future."""
        return self in PLANNED_EVENTS


_EVENT_LABELS = {
    Event.REFERRAL: "referral received",
    Event.NOTIFICATION: "notification received",
    Event.AWARE: "became aware of the incident",
    Event.MEETING: "sub-group meeting",
    Event.RECOMMENDATION: "sub-group recommendation",
    Event.DECISION: "decision",
    Event.INITIATION: "review commissioned",
    Event.PUBLICATION: "planned publication",
    Event.INFORMATION_REQUEST: "information requested from agencies",
    Event.COMPLAINT: "complaint received",
    Event.PUBLISHED: "report published",
    Event.COMPLAINT_ESCALATED: "complaint escalated",
    Event.ACTION_PLAN: "action plan agreed",
}

PLANNED_EVENTS = frozenset({Event.PUBLICATION, Event.MEETING})
"""Events recorded ahead of the day (a planned publication, a meeting); the rest have happened."""


class Unit(StrEnum):
    """How a rule's amount is counted."""

    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    WEEKS = "weeks"
    MONTHS = "months"


class Direction(StrEnum):
    """Whether the deadline falls after or before its event."""

    AFTER = "after"
    BEFORE = "before"


@dataclass(frozen=True)
class Rule:
    """One timescale of a protocol: something is due an amount of time from an event."""

    id: str
    label: str
    event: Event
    amount: int
    unit: Unit
    direction: Direction
    owner: Role
    source: str
    reminders: tuple[int, ...] = DEFAULT_REMINDERS
    applies_to: frozenset[ReviewType] = frozenset()
    alternative_events: tuple[Event, ...] = ()
    note: str = ""
    needs_review: bool = False  # only when the standing decision is to review (no "no review")

    def applies(self, review_type: ReviewType | None, *, reviewing: bool | None = None) -> bool:
        """Return whether this rule applies to a case of ``review_type`` (None: any).

        Args:
            review_type: the case's review type (None: any).
            reviewing: whether the standing decision is to review (None: not decided yet). A rule
                that ``needs_review`` never applies once the decision is "no review".
        """
        if self.needs_review and reviewing is False:
            return False
        return not self.applies_to or review_type is None or review_type in self.applies_to

    def due(self, event_date: date, calendar: WorkingCalendar) -> date:
        """Return the due date counted from ``event_date`` on ``calendar``."""
        n = self.amount if self.direction is Direction.AFTER else -self.amount
        match self.unit:
            case Unit.WORKING_DAYS:
                return calendar.add_working_days(event_date, n)
            case Unit.CALENDAR_DAYS:
                return calendar.add_calendar_days(event_date, n)
            case Unit.WEEKS:
                return calendar.add_weeks(event_date, n)
            case Unit.MONTHS:
                return calendar.add_months(event_date, n)
        raise AssertionError(self.unit)  # pragma: no cover - exhaustive


@dataclass(frozen=True)
class Due:
    """A deadline computed from a rule and the date of its event."""

    rule: Rule
    event_date: date
    due: date


@dataclass(frozen=True)
class Protocol:
    """A board's set of timescale rules."""

    name: str
    title: str
    source: str
    rules: tuple[Rule, ...]
    path: str = ""
    notes: str = ""

    def rule(self, rule_id: str) -> Rule:
        """Return the rule called ``rule_id``.

        Raises:
            InvalidInput: no such rule in this protocol.
        """
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise InvalidInput(f"protocol {self.name!r} has no rule {rule_id!r}")

    def with_events(self, choices: Mapping[str, str]) -> Protocol:
        """Return this protocol with a board's chosen readings of ambiguous rules.

        Args:
            choices: rule id -> the event the board counts that rule from; each must be the
                rule's own event or one of its ``alternative_events``.

        Raises:
            InvalidInput: an unknown rule, or an event the rule does not allow.
        """
        rules = list(self.rules)
        for rule_id, event in choices.items():
            r = self.rule(rule_id)
            allowed = (r.event, *r.alternative_events)
            if event not in allowed:
                options = ", ".join(allowed)
                raise InvalidInput(
                    f"rule {rule_id!r} of protocol {self.name!r} can count from {options}, "
                    f"not {event!r}"
                )
            rules[rules.index(r)] = replace(r, event=Event(event))
        return replace(self, rules=tuple(rules))

    def deadlines(
        self,
        events: Mapping[Event, date],
        calendar: WorkingCalendar,
        review_type: ReviewType | None = None,
        *,
        only: Iterable[Event] | None = None,
    ) -> list[Due]:
        """Compute every deadline whose event has happened, sorted by due date.

        Args:
            events: the dates of the events known so far.
            calendar: the board's working calendar.
            review_type: the case's review type; rules for other types are left out.
            only: when given, only rules counting from these events (a new event's deadlines).
        """
        wanted = set(only) if only is not None else None
        out = [
            Due(rule=r, event_date=events[r.event], due=r.due(events[r.event], calendar))
            for r in self.rules
            if r.event in events
            and r.applies(review_type)
            and (wanted is None or r.event in wanted)
        ]
        return sorted(out, key=lambda d: (d.due, d.rule.id))
