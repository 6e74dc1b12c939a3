"""manifest.yaml creates a Slack app with everything the code needs, and nothing missing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from messages.ids import Command
from tests.fakes.api_checks import method_spec

ROOT = Path(__file__).resolve().parents[2]
# Web API calls in our code: client.chat_postMessage(...), client.conversations_open(...), ...
CALL = re.compile(
    r"\.(?P<family>chat|views|conversations|users|auth|reactions|team|usergroups|pins|files|apps)"
    r"_(?P<name>[a-zA-Z]+)\("
)


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yaml").read_text(encoding="utf-8"))


def web_api_methods_called() -> set[str]:
    """Return every Web API method the shipped code calls, found in its source."""
    found = set()
    for package in ("bot", "handlers", "store", "messages"):
        for path in (ROOT / package).rglob("*.py"):
            for match in CALL.finditer(path.read_text(encoding="utf-8")):
                found.add(f"{match['family']}.{match['name']}")
    return found


def test_the_manifest_registers_the_review_command_with_a_usage_hint(manifest):
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == Command.REVIEW
    assert command["usage_hint"] == (
        "refer | status REF | list [open|overdue|mine] | decide REF | extend REF | help"
    )
    assert command["should_escape"] is False  # mentions arrive as IDs we can check


def test_the_manifest_enables_interactivity_the_home_tab_and_app_home_opened(manifest):
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert settings["org_deploy_enabled"] is False


def test_the_manifest_has_a_bot_user_and_a_long_description_slack_accepts(manifest):
    assert manifest["features"]["bot_user"]["display_name"] == "casedesk"
    assert 175 <= len(manifest["display_information"]["long_description"]) <= 4000
    assert len(manifest["display_information"]["description"]) <= 140


def test_the_code_calls_the_web_api_methods_this_test_knows_about():
    # Guards the scan below: if it found nothing, the scope check would pass vacuously.
    assert {"chat.postMessage", "chat.postEphemeral", "conversations.open", "auth.test"} <= (
        web_api_methods_called()
    )


@pytest.mark.parametrize("method", sorted(web_api_methods_called()))
def test_the_manifest_grants_a_bot_scope_for_every_web_api_method_the_code_calls(manifest, method):
    spec = method_spec(method)
    assert spec is not None, f"copy {method}.json into tests/fixtures/slack-api-specs/"
    needed = spec["scope"].get("bot", []) if spec["scope"] else []
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    assert not needed or granted & set(needed), f"{method} needs one of {needed}"


def test_the_manifest_lets_casedesk_read_history_wherever_it_posts_and_nowhere_else(manifest):
    # conversations.history takes one scope per kind of conversation; casedesk looks up its own
    # messages in the board's channel (public or private) and in its DMs, never in group DMs.
    assert "conversations.history" in web_api_methods_called()
    kinds = set(method_spec("conversations.history")["scope"]["bot"])
    granted = set(manifest["oauth_config"]["scopes"]["bot"]) & kinds
    assert granted == {"channels:history", "groups:history", "im:history"}


# Scopes granted before the code that uses them lands, each with its reason. Remove an entry
# when its call arrives (the scan then covers it), or the scope if the call never does.
AHEAD_OF_THE_CODE = {
    "users:read": "users.info: check board members named in the board file exist (board sync)",
}


def test_the_manifest_asks_for_no_scope_the_code_does_not_use(manifest):
    used = {"commands", *AHEAD_OF_THE_CODE}  # commands: the slash command itself
    for method in web_api_methods_called():
        spec = method_spec(method) or {}
        used |= set((spec.get("scope") or {}).get("bot", []))
    assert set(manifest["oauth_config"]["scopes"]["bot"]) <= used
