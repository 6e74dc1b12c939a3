"""``casedesk run`` over Socket Mode, end to end: the real process against local fakes.

The fake Web API answers ``apps.connections.open`` with the URL of a local WebSocket server
(:mod:`tests.fakes.socket_mode`); the bot's Socket Mode client (slack_sdk's built-in one, through
``slack_bolt.adapter.socket_mode``) connects there. The server pushes recorded slash-command
envelopes; the bot acknowledges each over the socket by its ``envelope_id``, with the command's
answer as the acknowledgement's ``payload``, and makes the Web API call its handler makes.
"""

from __future__ import annotations

import copy
import queue
import signal
import subprocess
from pathlib import Path
from typing import Any

from messages.ids import CallbackId
from tests.fakes.fixtures import APP_TOKEN, BOT_TOKEN
from tests.fakes.signing import CHANNEL_ID, TEAM_ID, load_payload
from tests.fakes.socket_mode import FakeSocketModeServer
from tests.handlers.interactions import BEN, ephemeral_answer
from tests.handlers.test_run import CASEDESK, _env, _migrated

BOARD_FILE = Path(__file__).resolve().parents[2] / "examples" / "board.toml"
WAIT = 30.0
"""Seconds to wait for start-up or an answer before failing (never slept through)."""


def slash_envelope(envelope_id: str, text: str, *, user: str, response_url: str) -> dict[str, Any]:
    """Return the recorded ``slash_commands`` envelope as ``/review <text>`` from ``user``."""
    [recorded] = [
        e for e in load_payload("socket_mode_envelopes.json") if e["type"] == "slash_commands"
    ]
    envelope = copy.deepcopy(recorded)
    envelope["envelope_id"] = envelope_id
    envelope["payload"].update(
        command="/review",
        text=text,
        user_id=user,
        channel_id=CHANNEL_ID,
        team_id=TEAM_ID,
        response_url=response_url,
        trigger_id=f"{envelope_id}.trigger",
    )
    return envelope


def acknowledgement(socket_mode: FakeSocketModeServer, envelope_id: str) -> dict[str, Any]:
    """Return the client's message acknowledging ``envelope_id`` (fail after ``WAIT`` s)."""
    try:
        return socket_mode.receive(timeout=WAIT)
    except queue.Empty:
        raise AssertionError(f"no acknowledgement of {envelope_id} within {WAIT} s") from None


def test_casedesk_run_serves_slash_commands_over_socket_mode(tmp_path, slack_api):
    log = tmp_path / "casedesk.log"
    with FakeSocketModeServer() as socket_mode, log.open("w") as stderr:
        slack_api.socket_mode_url = socket_mode.url
        env = _env(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_APP_TOKEN=APP_TOKEN,
            SLACK_API_URL=slack_api.base_url,
            DATABASE_URL=_migrated(tmp_path),
            CASEDESK_BOARD=str(BOARD_FILE),
        )
        process = subprocess.Popen([CASEDESK, "run"], env=env, cwd=tmp_path, stderr=stderr)
        try:
            assert socket_mode.wait_connected(WAIT), f"never connected:\n{log.read_text()}"
            opened = slack_api.last("apps.connections.open")
            assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"
            assert opened.response == {"ok": True, "url": socket_mode.url}

            help_url = slack_api.response_url("socket-help")
            socket_mode.send(slash_envelope("env-help", "help", user=BEN, response_url=help_url))
            acked = acknowledgement(socket_mode, "env-help")
            assert acked.keys() == {"envelope_id", "payload"}
            assert acked["envelope_id"] == "env-help"
            answer = ephemeral_answer(acked["payload"])
            assert answer["blocks"][0]["text"]["text"] == "/review commands"
            assert answer["text"].startswith("/review commands: /review refer")
            assert slack_api.calls_to("response_url") == []  # the answer rode in the ack

            refer_url = slack_api.response_url("socket-refer")
            socket_mode.send(slash_envelope("env-refer", "refer", user=BEN, response_url=refer_url))
            # A modal subcommand is acknowledged empty: the modal is its answer.
            assert acknowledgement(socket_mode, "env-refer") == {"envelope_id": "env-refer"}
            modal = slack_api.last("views.open")
            assert modal.args["trigger_id"] == "env-refer.trigger"
            assert modal.args["view"]["callback_id"] == CallbackId.REFERRAL_MODAL
            assert modal.headers["authorization"] == f"Bearer {BOT_TOKEN}"

            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=WAIT) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    output = log.read_text()
    assert "connected to Slack over Socket Mode" in output
    assert "INFO bot.cli.run: stopped" in output
    assert APP_TOKEN not in output and BOT_TOKEN not in output  # the ws URL is logged, not tokens
    assert socket_mode.connections == 1


def test_casedesk_run_drops_a_malformed_envelope_and_keeps_serving(tmp_path, slack_api):
    log = tmp_path / "casedesk.log"
    with FakeSocketModeServer() as socket_mode, log.open("w") as stderr:
        slack_api.socket_mode_url = socket_mode.url
        env = _env(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_APP_TOKEN=APP_TOKEN,
            SLACK_API_URL=slack_api.base_url,
            DATABASE_URL=_migrated(tmp_path),
        )
        process = subprocess.Popen([CASEDESK, "run"], env=env, cwd=tmp_path, stderr=stderr)
        try:
            assert socket_mode.wait_connected(WAIT), f"never connected:\n{log.read_text()}"
            click = copy.deepcopy(load_payload("block_actions_message_button.json"))
            del click["actions"]
            socket_mode.send({"envelope_id": "env-bad", "type": "interactive", "payload": click})
            assert acknowledgement(socket_mode, "env-bad") == {"envelope_id": "env-bad"}
            help_url = slack_api.response_url("socket-help")
            socket_mode.send(slash_envelope("env-help", "help", user=BEN, response_url=help_url))
            answer = acknowledgement(socket_mode, "env-help")["payload"]
            assert ephemeral_answer(answer)["blocks"][0]["text"]["text"] == "/review commands"
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=WAIT) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    output = log.read_text()
    assert output.count("dropped a Socket Mode") == 1
    assert (
        "WARNING bot.slack.socket_guard: dropped a Socket Mode interactive envelope: malformed "
        "block_actions without actions" in output
    )
    assert "Traceback" not in output and "ERROR" not in output
