"""Wire the Bolt app: its client, its collaborators, its listeners and its error handler.

Nothing happens at import. :func:`create_app` builds a new app each time it is called, so a test
can build as many as it likes, each against its own fake Slack API and database.
"""

from __future__ import annotations

import secrets

from slack_bolt import App
from slack_sdk import WebClient

import handlers
from bot.clock import Clock
from bot.config import Settings
from bot.deps import CONTEXT_KEY, Deps, UowFactory, listener_gateway
from handlers.errors import handle_error


def create_app(
    settings: Settings,
    *,
    client: WebClient,
    uow_factory: UowFactory,
    clock: Clock,
) -> App:
    """Build the Bolt app.

    Listeners reach their collaborators through ``deps_of(context)`` (:mod:`bot.deps`): a global
    middleware puts one :class:`~bot.deps.Deps` into every request's context.

    ``process_before_response=True``, in both modes: Bolt runs the whole listener before it
    answers Slack, instead of answering at ``ack()`` and finishing in a background thread. So
    a failure reaches the error handler while the request is still open (a modal can still show
    it), nothing is lost when an instance stops between the acknowledgement and the work (several
    instances run behind a load balancer), and tests see every Slack call once ``dispatch``
    returns, with no waiting. The cost: a listener must finish inside Slack's 3 seconds, which a
    listener that does one transaction and one Slack call does; the client retries at most once.

    Args:
        settings: the configuration; its signing secret verifies HTTP requests.
        client: the Web API client, from :func:`bot.slack_client.make_web_client`.
        uow_factory: makes a unit of work (``store``).
        clock: the clock listeners read the time from.

    Raises:
        slack_bolt.error.BoltError: Slack refused the client's token (``auth.test``).
    """
    app = App(
        client=client,
        # Without a signing secret (Socket Mode needs none) an unguessable one is used, so an
        # HTTP request can never pass verification: the app fails closed.
        signing_secret=(
            settings.slack_signing_secret.get_secret_value()
            if settings.slack_signing_secret is not None
            else secrets.token_hex(32)
        ),
        process_before_response=True,
        name="casedesk",
    )
    deps = Deps(
        settings=settings,
        uow_factory=uow_factory,
        clock=clock,
        gateway=listener_gateway(client),
    )

    def inject_deps(context, next) -> None:  # noqa: A002 - Bolt passes it by this name
        context[CONTEXT_KEY] = deps
        next()

    app.use(inject_deps)
    app.error(handle_error)
    handlers.register_all(app)
    return app
