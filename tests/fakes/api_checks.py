"""Check a Web API call the way Slack would: its method spec, then Block Kit.

The specs are ``tests/fixtures/slack-api-specs/<method>.json`` (copied from slack-ruby/
slack-api-ref): required arguments present, no argument the method does not take. Block Kit
arguments go through :mod:`tests.fakes.block_kit`. Used by :mod:`tests.fakes.slack_api`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from tests.fakes.block_kit import message_problems, view_problems

SPEC_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "slack-api-specs"

# Arguments whose JSON-encoded string form is decoded before checks and recording.
_JSON_ARGS = ("blocks", "view", "attachments", "metadata")
# "One of these is required" rules the specs state only in prose.
_ONE_OF = {
    "views.open": ("trigger_id", "interactivity_pointer"),
    "views.push": ("trigger_id", "interactivity_pointer"),
    "views.update": ("view_id", "external_id"),
    "conversations.open": ("channel", "users"),
    "chat.postMessage": ("text", "blocks", "attachments", "markdown_text"),
    "chat.postEphemeral": ("text", "blocks", "attachments", "markdown_text"),
}
_MESSAGE_METHODS = ("chat.postMessage", "chat.postEphemeral", "chat.update")
# Message metadata (https://docs.slack.dev/messaging/message-metadata): a JSON object with an
# event_type string and an event_payload object; "entities" is Work Object metadata.
_METADATA_METHODS = ("chat.postMessage", "chat.update")
_METADATA_FIELDS = ("event_type", "event_payload", "entities")
# Accepted by every method though few specs list it: Bolt's per-request client adds the
# request's team_id to each call (for org-wide installs), and Slack accepts it.
_ALWAYS_ALLOWED = ("token", "team_id")
# Methods called with the app-level token (xapp-), which take no argument but the token: Socket
# Mode's apps.connections.open (Slack's docs: "Generate a temporary Socket Mode WebSocket URL").
_APP_TOKEN_METHODS = ("apps.connections.open",)
_RESPONSE_URL_ARGS = {
    "text",
    "blocks",
    "attachments",
    "response_type",
    "replace_original",
    "delete_original",
    "thread_ts",
    "mrkdwn",
    "unfurl_links",
    "unfurl_media",
    "metadata",
}


@cache
def method_spec(method: str) -> dict[str, Any] | None:
    """Return the copied spec of ``method``, or None when tests/fixtures has none."""
    path = SPEC_DIR / f"{method}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def check_call(method: str, args: dict[str, Any], headers: dict[str, str]) -> list[str]:
    """Return what is wrong with a call, against its spec and Block Kit."""
    if method in _APP_TOKEN_METHODS:
        return _app_token_problems(args, headers)
    spec = method_spec(method)
    if spec is None:
        return [f"no spec for {method} in {SPEC_DIR.name}/ (copy it there if the bot uses it)"]
    problems = []
    auth = headers.get("authorization", "")
    if not (auth.startswith("Bearer xoxb-") or str(args.get("token", "")).startswith("xoxb-")):
        problems.append("no bot token (Authorization: Bearer xoxb-…)")
    known = spec["args"].get("properties", {})
    required = [a for a in spec["args"].get("required", []) if a != "token"]
    problems += [f"missing required argument {a!r}" for a in required if args.get(a) is None]
    problems += [
        f"unknown argument {a!r}" for a in args if a not in known and a not in _ALWAYS_ALLOWED
    ]
    one_of = _ONE_OF.get(method)
    if one_of and not any(args.get(a) not in (None, "") for a in one_of):
        problems.append(f"needs one of {', '.join(one_of)}")
    for a in _JSON_ARGS:
        if isinstance(args.get(a), Undecodable):
            problems.append(f"{a} is not valid JSON")
    if method in _MESSAGE_METHODS:
        problems += message_problems(args.get("blocks"), text=args.get("text"))
    if method in _METADATA_METHODS and args.get("metadata") is not None:
        problems += metadata_problems(args["metadata"], removable=method == "chat.update")
    if method.startswith("views.") and isinstance(args.get("view"), dict):
        problems += view_problems(args["view"])
    return problems


def metadata_problems(metadata: Any, *, removable: bool = False) -> list[str]:
    """Return what is wrong with a message's ``metadata`` argument.

    Args:
        metadata: the decoded argument (an undecodable one is reported by :func:`check_call`).
        removable: ``{}`` is allowed (chat.update's spec: "To remove previous metadata, include
            an empty object for this field").
    """
    if isinstance(metadata, Undecodable) or (removable and metadata == {}):
        return []
    if not isinstance(metadata, dict):
        return ["metadata must be a JSON object with event_type and event_payload"]
    problems = [f"metadata has unknown field {k!r}" for k in metadata if k not in _METADATA_FIELDS]
    event_type = metadata.get("event_type")
    if not isinstance(event_type, str) or not event_type.strip():
        problems.append("metadata.event_type must be a non-empty string")
    if not isinstance(metadata.get("event_payload"), dict):
        problems.append("metadata.event_payload must be a JSON object")
    return problems


def _app_token_problems(args: dict[str, Any], headers: dict[str, str]) -> list[str]:
    problems = []
    auth = headers.get("authorization", "")
    if not (auth.startswith("Bearer xapp-") or str(args.get("token", "")).startswith("xapp-")):
        problems.append("no app-level token (Authorization: Bearer xapp-…)")
    return problems + [f"unknown argument {a!r}" for a in args if a not in _ALWAYS_ALLOWED]


def check_response_url(args: dict[str, Any]) -> list[str]:
    """Return what is wrong with a POST to a response_url (Bolt's ``respond``)."""
    problems = [f"unknown response_url field {a!r}" for a in args if a not in _RESPONSE_URL_ARGS]
    if args.get("response_type") not in (None, "ephemeral", "in_channel"):
        problems.append(f"response_type {args['response_type']!r} is not ephemeral/in_channel")
    if not any(args.get(a) for a in ("text", "blocks", "attachments", "delete_original")):
        problems.append("a response needs text or blocks")
    return problems + message_problems(args.get("blocks"), text=args.get("text"))


class Undecodable(str):
    """A JSON argument that did not parse (kept as given, flagged by check_call)."""


def decode_json_args(args: dict[str, Any]) -> dict[str, Any]:
    """Decode ``blocks``, ``view``… sent as JSON strings (form bodies) in place; return args."""
    for a in _JSON_ARGS:
        if isinstance(args.get(a), str):
            try:
                args[a] = json.loads(args[a])
            except json.JSONDecodeError:
                args[a] = Undecodable(args[a])
    return args
