"""The fake Slack Web API records calls, answers like Slack, and refuses what Slack would."""

from __future__ import annotations

import threading
import time
from http.client import RemoteDisconnected

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from tests.fakes.slack_api import DROPPED, FakeSlackApi

TOKEN = "xoxb-test-token"
SECTION = {"type": "section", "block_id": "one", "text": {"type": "mrkdwn", "text": "Hello"}}


@pytest.fixture
def fake():
    with FakeSlackApi() as api:
        yield api


@pytest.fixture
def client(fake):
    return WebClient(token=TOKEN, base_url=fake.base_url, retry_handlers=[])


def test_a_message_is_recorded_with_its_decoded_blocks_and_answered_with_a_ts(fake, client):
    first = client.chat_postMessage(channel="C0CASEREV01", text="Hello", blocks=[SECTION])
    second = client.chat_postMessage(channel="C0CASEREV01", text="Again", blocks=[SECTION])
    call = fake.last("chat.postMessage")
    assert call.args == {"channel": "C0CASEREV01", "text": "Again", "blocks": [SECTION]}
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert first["channel"] == "C0CASEREV01" and float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == [SECTION]
    assert fake.violations == []


def test_form_encoded_and_get_arguments_are_recorded_too(fake, client):
    client.conversations_open(users="U0BEN00001")
    client.users_info(user="U0BEN00001")
    assert fake.last("conversations.open").args == {"users": "U0BEN00001"}
    assert fake.last("users.info").args == {"user": "U0BEN00001"}
    assert fake.methods() == ["conversations.open", "users.info"]


def test_a_dm_channel_is_d_and_the_users_id_tail(client):
    assert client.conversations_open(users="U0BEN00001")["channel"]["id"] == "D0BEN00001"


def test_a_view_is_answered_with_an_id_and_checked(fake, client):
    view = {
        "type": "modal",
        "callback_id": "referral_modal",
        "title": {"type": "plain_text", "text": "Refer a case"},
        "submit": {"type": "plain_text", "text": "Refer"},
        "blocks": [
            {
                "type": "input",
                "block_id": "summary",
                "label": {"type": "plain_text", "text": "Summary"},
                "element": {"type": "plain_text_input", "action_id": "field", "multiline": True},
            }
        ],
    }
    opened = client.views_open(trigger_id="111.222.abc", view=view)
    assert opened["view"]["id"].startswith("V")
    assert opened["view"]["callback_id"] == "referral_modal"
    assert fake.last("views.open").args["view"] == view
    assert fake.violations == []


def _many(n: int) -> list[dict]:
    return [SECTION | {"block_id": f"b{i}"} for i in range(n)]


def _modal(title: str = "T") -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": [SECTION]}


MISSPELT = {"type": "section", "txt": {"type": "mrkdwn", "text": "x"}}

REFUSED = {
    "unknown-arg": (
        lambda c: c.chat_postMessage(channel="C1", text="x", colour="red"),
        "unknown argument 'colour'",
    ),
    "missing-required": (
        lambda c: c.api_call("chat.postEphemeral", json={"channel": "C1", "text": "x"}),
        "missing required argument 'user'",
    ),
    "no-content": (lambda c: c.chat_postMessage(channel="C1"), "needs one of text, blocks"),
    "no-fallback": (
        lambda c: c.chat_postMessage(channel="C1", blocks=[SECTION]),
        "blocks given without a text fallback",
    ),
    "duplicate-block-id": (
        lambda c: c.chat_update(channel="C1", ts="1.2", text="x", blocks=[SECTION, SECTION]),
        "block_id 'one' is used twice",
    ),
    "too-many-blocks": (
        lambda c: c.chat_postMessage(channel="C1", text="x", blocks=_many(51)),
        "51 blocks; a message holds 50",
    ),
    "malformed-block": (
        lambda c: c.chat_postMessage(channel="C1", text="x", blocks=[MISSPELT]),
        "text or fields attribute must be specified",
    ),
    "misspelt-field": (
        lambda c: c.chat_postMessage(channel="C1", text="x", blocks=[SECTION | {"colour": 1}]),
        "blocks[0].colour: not a Block Kit field",
    ),
    "unknown-block": (
        lambda c: c.chat_postMessage(channel="C1", text="x", blocks=[{"type": "sparkle"}]),
        "unknown block type 'sparkle'",
    ),
    "long-title": (
        lambda c: c.views_open(trigger_id="t", view=_modal("A title longer than Slack allows")),
        "title must be between 1 and 24",
    ),
    "no-trigger": (lambda c: c.views_open(view=_modal()), "needs one of trigger_id"),
    "too-many-view-blocks": (
        lambda c: c.views_publish(user_id="U1", view={"type": "home", "blocks": _many(101)}),
        "between 1 and 100 blocks",
    ),
    "unknown-method": (
        lambda c: c.api_call("chat.meMessage", json={"channel": "C1", "text": "x"}),
        "no spec for chat.meMessage",
    ),
    "metadata-not-an-object": (
        lambda c: c.chat_postMessage(channel="C1", text="x", metadata=["casedesk_outbox"]),
        "metadata must be a JSON object with event_type and event_payload",
    ),
    "metadata-without-event-type": (
        lambda c: c.chat_postMessage(channel="C1", text="x", metadata={"event_payload": {}}),
        "metadata.event_type must be a non-empty string",
    ),
    "metadata-payload-not-an-object": (
        lambda c: c.chat_update(
            channel="C1", ts="1.2", text="x", metadata={"event_type": "t", "event_payload": 7}
        ),
        "metadata.event_payload must be a JSON object",
    ),
    "metadata-misspelt-field": (
        lambda c: c.chat_postMessage(
            channel="C1", text="x", metadata={"event_type": "t", "payload": {"outbox_id": 1}}
        ),
        "metadata has unknown field 'payload'",
    ),
    "metadata-not-json": (
        lambda c: c.api_call(
            "chat.postMessage", params={"channel": "C1", "text": "x", "metadata": "{event"}
        ),
        "metadata is not valid JSON",
    ),
}


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
@pytest.mark.parametrize(("call", "violation"), REFUSED.values(), ids=REFUSED.keys())
def test_a_call_slack_would_refuse_is_recorded_as_a_violation_and_refused(
    fake, client, call, violation
):
    with pytest.raises(SlackApiError) as caught:
        call(client)
    assert caught.value.response["error"] == "invalid_arguments"
    assert any(violation in v for v in fake.violations), fake.violations
    assert violation in str(caught.value.response["response_metadata"]["messages"])


def test_a_call_without_a_bot_token_is_a_violation(fake):
    anonymous = WebClient(base_url=fake.base_url, retry_handlers=[])
    with pytest.raises(SlackApiError):
        anonymous.chat_postMessage(channel="C1", text="x")
    assert fake.violations == ["chat.postMessage: no bot token (Authorization: Bearer xoxb-…)"]


def test_a_scripted_error_is_answered_once_as_ok_false(fake, client):
    fake.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C1", text="x")
    assert caught.value.response["error"] == "channel_not_found"
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True
    assert fake.violations == []


def test_a_scripted_server_error_has_its_status(fake, client):
    fake.fail_next("chat.update", status=503)
    with pytest.raises(SlackApiError) as caught:
        client.chat_update(channel="C1", ts="1.2", text="x")
    assert caught.value.response.status_code == 503


def test_a_scripted_error_page_is_served_as_html_with_its_status(fake):
    client = WebClient(token=TOKEN, base_url=fake.base_url, retry_handlers=[])
    page = "<html><body>502 Bad Gateway</body></html>"
    fake.fail_next("chat.postMessage", status=502, body=page, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as caught:
            client.chat_postMessage(channel="C1", text="x")
        assert caught.value.response.status_code == 502
        headers = {k.lower(): v for k, v in caught.value.response.headers.items()}
        assert headers["content-type"].startswith("text/html")
    assert [c.response for c in fake.calls_to("chat.postMessage")] == [{"raw": page}] * 2
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True


def test_a_scripted_drop_closes_the_connection_unanswered_once(fake, client):
    fake.fail_next("conversations.open", drop=True)
    with pytest.raises(RemoteDisconnected):
        client.conversations_open(users="U0BEN00001")
    assert client.conversations_open(users="U0BEN00001")["channel"]["id"] == "D0BEN00001"
    calls = fake.calls_to("conversations.open")
    assert [(c.status, c.response) for c in calls[:1]] == [(DROPPED, {})]
    assert [c.args for c in calls] == [{"users": "U0BEN00001"}] * 2


def test_a_failure_must_say_how_it_fails(fake):
    with pytest.raises(ValueError, match="non-200"):
        fake.fail_next("chat.postMessage")
    with pytest.raises(ValueError, match="accept_then_drop answers nothing"):
        fake.fail_next("chat.postMessage", accept_then_drop=True, status=500)


def test_accept_then_drop_posts_the_message_and_then_closes_the_connection_unanswered(fake, client):
    fake.fail_next("chat.postMessage", accept_then_drop=True)
    metadata = {"event_type": "casedesk_outbox", "event_payload": {"outbox_id": 42}}

    with pytest.raises(RemoteDisconnected):
        client.chat_postMessage(channel="D0BEN00001", text="Reminder", metadata=metadata)
    after = client.chat_postMessage(channel="D0BEN00001", text="Next")

    [dropped, answered] = fake.calls_to("chat.postMessage")
    assert (dropped.status, answered.status) == (DROPPED, 200)
    posted = fake.messages_in("D0BEN00001")
    assert [(m["ts"], m["text"]) for m in posted] == [
        (dropped.response["ts"], "Reminder"),
        (after["ts"], "Next"),
    ]
    assert posted[0]["metadata"] == metadata and "metadata" not in posted[1]


def test_a_plain_drop_posts_nothing(fake, client):
    fake.fail_next("chat.postMessage", drop=True)
    with pytest.raises(RemoteDisconnected):
        client.chat_postMessage(channel="C0CASEREV01", text="Lost")
    assert fake.messages_in("C0CASEREV01") == []
    assert fake.last("chat.postMessage").response == {}


def test_a_rate_limit_carries_retry_after_and_the_clients_retry_handler_succeeds(fake):
    client = WebClient(
        token=TOKEN, base_url=fake.base_url, retry_handlers=[RateLimitErrorRetryHandler(1)]
    )
    fake.fail_next("chat.postMessage", status=429, headers={"Retry-After": "0"})
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True
    calls = fake.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[0].response == {"ok": False, "error": "ratelimited"}


def test_a_response_url_post_is_recorded_and_checked(fake):
    hook = WebhookClient(fake.response_url())
    hook.send(text="Hello", blocks=[SECTION], response_type="ephemeral")
    assert fake.last("response_url").args == {
        "text": "Hello",
        "blocks": [SECTION],
        "response_type": "ephemeral",
    }
    WebhookClient(fake.response_url()).send(blocks=[SECTION], response_type="loud")
    assert fake.violations == [
        "response_url: response_type 'loud' is not ephemeral/in_channel",
        "response_url: blocks given without a text fallback (notifications, screen readers)",
    ]


def test_apps_connections_open_wants_the_app_level_token_and_answers_the_socket_url(fake, client):
    fake.socket_mode_url = "ws://127.0.0.1:9/link/?ticket=t"
    app_client = WebClient(base_url=fake.base_url, retry_handlers=[])
    assert app_client.apps_connections_open(app_token="xapp-1-A-1-x")["url"] == fake.socket_mode_url
    assert fake.violations == []
    with pytest.raises(SlackApiError):
        client.apps_connections_open(app_token=TOKEN)  # a bot token is not an app-level one
    assert fake.violations == [
        "apps.connections.open: no app-level token (Authorization: Bearer xapp-…)"
    ]
    fake.violations.clear()


# -- slow answers ------------------------------------------------------------------------------

SLOW = 1.0  # seconds; the calls that are not delayed answer in a small fraction of it


def test_a_delayed_method_answers_late_without_holding_up_other_calls(fake, client):
    fake.delay(["chat.postMessage", "chat.update", "views.publish"], SLOW)
    answers: dict = {}
    posting = threading.Thread(
        target=lambda: answers.update(post=client.chat_postMessage(channel="C1", text="slow"))
    )
    started = time.monotonic()
    posting.start()

    opened = client.conversations_open(users="U0BEN00001")
    quick = time.monotonic() - started
    still_waiting = posting.is_alive()
    posting.join(timeout=10)
    slow = time.monotonic() - started

    assert opened["channel"]["id"] == "D0BEN00001" and quick < SLOW
    assert still_waiting and slow >= SLOW
    assert answers["post"]["ts"] == fake.last("chat.postMessage").response["ts"]


def test_a_delay_of_zero_removes_it(fake, client):
    fake.delay("chat.postMessage", SLOW)
    fake.delay("chat.postMessage", 0)

    started = time.monotonic()
    client.chat_postMessage(channel="C1", text="fast again")

    assert time.monotonic() - started < SLOW
    with pytest.raises(ValueError, match="negative"):
        fake.delay("chat.update", -1)


def test_a_delayed_post_is_applied_at_once_so_a_client_that_times_out_was_posted(fake):
    impatient = WebClient(token=TOKEN, base_url=fake.base_url, timeout=0.2, retry_handlers=[])
    fake.delay("chat.postMessage", SLOW)

    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel="C0CASEREV01", text="Reminder")

    assert [m["text"] for m in fake.messages_in("C0CASEREV01")] == ["Reminder"]
