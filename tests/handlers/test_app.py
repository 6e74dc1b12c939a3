"""create_app: explicit wiring, collaborators in the context, a client honouring SLACK_API_URL."""

from __future__ import annotations

import io
import logging
from datetime import datetime
from types import SimpleNamespace

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.clock import FixedClock
from bot.logs import SafeFormatter
from bot.slack.client import (
    PostSafeConnectionErrorRetryHandler,
    PostSafeServerErrorRetryHandler,
    make_web_client,
)
from handlers.context import deps_of
from tests.fakes.signing import bolt_request, slash_command_body


def test_a_listener_reaches_the_clock_and_unit_of_work_through_its_context(
    make_bolt_app, slack_api
):
    opened = []
    app = make_bolt_app(
        uow_factory=lambda read_only=False: opened.append("uow") or SimpleNamespace(name="uow"),
        clock=FixedClock(datetime(2026, 3, 2, 9, 30)),
    )

    @app.command("/when")
    def handle_when_command(ack, respond, context):
        ack()
        deps = deps_of(context)
        respond(text=f"{deps.clock.now():%Y-%m-%d %H:%M} with {deps.uow_factory().name}")

    body = slash_command_body(text="", command="/when", response_url=slack_api.response_url())
    app.dispatch(bolt_request(body))
    assert slack_api.last("response_url").args["text"] == "2026-03-02 09:30 with uow"
    assert opened == ["uow"]


def test_two_apps_built_side_by_side_keep_their_own_collaborators(make_bolt_app, slack_api):
    first = make_bolt_app(clock=FixedClock(datetime(2026, 1, 5, 9, 0)))
    second = make_bolt_app(clock=FixedClock(datetime(2027, 1, 5, 9, 0)))
    for app in (first, second):

        @app.command("/year")
        def handle_year_command(ack, respond, context):
            ack()
            respond(text=str(deps_of(context).clock.today().year))

    body = slash_command_body(text="", command="/year", response_url=slack_api.response_url())
    first.dispatch(bolt_request(body))
    second.dispatch(bolt_request(body))
    assert [c.args["text"] for c in slack_api.calls_to("response_url")] == ["2026", "2027"]


def test_the_web_client_points_at_slack_api_url_and_retries_once(slack_settings, slack_api):
    client = make_web_client(slack_settings)
    assert client.base_url == slack_api.base_url
    assert [type(h) for h in client.retry_handlers] == [
        RateLimitErrorRetryHandler,
        PostSafeServerErrorRetryHandler,  # never resends a post Slack may have taken
        PostSafeConnectionErrorRetryHandler,  # never resends a post Slack may have taken
    ]
    assert isinstance(client.retry_handlers[1], ServerErrorRetryHandler)
    assert isinstance(client.retry_handlers[2], ConnectionErrorRetryHandler)
    assert all(h.max_retry_count == 1 for h in client.retry_handlers)


def test_a_server_error_on_a_post_is_not_retried_by_the_client(slack_settings, slack_api):
    """Slack may have posted it: the outbox looks for it in the history before posting again."""
    slack_api.fail_next("chat.postMessage", status=500)
    with pytest.raises(SlackApiError) as raised:
        make_web_client(slack_settings).chat_postMessage(channel="C0CASEREV01", text="hello")
    assert raised.value.response.status_code == 500
    assert [c.status for c in slack_api.calls_to("chat.postMessage")] == [500]
    assert slack_api.messages_in("C0CASEREV01") == []


def test_a_server_error_on_an_update_or_a_publish_is_retried_once_by_the_client(
    slack_settings, slack_api
):
    client = make_web_client(slack_settings)
    slack_api.fail_next("chat.update", status=500)
    client.chat_update(channel="C0CASEREV01", ts="1767000000.000100", text="hello")
    assert [c.status for c in slack_api.calls_to("chat.update")] == [500, 200]
    slack_api.fail_next("views.publish", status=500)
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}],
    }
    client.views_publish(user_id="U0BEN00001", view=home)
    assert [c.status for c in slack_api.calls_to("views.publish")] == [500, 200]


def test_a_second_server_error_on_an_update_outlasts_the_clients_one_retry(
    slack_settings, slack_api
):
    slack_api.fail_next("chat.update", status=500, times=2)
    with pytest.raises(SlackApiError):
        make_web_client(slack_settings).chat_update(
            channel="C0CASEREV01", ts="1767000000.000100", text="hello"
        )
    assert [c.status for c in slack_api.calls_to("chat.update")] == [500, 500]


def _record_of(error: BaseException) -> logging.LogRecord:
    try:
        raise error
    except BaseException as caught:  # noqa: BLE001 - building a record for any exception
        info = (type(caught), caught, caught.__traceback__)
        return logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, info)


def test_logged_tracebacks_keep_the_frames_but_not_the_exception_message():
    text = SafeFormatter("%(message)s").format(_record_of(ValueError("Jordan, 12 Elm Road")))
    assert "Elm Road" not in text and "Jordan" not in text
    assert "builtins.ValueError" in text and "_record_of" in text


def test_logged_slack_api_errors_keep_slacks_error_code(slack_settings, slack_api):
    slack_api.fail_next("chat.postMessage", error="channel_not_found")
    subject = "Jordan"
    try:
        make_web_client(slack_settings).chat_postMessage(channel="C0GONE0001", text=subject)
    except SlackApiError as err:
        text = SafeFormatter("%(message)s").format(_record_of(err))
    assert "channel_not_found (HTTP 200)" in text and "Jordan" not in text


def test_a_logged_slack_error_with_a_non_json_body_does_not_quote_the_body(
    slack_settings, slack_api
):
    slack_api.fail_next("chat.postMessage", status=200, body="<html>Jordan, 12 Elm Road</html>")
    try:
        make_web_client(slack_settings).chat_postMessage(channel="C0CASEREV01", text="hello")
    except SlackApiError as err:
        assert "Jordan" in str(err.response.get("error"))  # slack_sdk quotes the body here
        text = SafeFormatter("%(message)s").format(_record_of(err))
    assert "Jordan" not in text and "Elm Road" not in text
    assert "SlackApiError: ? (HTTP 200)" in text


def test_configure_logging_keeps_slack_libraries_quiet_at_debug(monkeypatch):
    from bot.logs import configure_logging

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    for name in ("slack_sdk", "slack_bolt", "urllib3"):
        monkeypatch.setattr(logging.getLogger(name), "level", logging.getLogger(name).level)
    configure_logging("DEBUG", stream=io.StringIO())
    assert root.level == logging.DEBUG
    assert logging.getLogger("slack_sdk").level == logging.INFO
    assert logging.getLogger("slack_bolt").level == logging.INFO
