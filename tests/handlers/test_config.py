"""Settings: defaults, validation, .env files, and one clear message per mistake."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings
from bot.domain.errors import DomainError


def test_defaults_apply_when_nothing_is_set():
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///casedesk.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.sweep_seconds == 60
    assert settings.log_level == "INFO"
    assert settings.slack_bot_token is None and settings.board_path is None


def test_values_are_read_from_the_mapping_given_and_normalised(tmp_path):
    board = tmp_path / "board.toml"
    board.write_text("")
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
            "SLACK_APP_TOKEN": "xapp-1-A1-abc",
            "SLACK_SIGNING_SECRET": "s3cret",
            "DATABASE_URL": "postgresql+psycopg://casedesk@db/casedesk",
            "CASEDESK_BOARD": str(board),
            "SLACK_API_URL": "http://127.0.0.1:8888/api",
            "CASEDESK_SWEEP_SECONDS": "15",
            "LOG_LEVEL": "debug",
        }
    )
    assert settings.bot_token == "xoxb-1-2-abc"
    assert settings.app_token == "xapp-1-A1-abc"
    assert settings.signing_secret == "s3cret"
    assert settings.database_url == "postgresql+psycopg://casedesk@db/casedesk"
    assert settings.board_path == board
    assert settings.slack_api_url == "http://127.0.0.1:8888/api/"  # the slash WebClient needs
    assert settings.sweep_seconds == 15
    assert settings.log_level == "DEBUG"


def test_settings_are_frozen():
    settings = Settings.from_env({})
    with pytest.raises(ValueError):
        settings.sweep_seconds = 1  # type: ignore[misc]


def test_tokens_never_appear_in_the_settings_repr():
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-very-secret"})
    assert "very-secret" not in repr(settings)


def test_an_empty_variable_counts_as_unset():
    assert Settings.from_env({"SLACK_APP_TOKEN": "", "LOG_LEVEL": ""}).log_level == "INFO"


def test_a_dotenv_file_fills_in_what_the_environment_does_not_set(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("SLACK_BOT_TOKEN=xoxb-from-file\nLOG_LEVEL=WARNING\n")
    settings = Settings.from_env({"LOG_LEVEL": "ERROR"}, env_file=env_file)
    assert settings.bot_token == "xoxb-from-file"
    assert settings.log_level == "ERROR"  # the environment wins over the file


def test_an_explicit_mapping_ignores_the_dotenv_file_in_the_working_directory(
    tmp_path, monkeypatch
):
    (tmp_path / ".env").write_text("LOG_LEVEL=ERROR\n")
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({}).log_level == "INFO"
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    assert Settings.from_env().log_level == "WARNING"


def test_reading_os_environ_also_reads_dotenv_in_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("CASEDESK_SWEEP_SECONDS=5\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CASEDESK_SWEEP_SECONDS", raising=False)
    assert Settings.from_env().sweep_seconds == 5


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"SLACK_BOT_TOKEN": "xoxp-123-user"},
            "SLACK_BOT_TOKEN must be a bot token starting with xoxb-, not xoxp-…: copy the Bot "
            "User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page",
        ),
        ({"SLACK_APP_TOKEN": "xoxb-123"}, "SLACK_APP_TOKEN must be an app-level token starting"),
        ({"CASEDESK_SWEEP_SECONDS": "soon"}, "CASEDESK_SWEEP_SECONDS must be a number of seconds"),
        ({"CASEDESK_SWEEP_SECONDS": "0"}, "CASEDESK_SWEEP_SECONDS must be more than 0"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL is not a log level: choose one of DEBUG"),
        ({"DATABASE_URL": "casedesk.db"}, "DATABASE_URL is not a database URL: give a SQLAlchemy"),
        ({"CASEDESK_BOARD": "/no/such/board.toml"}, "CASEDESK_BOARD '/no/such/board.toml' is not"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL 'slack.com/api' is not an http(s) URL"),
    ],
    ids=[
        "user-token",
        "bot-token-as-app-token",
        "sweep-text",
        "sweep-zero",
        "log-level",
        "database-url",
        "board-missing",
        "api-url",
    ],
)
def test_a_bad_value_gives_one_line_naming_the_variable_and_what_to_set(env, expected):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    message = str(caught.value)
    assert message.startswith(expected)
    assert "\n" not in message and "pydantic" not in message and "validation error" not in message


def test_several_bad_values_are_reported_together():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"SLACK_BOT_TOKEN": "nonsense", "LOG_LEVEL": "x"})
    message = str(caught.value)
    assert "SLACK_BOT_TOKEN must be a bot token starting with xoxb-, not something else" in message
    assert "; LOG_LEVEL is not a log level" in message


def test_a_bad_token_is_never_echoed_back():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxp-1234-secretpart"})
    assert "secretpart" not in str(caught.value)


def test_a_database_url_with_a_password_is_never_echoed_back():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"DATABASE_URL": "not a url hunter2"})
    assert "hunter2" not in str(caught.value)


def test_require_names_every_missing_variable_and_where_to_find_it():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({}).require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    assert str(caught.value) == (
        "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your Slack "
        "app's OAuth & Permissions page; SLACK_SIGNING_SECRET is not set: copy the Signing "
        "Secret from your Slack app's Basic Information page (App Credentials)"
    )


def test_a_config_error_is_a_domain_error_so_the_cli_prints_one_line_and_exits_2():
    assert issubclass(ConfigError, DomainError)


def test_reading_a_token_that_is_not_set_raises_a_config_error():
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN is not set"):
        _ = Settings.from_env({}).app_token
