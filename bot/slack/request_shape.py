"""The shape a Slack request must have before Bolt dispatches it, over HTTP and Socket Mode alike.

Bolt and the listeners read some fields by key: a slash command's ``command`` and ``user_id``, a
click's ``actions[0].action_id``, a submission's ``view.state.values``, an event's
``event.type``. Slack always sends them; a request without them, or with one of the wrong type
(forged, or broken on its way), would fail inside Bolt or a listener with a traceback.
:func:`shape_problem` checks, per kind of request, the fields Bolt and the listeners read and
their types, so such a request is refused before dispatch: by the HTTP guard
(:mod:`bot.slack.http_guard`, a 400) and in Socket Mode (:mod:`bot.slack.socket_guard`,
acknowledged and dropped). What it returns names the kind and the field, never a value, so it
can be logged.

A kind casedesk has no listener for (a shortcut, ``app_rate_limited``) is passed on unchecked:
Bolt answers it as unhandled, naming only its IDs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Malformed:
    """Why a request cannot be dispatched: its kind and what is missing or wrong (no values)."""

    kind: str
    problem: str

    def __str__(self) -> str:
        return f"{self.kind} {self.problem}"


REQUIRED: Mapping[str, tuple[tuple[str, type], ...]] = {
    "slash_command": (
        ("command", str),
        ("user_id", str),
        ("team_id", str),
        ("channel_id", str),
        ("trigger_id", str),
        ("response_url", str),
    ),
    "block_actions": (("user.id", str), ("trigger_id", str), ("actions", list)),
    "view_submission": (
        ("user.id", str),
        ("view.id", str),
        ("view.callback_id", str),
        ("view.state.values", dict),
    ),
    "view_closed": (("user.id", str), ("view.id", str), ("view.callback_id", str)),
    "event_callback": (("event.type", str),),
    "url_verification": (("challenge", str),),
    "ssl_check": (),
}
"""Kind -> the fields (dotted paths) it must carry and their types; strings must not be empty."""

OPTIONAL: Mapping[str, tuple[tuple[str, type], ...]] = {
    "slash_command": (("text", str),),
    "block_actions": (("channel", dict), ("container", dict), ("team", dict), ("view", dict)),
    "view_submission": (("view.private_metadata", str), ("view.blocks", list), ("team", dict)),
    "view_closed": (("view.private_metadata", str),),
    "event_callback": (("event.user", str),),
}
"""Kind -> fields read when present: when given (and not null), they must have this type."""

ENVELOPES: Mapping[str, frozenset[str]] = {
    "slash_commands": frozenset({"slash_command"}),
    "events_api": frozenset({"event_callback"}),
}
"""Socket Mode envelope type -> the kinds of request it may carry (``interactive``: the rest)."""

NOT_INTERACTIVE = frozenset({"slash_command", "event_callback", "url_verification", "ssl_check"})

_ABSENT = object()


def request_kind(payload: Mapping[str, Any]) -> str:
    """Name the kind of a parsed request (``slash_command``, ``block_actions``, ``ssl_check``)."""
    if "command" in payload:
        return "slash_command"
    if "ssl_check" in payload:
        return "ssl_check"
    kind = payload.get("type")
    return kind if isinstance(kind, str) and kind else "unknown"


def shape_problem(payload: object) -> Malformed | None:
    """Return what keeps ``payload`` (a parsed request) from being dispatched, or None.

    Args:
        payload: a slash command's fields, an interaction's ``payload`` or an Events API body,
            parsed from JSON or form data (or a Socket Mode envelope's ``payload``).
    """
    if not isinstance(payload, Mapping):
        return Malformed("unknown", "is not an object")
    kind = request_kind(payload)
    if kind == "unknown":
        return Malformed(kind, "has neither a command nor a type")
    if kind not in REQUIRED:
        return None
    for path, expected in REQUIRED[kind]:
        if problem := _field_problem(payload, path, expected, required=True):
            return Malformed(kind, problem)
    for path, expected in OPTIONAL.get(kind, ()):
        if problem := _field_problem(payload, path, expected, required=False):
            return Malformed(kind, problem)
    deeper = _DEEPER.get(kind)
    problem = deeper(payload) if deeper else None
    return Malformed(kind, problem) if problem else None


def envelope_problem(envelope_type: str, payload: object) -> Malformed | None:
    """Return what keeps a Socket Mode envelope's payload from being dispatched, or None.

    The payload must have its kind's shape, and be a kind its envelope carries (a
    ``slash_commands`` envelope a slash command, ``events_api`` an event, ``interactive`` an
    interaction).
    """
    malformed = shape_problem(payload)
    if malformed is not None or not isinstance(payload, Mapping):
        return malformed
    kind = request_kind(payload)
    allowed = ENVELOPES.get(envelope_type)
    if allowed is not None and kind not in allowed:
        return Malformed(kind, f"in a {envelope_type} envelope")
    if envelope_type == "interactive" and kind in NOT_INTERACTIVE:
        return Malformed(kind, "in an interactive envelope")
    return None


def _field_problem(
    payload: Mapping[str, Any], path: str, expected: type, *, required: bool
) -> str | None:
    """Return what is wrong with the field at the dotted ``path`` (absent: only if required)."""
    value: Any = payload
    for part in path.split("."):
        value = value.get(part, _ABSENT) if isinstance(value, Mapping) else _ABSENT
        if value is _ABSENT or value is None:
            return f"without {path}" if required else None
    if not isinstance(value, expected):
        return f"with {path} not a {expected.__name__}"
    if required and expected is str and not value:
        return f"with {path} empty"
    return None


def _actions_problem(payload: Mapping[str, Any]) -> str | None:
    actions = payload["actions"]
    if not actions:
        return "with no actions"
    for action in actions:
        if not isinstance(action, Mapping):
            return "with an action that is not an object"
        if problem := _field_problem(action, "action_id", str, required=True):
            return f"with an action {problem}"
        for name in ("block_id", "value", "type"):
            if problem := _field_problem(action, name, str, required=False):
                return f"with an action {problem}"
    return None


def _state_problem(payload: Mapping[str, Any]) -> str | None:
    """Check the submitted values: block -> action -> element state, with typed selections."""
    for block in payload["view"]["state"]["values"].values():
        if not isinstance(block, Mapping) or not all(
            isinstance(e, Mapping) for e in block.values()
        ):
            return "with view.state.values not blocks of element states"
        for element in block.values():
            for name in ("type", "value", "selected_date"):
                if _field_problem(element, name, str, required=False):
                    return f"with a field's {name} not a string"
            chosen = element.get("selected_option")
            options = element.get("selected_options") or []
            if chosen is not None:
                options = [chosen]
            if not isinstance(options, list) or not all(_is_option(o) for o in options):
                return "with a field's selected option malformed"
    return None


def _is_option(option: object) -> bool:
    return isinstance(option, Mapping) and isinstance(option.get("value"), str)


_DEEPER: Mapping[str, Callable[[Mapping[str, Any]], str | None]] = {
    "block_actions": _actions_problem,
    "view_submission": _state_problem,
}
"""Kind -> the check of its nested lists and maps, once its fields are there."""
