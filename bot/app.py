"""Wire the Bolt app: its client, its collaborators, its listeners and its error handler.

Nothing happens at import. :func:`create_app` builds a new app each time it is called, so a test
can build as many as it likes, each against its own fake Slack API and database.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient

import handlers
from bot.clock import Clock
from bot.config import Settings
from bot.notify.owed import owing
from bot.notify.sender import Sender
from bot.slack.gateway import SlackGateway
from handlers.context import CONTEXT_KEY, Deps
from handlers.errors import handle_error
from store.uow import UowFactory


def create_app(
    settings: Settings,
    *,
    client: WebClient,
    uow_factory: UowFactory,
    clock: Clock,
    sender: Sender | None = None,
) -> App:
    """Build the Bolt app.

    Listeners reach their collaborators through ``deps_of(context)``
    (:mod:`handlers.context`): a global middleware puts one :class:`~handlers.context.Deps`
    into every request's context.

    ``process_before_response=True``, in both modes: Bolt runs the whole listener before it
    answers Slack, instead of answering at ``ack()`` and finishing in a background thread. So
    a failure reaches the error handler while the request is still open (a modal can still show
    it), nothing is lost when an instance stops between the acknowledgement and the work (several
    instances run behind a load balancer), and tests see every Slack call once ``dispatch``
    returns, with no waiting. The cost: a listener must finish inside Slack's 3 seconds, which a
    listener does: it runs one transaction and answers; whatever else its step owes Slack (the
    card, DMs, App Homes) is written to the outbox in that transaction and sent by the sender.

    With a running sender loop (``casedesk run``) the commit wakes it and the listener never
    waits for Slack. Without one (tests, a script), what a request owed is sent on the request's
    thread once its listener has answered, so a test sees every call once ``dispatch`` returns.

    Args:
        settings: the configuration; its signing secret verifies HTTP requests.
        client: the Web API client, from :func:`bot.slack.client.make_web_client`.
        uow_factory: makes a unit of work (``store``), without commit hooks: the app's own
            owe what their use cases change (:func:`bot.notify.owed.owing`).
        clock: the clock listeners read the time from.
        sender: the process's sender; None: one over ``client``, unspaced, drained per request.

    Raises:
        slack_bolt.error.BoltError: Slack refused the client's token (``auth.test``).
    """
    if sender is None:
        sender = Sender(uow_factory, SlackGateway(client, min_interval_per_channel=0.0), clock)
    app = _App(
        sender,
        client=client,
        signing_secret=_signing_secret(settings),
        process_before_response=True,
        name="casedesk",
    )
    deps = Deps(
        settings=settings,
        uow_factory=owing(uow_factory, clock, sender.wake),
        clock=clock,
        sender=sender,
    )
    app.use(_injecting(deps))
    app.error(handle_error)
    handlers.register_all(app)
    return app


def _signing_secret(settings: Settings) -> str:
    """Return the secret that verifies HTTP requests.

    Without a signing secret (Socket Mode needs none) an unguessable one is used, so an HTTP
    request can never pass verification: the app fails closed.
    """
    if settings.slack_signing_secret is not None:
        return settings.slack_signing_secret.get_secret_value()
    return secrets.token_hex(32)


def _injecting(deps: Deps) -> Callable[..., None]:
    """Return the global middleware that puts ``deps`` into every request's context."""

    def inject_deps(context, next) -> None:  # noqa: A002 - Bolt passes it by this name
        context[CONTEXT_KEY] = deps
        next()

    return inject_deps


class _App(App):
    """Bolt's app, which sends what a request owed once it is answered if no sender loop runs.

    Bolt runs global middleware before the listener, so the sending cannot be a middleware: it
    follows :meth:`dispatch`, which every adapter (HTTP, Socket Mode) and test calls.
    """

    def __init__(self, sender: Sender, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sender = sender

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        """Answer the request; then, with no sender loop to wake, send what it owed."""
        response = super().dispatch(req)
        if not self._sender.running:
            self._sender.drain_if_woken()
        return response
