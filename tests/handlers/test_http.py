"""The HTTP server: Slack's signature checked, the URL check answered, /healthz, 404s."""

from __future__ import annotations

import json
import time

import pytest

from bot.server import make_wsgi_app
from tests.fakes.signing import (
    SIGNING_SECRET,
    get,
    load_payload,
    post,
    signed_headers,
    slash_command_body,
)
from tests.fakes.wsgi_server import serving
from tests.handlers.interactions import ephemeral_answer


@pytest.fixture
def server(make_bolt_app):
    wsgi = make_wsgi_app(make_bolt_app(), signing_secret=SIGNING_SECRET, health_check=lambda: None)
    with serving(wsgi) as url:
        yield url


@pytest.fixture
def help_body(slack_api):
    return slash_command_body(text="help", response_url=slack_api.response_url("http"))


def test_a_signed_review_help_over_http_is_answered_in_the_http_response(
    server, slack_api, help_body
):
    status, headers, text = post(f"{server}/slack/events", help_body, signed_headers(help_body))
    assert status == 200
    assert headers["Content-Type"] == "application/json;charset=utf-8"
    reply = ephemeral_answer(text)
    assert reply["response_type"] == "ephemeral"
    assert reply["blocks"][0]["block_id"] == "help_header"
    assert reply["blocks"][1]["text"]["text"].startswith("*`/review refer`*\nRefer a case")
    assert slack_api.calls_to("response_url") == []  # one round trip: the answer is the ack


def test_a_tampered_body_is_refused_with_401_and_reaches_no_listener(server, slack_api, help_body):
    headers = signed_headers(help_body)
    tampered = help_body.replace("text=help", "text=hel")
    status, _, _ = post(f"{server}/slack/events", tampered, headers)
    assert status == 401
    assert slack_api.calls_to("response_url") == []


def test_a_request_signed_more_than_five_minutes_ago_is_refused_with_401(
    server, slack_api, help_body
):
    headers = signed_headers(help_body, timestamp=int(time.time()) - 301)
    status, _, _ = post(f"{server}/slack/events", help_body, headers)
    assert status == 401
    assert slack_api.calls_to("response_url") == []


def test_a_request_without_a_signature_is_refused_with_401(server, help_body):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, _ = post(f"{server}/slack/events", help_body, headers)
    assert status == 401


def test_a_request_signed_with_another_secret_is_refused_with_401(server, help_body):
    status, _, _ = post(
        f"{server}/slack/events", help_body, signed_headers(help_body, "not-our-secret")
    )
    assert status == 401


def test_slacks_url_verification_challenge_is_answered(server):
    body = json.dumps(load_payload("url_verification.json"))
    status, headers, text = post(f"{server}/slack/events", body, signed_headers(body))
    assert status == 200
    assert json.loads(text) == {"challenge": load_payload("url_verification.json")["challenge"]}


def test_healthz_answers_ok(server):
    status, headers, text = get(f"{server}/healthz")
    assert (status, json.loads(text)) == (200, {"status": "ok"})
    assert headers["Content-Type"] == "application/json"


def test_healthz_answers_503_when_the_database_does_not(make_bolt_app):
    def broken() -> None:
        raise ConnectionError("database down")

    wsgi = make_wsgi_app(make_bolt_app(), signing_secret=SIGNING_SECRET, health_check=broken)
    with serving(wsgi) as url:
        status, _, text = get(f"{url}/healthz")
    assert (status, json.loads(text)) == (503, {"status": "unavailable"})


@pytest.mark.parametrize("path", ["/", "/slack/install", "/healthz/x", "/admin"])
def test_any_other_path_is_not_found(server, path):
    assert get(f"{server}{path}")[0] == 404


def test_a_get_on_the_events_path_is_not_found(server):
    assert get(f"{server}/slack/events")[0] == 404


def test_an_app_without_a_signing_secret_refuses_every_http_request(slack_api, help_body):
    from bot.app import create_app
    from bot.clock import SystemClock
    from bot.config import Settings
    from bot.slack.client import make_web_client

    settings = Settings.from_env(
        {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack_api.base_url}
    )
    app = create_app(
        settings, client=make_web_client(settings), uow_factory=lambda: None, clock=SystemClock()
    )
    with serving(make_wsgi_app(app, signing_secret=None)) as url:
        status, _, _ = post(f"{url}/slack/events", help_body, signed_headers(help_body))
    assert status == 401
