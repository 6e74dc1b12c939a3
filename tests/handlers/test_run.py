"""``casedesk run``: bad configuration stops start-up with one line; the real server serves."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings
from bot.server import build_runtime, make_socket_mode_handler
from store.migrate import upgrade
from tests.fakes.fixtures import APP_TOKEN, BOT_TOKEN
from tests.fakes.signing import SIGNING_SECRET, post, signed_headers, slash_command_body
from tests.handlers.interactions import ephemeral_answer

CASEDESK = str(Path(sys.executable).parent / "casedesk")


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CASEDESK, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def _env(**values: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **values}


def test_run_with_nothing_configured_names_both_socket_mode_credentials_and_exits_2(tmp_path):
    done = _run(["run"], _env(), tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "casedesk: SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your "
        "Slack app's OAuth & Permissions page; SLACK_APP_TOKEN is not set: create an App-Level "
        "Token (xapp-…) with the connections:write scope on your Slack app's Basic Information "
        "page\n"
    )


def test_run_http_with_nothing_configured_asks_for_the_signing_secret_instead(tmp_path):
    done = _run(["run", "--http"], _env(), tmp_path)
    assert done.returncode == 2
    assert "SLACK_SIGNING_SECRET is not set: copy the Signing Secret" in done.stderr
    assert "SLACK_APP_TOKEN" not in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_a_user_token_in_place_of_the_bot_token_is_named_as_such(tmp_path):
    env = _env(SLACK_BOT_TOKEN="xoxp-1-2-3", SLACK_SIGNING_SECRET="s")
    done = _run(["run", "--http"], env, tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(
        "casedesk: SLACK_BOT_TOKEN must be a bot token starting with xoxb-, not xoxp-…"
    )


def test_settings_come_from_a_dotenv_file_in_the_working_directory(tmp_path):
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-1\nCASEDESK_SWEEP_SECONDS=-1\n")
    done = _run(["run"], _env(), tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("casedesk: CASEDESK_SWEEP_SECONDS must be more than 0")


def test_a_token_slack_refuses_stops_start_up_with_slacks_reason(tmp_path, slack_api):
    slack_api.fail_next("auth.test", error="invalid_auth")
    env = _env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api.base_url,
        DATABASE_URL=f"sqlite:///{tmp_path}/c.db",
    )
    done = _run(["run", "--http", "--port", "0"], env, tmp_path)
    assert done.returncode == 2
    assert done.stderr.endswith(
        "casedesk: Slack refused SLACK_BOT_TOKEN (invalid_auth): copy the Bot User OAuth Token "
        "(xoxb-…) from your Slack app's OAuth & Permissions page\n"
    )


def _migrated(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/c.db"
    upgrade(url)
    return url


def test_the_runtime_sends_every_slack_call_to_slack_api_url(slack_settings, slack_api, tmp_path):
    settings = slack_settings.model_copy(update={"database_url": _migrated(tmp_path)})
    runtime = build_runtime(settings)
    try:
        assert runtime.client.base_url == slack_api.base_url
        assert runtime.app.client.base_url == slack_api.base_url
        runtime.health_check()  # SELECT 1 on the SQLite file
        assert slack_api.methods() == ["auth.test", "auth.test"]  # our check, then Bolt's
    finally:
        runtime.close()


def test_the_socket_mode_client_opens_connections_through_slack_api_url(
    make_bolt_app, slack_settings, slack_api
):
    handler = make_socket_mode_handler(make_bolt_app(), slack_settings)
    assert handler.client.web_client.base_url == slack_api.base_url
    assert handler.client.app_token == APP_TOKEN


def test_an_unreachable_slack_api_url_stops_start_up_with_one_message():
    settings = Settings.from_env(
        {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": "http://127.0.0.1:9/api/"}
    )
    with pytest.raises(ConfigError) as caught:
        build_runtime(settings)
    assert str(caught.value).startswith(
        "cannot reach the Slack Web API at http://127.0.0.1:9/api/ ("
    )


def test_run_http_serves_review_help_and_stops_cleanly_on_sigterm(tmp_path, slack_api):
    env = _env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api.base_url,
        DATABASE_URL=_migrated(tmp_path),
    )
    process = subprocess.Popen(
        [CASEDESK, "run", "--http", "--host", "127.0.0.1", "--port", "0"],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = None
        for line in process.stderr:  # the server logs its address once it listens
            if match := re.search(r"serving Slack at http://127.0.0.1:(\d+)/slack/events", line):
                port = int(match.group(1))
                break
        assert port, "the server never said it was listening"
        body = slash_command_body(text="help", response_url=slack_api.response_url("run"))
        status, headers, text = post(
            f"http://127.0.0.1:{port}/slack/events", body, signed_headers(body)
        )
        assert status == 200
        assert headers["Content-Type"] == "application/json;charset=utf-8"
        assert ephemeral_answer(text)["blocks"][0]["text"]["text"] == "/review commands"
        assert slack_api.calls_to("response_url") == []
        broken = "payload=%7Bnot%20json"  # signed, but Bolt could not parse it: the guard's 400
        events = f"http://127.0.0.1:{port}/slack/events"
        assert post(events, broken, signed_headers(broken))[0] == 400
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        logged = process.stderr.read()
        assert "INFO bot.cli.run: stopped" in logged
        assert "refused a request to the Slack endpoint: payload is not JSON" in logged
        assert "Traceback" not in logged
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()


def test_start_up_on_an_unmigrated_database_says_to_run_db_upgrade(
    slack_settings, slack_api, tmp_path
):
    settings = slack_settings.model_copy(update={"database_url": f"sqlite:///{tmp_path}/new.db"})
    with pytest.raises(ConfigError) as caught:
        build_runtime(settings)
    assert "run `casedesk db upgrade`" in str(caught.value)
    assert "the database is at schema none" in str(caught.value)


def test_start_up_loads_the_board_file_into_the_database(slack_settings, slack_api, tmp_path):
    board_file = Path(__file__).resolve().parents[2] / "examples" / "board.toml"
    settings = slack_settings.model_copy(
        update={"database_url": _migrated(tmp_path), "board_path": board_file}
    )
    runtime = build_runtime(settings)
    try:
        with runtime.uow_factory() as uow:
            board = uow.boards.get("surrey-children")
            assert board is not None and board.protocol == "surrey"
            assert "U0BEN00001" in {m.slack_id for m in uow.members.of_board("surrey-children")}
    finally:
        runtime.close()
