"""Start the bot: build everything from settings, then serve Socket Mode or HTTP.

``casedesk run`` (Socket Mode) and ``casedesk run --http`` (``POST /slack/events`` on waitress)
share :func:`build_runtime`, which makes the engine, the unit-of-work factory, the Web API
client and the Bolt app, checking the bot token with Slack first and then that the database
answers, so a wrong token or an unreachable database stops start-up with one clear message
rather than failing on the first request.

Every request to ``POST /slack/events`` passes :mod:`bot.slack.http_guard` first (the signature,
then the request's shape); Socket Mode envelopes pass :mod:`bot.slack.socket_guard` (the
shape). The HTTP server also answers ``GET /healthz`` (``{"status": "ok"}``, after a
``SELECT 1``) for load balancers; every other path is a 404.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.app import create_app
from bot.clock import Clock, SystemClock
from bot.config import HINTS, ConfigError, Settings
from bot.slack.client import make_web_client
from bot.slack.http_guard import WsgiApp, guard_slack_requests
from bot.slack.socket_guard import GuardedSocketModeHandler
from store.uow import UowFactory

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_REQUEST_BYTES = 4 * 1024 * 1024
"""Largest request body accepted; a modal's state with 100 long inputs fits many times over."""

HealthCheck = Callable[[], None]
"""Raises when the bot cannot serve (the database does not answer)."""


@dataclass
class Runtime:
    """Everything a running bot holds; made by :func:`build_runtime`, closed by ``close``.

    Attributes:
        settings: the configuration.
        engine: the SQLAlchemy engine.
        uow_factory: makes a unit of work on ``engine``.
        client: the Web API client every Slack call goes through.
        app: the Bolt app.
        clock: the clock.
        sender: the one sender of owed messages (its loop started by ``casedesk run``).
    """

    settings: Settings
    engine: Any
    uow_factory: UowFactory
    client: WebClient
    app: App
    clock: Clock
    sender: Any

    def health_check(self) -> None:
        """Raise unless the database answers ``SELECT 1``."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def close(self) -> None:
        """Stop the sender after its current message, then release the database connections."""
        self.sender.stop()
        self.engine.dispose()


def check_settings(settings: Settings, *, http: bool) -> None:
    """Check that the credentials the chosen mode needs are set.

    Raises:
        ConfigError: naming each missing variable and where to find it.
    """
    second = "SLACK_SIGNING_SECRET" if http else "SLACK_APP_TOKEN"
    settings.require("SLACK_BOT_TOKEN", second)


def build_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    """Make the engine, unit of work, client and app, checking the bot token and the database.

    Raises:
        ConfigError: Slack refused the token, the Web API could not be reached, or the database
            did not answer.
    """
    # Imported here: the store (SQLAlchemy, models) loads only when the bot starts.
    from bot.notify.owed import owing
    from bot.notify.sender import Sender
    from bot.slack.gateway import SlackGateway
    from store.db import make_engine
    from store.uow import make_uow_factory

    client = make_web_client(settings)
    verify_token(client, settings)
    check_database(settings.database_url)
    engine = make_engine(settings.database_url)
    plain = make_uow_factory(engine)
    clock = clock or SystemClock()
    check_schema(engine)
    if settings.board_path is not None:
        sync_board_at_start(settings.board_path, uow_factory=plain, clock=clock)
    # The process's one gateway: the sender sleeps through a channel's spacing up to 2 s.
    sender = Sender(plain, SlackGateway(client, max_wait=2.0), clock)
    uow_factory = owing(plain, clock, sender.wake)
    app = create_app(settings, client=client, uow_factory=plain, clock=clock, sender=sender)
    return Runtime(settings, engine, uow_factory, client, app, clock, sender)


def check_database(url: str) -> None:
    """Refuse to start unless the database answers ``SELECT 1`` (connecting for seconds at most).

    Raises:
        ConfigError: naming ``DATABASE_URL`` (its password hidden) and why it did not answer, the
            driver's exception class and a short reason (never the driver's message).
    """
    from sqlalchemy.exc import SQLAlchemyError

    from store.db import probe, shown_url
    from store.outage import describe_error

    try:
        probe(url)
    except (SQLAlchemyError, ImportError) as err:
        raise ConfigError(
            f"cannot connect to the database at DATABASE_URL={shown_url(url)} "
            f"({describe_error(err)}): check that it is running and that DATABASE_URL is right "
            f"({HINTS['DATABASE_URL']})"
        ) from None


def check_schema(engine: Any) -> None:
    """Refuse to start on a database that has not been migrated to the code's schema.

    Raises:
        ConfigError: the database is behind (or ahead of) the migrations this code ships.
    """
    from store.migrate import current_revision, head_revision

    current, head = current_revision(engine), head_revision()
    if current != head:
        raise ConfigError(
            f"the database is at schema {current or 'none'}, this casedesk needs {head}: "
            "run `casedesk db upgrade` (or `make run`, which does it for you)"
        )


def sync_board_at_start(path: Any, *, uow_factory: Any, clock: Clock) -> None:
    """Load the board file into the database, as ``casedesk board sync`` does (idempotent).

    Raises:
        BoardFileError: the file is broken; the message names the file, line and field.
    """
    from bot.services.boards import sync_board_file

    with uow_factory() as uow:
        outcome = sync_board_file(path, uow=uow, now=clock.now())
    logger.info(
        "board file synced at start-up: %d board(s) created, %d updated, %d member(s) changed",
        len(outcome.boards_created),
        len(outcome.boards_updated),
        len(outcome.members_added + outcome.members_updated + outcome.members_deactivated),
    )


def verify_token(client: WebClient, settings: Settings) -> dict[str, Any]:
    """Ask Slack who the token belongs to (``auth.test``), turning failures into ConfigError."""
    try:
        return client.auth_test().data  # type: ignore[return-value]
    except SlackApiError as err:
        code = err.response.get("error", f"HTTP {err.response.status_code}")
        raise ConfigError(
            f"Slack refused SLACK_BOT_TOKEN ({code}): {HINTS['SLACK_BOT_TOKEN']}"
        ) from None
    except (URLError, OSError) as err:
        reason = getattr(err, "reason", None) or type(err).__name__
        raise ConfigError(
            f"cannot reach the Slack Web API at {settings.slack_api_url} ({reason}): check the "
            f"network, or SLACK_API_URL ({HINTS['SLACK_API_URL']})"
        ) from None


# -- HTTP ------------------------------------------------------------------------------------


def make_wsgi_app(
    app: App, *, signing_secret: str | None, health_check: HealthCheck | None = None
) -> WsgiApp:
    """Return the WSGI application: Bolt at ``POST /slack/events``, ``GET /healthz``, else 404.

    Each request to Bolt passes :func:`bot.slack.http_guard.guard_slack_requests` first: a 401 when
    its signature (``X-Slack-Signature``, timestamp within 5 minutes) does not match, a 400 when
    it cannot be parsed or lacks what Bolt reads, a 413 beyond ``MAX_REQUEST_BYTES``.

    Args:
        app: the Bolt app.
        signing_secret: the Slack app's signing secret; None refuses every request.
        health_check: raises when the bot cannot serve; ``/healthz`` then answers 503.
    """
    slack = guard_slack_requests(
        SlackRequestHandler(app, path=EVENTS_PATH),
        signing_secret=signing_secret,
        max_bytes=MAX_REQUEST_BYTES,
    )

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == EVENTS_PATH and method == "POST":
            return slack(environ, start_response)
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return _health(health_check, start_response)
        return _reply(start_response, "404 Not Found", {"error": "not_found"})

    return wsgi


def signing_secret(settings: Settings) -> str | None:
    """Return the signing secret HTTP requests are verified with (None: not set)."""
    secret = settings.slack_signing_secret
    return secret.get_secret_value() if secret is not None else None


def _health(check: HealthCheck | None, start_response: Callable[..., Any]) -> Iterable[bytes]:
    try:
        if check is not None:
            check()
    except Exception as err:
        logger.warning("health check failed: %s", type(err).__name__)
        return _reply(start_response, "503 Service Unavailable", {"status": "unavailable"})
    return _reply(start_response, "200 OK", {"status": "ok"})


def _reply(start_response: Callable[..., Any], status: str, body: dict) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def make_http_server(
    wsgi_app: WsgiApp, *, host: str = "0.0.0.0", port: int = 3000, threads: int = 8
) -> Any:
    """Return a waitress server for ``wsgi_app`` (``port=0`` picks a free port); call ``run``."""
    import waitress  # imported here: only HTTP mode needs it

    return waitress.create_server(
        wsgi_app,
        host=host,
        port=port,
        threads=threads,
        ident="casedesk",
        max_request_body_size=MAX_REQUEST_BYTES,
        clear_untrusted_proxy_headers=True,
    )


def serve_http(runtime: Runtime, *, host: str, port: int) -> None:
    """Serve ``POST /slack/events`` and ``GET /healthz`` until interrupted."""
    wsgi_app = make_wsgi_app(
        runtime.app,
        signing_secret=signing_secret(runtime.settings),
        health_check=runtime.health_check,
    )
    try:
        server = make_http_server(wsgi_app, host=host, port=port)
    except (OSError, socket.gaierror) as err:
        raise ConfigError(
            f"cannot listen on {host}:{port} ({err.strerror or err}): choose another --port "
            "or --host"
        ) from None
    logger.info("serving Slack at http://%s:%s%s", host, server.effective_port, EVENTS_PATH)
    server.run()


# -- Socket Mode -----------------------------------------------------------------------------


def make_socket_mode_handler(app: App, settings: Settings) -> GuardedSocketModeHandler:
    """Return the Socket Mode handler; its client opens connections through ``app.client``.

    The Socket Mode client calls ``apps.connections.open`` with the app-level token through the
    Web API client it is given: the app's own, so ``SLACK_API_URL`` applies to it too. A
    malformed envelope is acknowledged and dropped before Bolt sees it
    (:mod:`bot.slack.socket_guard`).
    """
    return GuardedSocketModeHandler(app, app_token=settings.app_token, web_client=app.client)


def serve_socket_mode(runtime: Runtime) -> None:
    """Connect to Slack over Socket Mode and handle requests until interrupted."""
    handler = make_socket_mode_handler(runtime.app, runtime.settings)
    try:
        handler.connect()
    except SlackApiError as err:
        code = err.response.get("error", f"HTTP {err.response.status_code}")
        raise ConfigError(
            f"Slack refused SLACK_APP_TOKEN ({code}): {HINTS['SLACK_APP_TOKEN']}"
        ) from None
    logger.info("connected to Slack over Socket Mode")
    try:
        _wait_forever()
    finally:
        handler.close()


def _wait_forever() -> None:
    threading.Event().wait()
