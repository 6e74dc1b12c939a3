"""Settings: read from the environment (and a ``.env`` file) once, validated, frozen.

Nothing is read at import. :meth:`Settings.from_env` reads a mapping (``os.environ`` plus
``.env`` by default) and returns a frozen :class:`Settings`, or raises :class:`ConfigError`
whose one-line message says which variable to set and where its value comes from. A pydantic
traceback never reaches the person starting the bot.

Which Slack credentials are needed depends on the mode: Socket Mode needs ``SLACK_APP_TOKEN``,
HTTP mode ``SLACK_SIGNING_SECRET``; commands that only touch the database need neither. So the
Slack fields are optional here and :meth:`Settings.require` checks the ones a command needs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from bot.domain.errors import InvalidInput

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

_USE_DEFAULT_ENV_FILE = object()

# What each variable is and where a board manager finds its value; used in every error message.
HINTS: dict[str, str] = {
    "SLACK_BOT_TOKEN": (
        "copy the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page"
    ),
    "SLACK_SIGNING_SECRET": (
        "copy the Signing Secret from your Slack app's Basic Information page (App Credentials)"
    ),
    "SLACK_APP_TOKEN": (
        "create an App-Level Token (xapp-…) with the connections:write scope on your Slack app's "
        "Basic Information page"
    ),
    "DATABASE_URL": (
        "give a SQLAlchemy URL such as sqlite:///casedesk.db or "
        "postgresql+psycopg://user:password@host/dbname"
    ),
    "CASEDESK_BOARD": "give the path of your board file (TOML), for example boards/surrey.toml",
    "SLACK_API_URL": "give the Slack Web API base URL, normally https://slack.com/api/",
    "CASEDESK_SWEEP_SECONDS": "give how often the reminder sweep runs, in seconds (default 60)",
    "LOG_LEVEL": "choose one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
}


class ConfigError(InvalidInput):
    """Configuration is missing or malformed; the message says what to set.

    A subclass of :class:`~bot.domain.errors.DomainError`, so the CLI prints it as one line and
    exits with status 2.
    """


class Settings(BaseSettings):
    """The bot's configuration. Build it with :meth:`from_env`; it is frozen.

    Attributes:
        slack_bot_token: ``SLACK_BOT_TOKEN``, the bot token (``xoxb-``).
        slack_signing_secret: ``SLACK_SIGNING_SECRET``, verifies HTTP requests from Slack.
        slack_app_token: ``SLACK_APP_TOKEN``, the app-level token (``xapp-``) for Socket Mode.
        database_url: ``DATABASE_URL``, a SQLAlchemy URL.
        board_path: ``CASEDESK_BOARD``, the board file, when set.
        slack_api_url: ``SLACK_API_URL``, the Web API base URL, always ending in ``/``.
        sweep_seconds: ``CASEDESK_SWEEP_SECONDS``, the reminder sweep's period.
        log_level: ``LOG_LEVEL``.
    """

    model_config = SettingsConfigDict(
        frozen=True,
        extra="ignore",
        case_sensitive=True,
        env_ignore_empty=True,
        populate_by_name=True,
    )

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    database_url: str = Field(default="sqlite:///casedesk.db", validation_alias="DATABASE_URL")
    board_path: Path | None = Field(default=None, validation_alias="CASEDESK_BOARD")
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")
    sweep_seconds: float = Field(default=60.0, gt=0, validation_alias="CASEDESK_SWEEP_SECONDS")
    log_level: LogLevel = Field(default="INFO", validation_alias="LOG_LEVEL")

    _ENV_NAMES: ClassVar[dict[str, str]] = {
        "slack_bot_token": "SLACK_BOT_TOKEN",
        "slack_signing_secret": "SLACK_SIGNING_SECRET",
        "slack_app_token": "SLACK_APP_TOKEN",
        "database_url": "DATABASE_URL",
        "board_path": "CASEDESK_BOARD",
        "slack_api_url": "SLACK_API_URL",
        "sweep_seconds": "CASEDESK_SWEEP_SECONDS",
        "log_level": "LOG_LEVEL",
    }

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **_sources):  # noqa: D102
        # Only from_env reads the environment, and only from the mapping it is given.
        return (init_settings,)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        env_file: str | os.PathLike[str] | None | object = _USE_DEFAULT_ENV_FILE,
    ) -> Settings:
        """Read and validate the configuration.

        Args:
            environ: the variables to read; ``None`` reads ``os.environ``.
            env_file: a ``.env`` file whose values apply where ``environ`` has none. By default
                ``.env`` in the working directory when reading ``os.environ``, and no file when
                ``environ`` is given (so tests see exactly the mapping they pass).

        Raises:
            ConfigError: a value is malformed; the message names every bad variable.
        """
        if env_file is _USE_DEFAULT_ENV_FILE:
            env_file = ".env" if environ is None else None
        merged: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():  # type: ignore[arg-type]
            merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        merged.update(os.environ if environ is None else environ)
        try:
            return cls(**_MappingSource(cls, merged)())
        except ValidationError as err:
            raise ConfigError(_explain(err)) from None

    def require(self, *names: str) -> None:
        """Check that the variables a command needs are set.

        Args:
            names: environment variable names, e.g. ``"SLACK_BOT_TOKEN"``.

        Raises:
            ConfigError: naming every missing variable and where to find its value.
        """
        fields = {env: name for name, env in self._ENV_NAMES.items()}
        missing = [n for n in names if getattr(self, fields[n]) is None]
        if missing:
            raise ConfigError("; ".join(f"{n} is not set: {HINTS[n]}" for n in missing))

    @property
    def bot_token(self) -> str:
        """Return the bot token's value (``SLACK_BOT_TOKEN``), checked to be set."""
        self.require("SLACK_BOT_TOKEN")
        return self.slack_bot_token.get_secret_value()  # type: ignore[union-attr]

    @property
    def signing_secret(self) -> str:
        """Return the signing secret's value (``SLACK_SIGNING_SECRET``), checked to be set."""
        self.require("SLACK_SIGNING_SECRET")
        return self.slack_signing_secret.get_secret_value()  # type: ignore[union-attr]

    @property
    def app_token(self) -> str:
        """Return the app-level token's value (``SLACK_APP_TOKEN``), checked to be set."""
        self.require("SLACK_APP_TOKEN")
        return self.slack_app_token.get_secret_value()  # type: ignore[union-attr]

    # -- validators: each ValueError's text becomes part of the ConfigError --------------------

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_prefix(cls, value: SecretStr | None) -> SecretStr | None:
        return _check_prefix(value, "xoxb-", "a bot token")

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_prefix(cls, value: SecretStr | None) -> SecretStr | None:
        return _check_prefix(value, "xapp-", "an app-level token")

    @field_validator("slack_signing_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value() != value.get_secret_value().strip():
            raise ValueError("has spaces around it (copy it again without them)")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url  # lazy: only validation needs SQLAlchemy
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except ArgumentError:
            # Not echoed: a database URL can carry a password.
            raise ValueError("is not a database URL") from None
        return value

    @field_validator("board_path")
    @classmethod
    def _board_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{str(value)!r} is not a file")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL")
        # WebClient joins method names onto the base URL: without the slash, the last path
        # segment (``api``) would be replaced.
        return value if value.endswith("/") else value + "/"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value


class _MappingSource(EnvSettingsSource):
    """pydantic-settings' environment source, reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = dict(environ)
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._environ, True, True, None)


def _check_prefix(value: SecretStr | None, prefix: str, what: str) -> SecretStr | None:
    if value is None:
        return None
    secret = value.get_secret_value()
    if not secret.startswith(prefix):
        # Show only the prefix the person pasted: a token must never reach a log or a terminal.
        shown = secret.split("-", 1)[0] + "-…" if "-" in secret[:6] else "something else"
        raise ValueError(f"must be {what} starting with {prefix}, not {shown}")
    return value


def _explain(err: ValidationError) -> str:
    """Turn pydantic's errors into one line: each bad variable, what is wrong, what to set."""
    parts = []
    for e in err.errors(include_url=False, include_input=False):
        env = str(e["loc"][0]) if e["loc"] else "configuration"
        message = str(e.get("ctx", {}).get("error") or e["msg"])
        if e["type"] == "float_parsing":
            message = "must be a number of seconds"
        elif e["type"] == "greater_than":
            message = "must be more than 0"
        elif e["type"] == "literal_error":
            message = "is not a log level"
        parts.append(f"{env} {message}: {HINTS.get(env, 'check its value')}")
    return "; ".join(parts)
