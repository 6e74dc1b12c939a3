"""The shape check both guards share: Slack's recorded requests pass, broken ones are named."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.slack.request_shape import Malformed, envelope_problem, request_kind, shape_problem
from tests.fakes.signing import load_payload

RECORDED = [
    "slash_command.parsed.json",
    "block_actions_message_button.json",
    "block_actions_ephemeral_button.json",
    "view_submission.json",
    "app_home_opened_home_tab.json",
    "url_verification.json",
]


@pytest.mark.parametrize("name", RECORDED)
def test_every_recorded_slack_request_has_the_shape_bolt_needs(name):
    assert shape_problem(load_payload(name)) is None


def test_every_recorded_socket_mode_envelope_passes():
    for envelope in load_payload("socket_mode_envelopes.json"):
        assert envelope_problem(envelope["type"], envelope["payload"]) is None


def broken(name: str, change) -> dict[str, Any]:
    """Return the recorded payload ``name`` after ``change`` (a function mutating it)."""
    payload = copy.deepcopy(load_payload(name))
    change(payload)
    return payload


SLASH = "slash_command.parsed.json"
CLICK = "block_actions_message_button.json"
SUBMIT = "view_submission.json"
EVENT = "app_home_opened_home_tab.json"
VS = "view_submission"
BLOCK = "view.state.values.hspI"  # the recorded submission's one input block
FIELD = f"{BLOCK}.maBWU"  # and its element's state
BAD_OPTION = "with a field's selected option malformed"


def _set(path: str, value: Any):
    """Return a change setting the dotted ``path`` (creating nothing on the way)."""

    def change(payload: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for part in parents:
            payload = payload[int(part) if part.isdigit() else part]
        payload[last] = value

    return change


def _drop(path: str):
    def change(payload: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for part in parents:
            payload = payload[int(part) if part.isdigit() else part]
        del payload[last]

    return change


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        (SLASH, _drop("user_id"), "slash_command without user_id"),
        (SLASH, _set("command", ""), "slash_command with command empty"),
        (SLASH, _set("trigger_id", None), "slash_command without trigger_id"),
        (SLASH, _set("text", 5), "slash_command with text not a str"),
        (CLICK, _drop("actions"), "block_actions without actions"),
        (CLICK, _set("actions", []), "block_actions with no actions"),
        (CLICK, _set("actions", "vote"), "block_actions with actions not a list"),
        (CLICK, _set("actions", ["vote"]), "block_actions with an action that is not an object"),
        (CLICK, _drop("actions.0.action_id"), "block_actions with an action without action_id"),
        (CLICK, _set("actions.0.value", 7), "block_actions with an action with value not a str"),
        (CLICK, _set("user", "U1"), "block_actions without user.id"),
        (CLICK, _set("channel", "C1"), "block_actions with channel not a dict"),
        (CLICK, _drop("trigger_id"), "block_actions without trigger_id"),
        (SUBMIT, _drop("view.state"), f"{VS} without view.state.values"),
        (SUBMIT, _set("view.state", {"values": []}), f"{VS} with view.state.values not a dict"),
        (SUBMIT, _drop("view.callback_id"), f"{VS} without view.callback_id"),
        (SUBMIT, _drop("view"), f"{VS} without view.id"),
        (SUBMIT, _set("view.private_metadata", {}), f"{VS} with view.private_metadata not a str"),
        (SUBMIT, _set(BLOCK, "x"), f"{VS} with view.state.values not blocks of element states"),
        (SUBMIT, _set(f"{FIELD}.value", ["x"]), f"{VS} with a field's value not a string"),
        (SUBMIT, _set(f"{FIELD}.selected_option", {"value": 1}), f"{VS} {BAD_OPTION}"),
        (SUBMIT, _set(f"{FIELD}.selected_options", [None]), f"{VS} {BAD_OPTION}"),
        (EVENT, _drop("event"), "event_callback without event.type"),
        (EVENT, _set("event.type", 3), "event_callback with event.type not a str"),
        (EVENT, _set("event.user", {"id": "U1"}), "event_callback with event.user not a str"),
        ("url_verification.json", _drop("challenge"), "url_verification without challenge"),
    ],
)  # fmt: skip
def test_a_request_missing_what_bolt_reads_is_named_by_kind_and_field(name, change, expected):
    malformed = shape_problem(broken(name, change))
    assert isinstance(malformed, Malformed)
    assert str(malformed) == expected


def test_a_problem_never_quotes_a_value():
    secret = "Zebedee Quartermaine"
    payload = broken(SUBMIT, _set(f"{FIELD}.value", [secret]))
    payload["view"]["private_metadata"] = secret
    assert secret not in str(shape_problem(payload))


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ([1, 2], "unknown is not an object"),
        ("text", "unknown is not an object"),
        ({}, "unknown has neither a command nor a type"),
        ({"type": 3}, "unknown has neither a command nor a type"),
        ({"text": "a Socket Mode string payload"}, "unknown has neither a command nor a type"),
    ],
)
def test_something_that_is_no_slack_request_at_all_is_refused(payload, expected):
    assert str(shape_problem(payload)) == expected


def test_a_kind_casedesk_has_no_listener_for_goes_on_to_bolt_unchecked():
    assert shape_problem({"type": "shortcut"}) is None
    assert shape_problem({"type": "app_rate_limited", "minute_rate_limited": 1}) is None


def test_slacks_ssl_check_is_its_own_kind():
    payload = {"ssl_check": "1", "token": "x"}
    assert request_kind(payload) == "ssl_check" and shape_problem(payload) is None


@pytest.mark.parametrize(
    ("envelope", "payload", "expected"),
    [
        ("slash_commands", load_payload(CLICK), "block_actions in a slash_commands envelope"),
        ("events_api", load_payload(SLASH), "slash_command in a events_api envelope"),
        ("interactive", load_payload(EVENT), "event_callback in an interactive envelope"),
        ("interactive", broken(CLICK, _drop("actions")), "block_actions without actions"),
    ],
)
def test_a_socket_mode_envelope_must_carry_its_own_kind_in_shape(envelope, payload, expected):
    assert str(envelope_problem(envelope, payload)) == expected
