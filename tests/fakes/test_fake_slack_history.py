"""The fake Slack keeps each conversation's messages and reads them back as conversations.history.

Checked against Slack's spec (``tests/fixtures/slack-api-specs/conversations.history.json``):
newest first, ``limit``, ``oldest``/``latest`` excluded unless ``inclusive``, cursor paging,
``metadata`` only with ``include_all_metadata``, Slack's error codes; and chat.update's rule
that a message keeps its metadata unless the update gives new metadata or ``{}``.
"""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.slack_api import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID, FakeSlackApi, dm_channel

TOKEN = "xoxb-test-token"
CHANNEL = "C0CASEREV01"


@pytest.fixture
def fake():
    with FakeSlackApi() as api:
        yield api
    assert api.violations == []


@pytest.fixture
def client(fake):
    return WebClient(token=TOKEN, base_url=fake.base_url, retry_handlers=[])


def outbox(row: int) -> dict:
    return {"event_type": "casedesk_outbox", "event_payload": {"outbox_id": row}}


def post(client: WebClient, text: str, *, channel: str = CHANNEL, **kwargs) -> str:
    return client.chat_postMessage(channel=channel, text=text, **kwargs)["ts"]


def test_history_is_newest_first_and_shows_the_bots_messages_as_slack_does(client):
    first = post(client, "Card SCR-2026-003")
    second = post(client, "Vote opened")

    history = client.conversations_history(channel=CHANNEL)

    assert [m["ts"] for m in history["messages"]] == [second, first]
    assert history["messages"][0] == {
        "type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "app_id": APP_ID,
        "team": TEAM_ID, "ts": second, "text": "Vote opened", "blocks": [],
    }  # fmt: skip
    assert history["has_more"] is False
    assert "response_metadata" not in history.data


def test_metadata_is_shown_only_with_include_all_metadata(client):
    post(client, "Reminder", metadata=outbox(7))

    [plain] = client.conversations_history(channel=CHANNEL)["messages"]
    [full] = client.conversations_history(channel=CHANNEL, include_all_metadata=True)["messages"]

    assert "metadata" not in plain
    assert full["metadata"] == outbox(7)


def test_a_cursor_walks_the_whole_history_a_page_at_a_time(fake, client):
    posted = [post(client, f"message {n}") for n in range(5)]
    pages, cursor = [], None

    while True:
        page = client.conversations_history(channel=CHANNEL, limit=2, cursor=cursor)
        pages.append(([m["ts"] for m in page["messages"]], page["has_more"]))
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not page["has_more"]:
            break

    new = posted[::-1]
    assert pages == [(new[0:2], True), (new[2:4], True), (new[4:], False)]
    assert cursor is None
    assert fake.last("conversations.history").args["limit"] == "2"


def test_oldest_and_latest_are_excluded_unless_inclusive(client):
    ts = [post(client, f"message {n}") for n in range(4)]

    between = client.conversations_history(channel=CHANNEL, oldest=ts[0], latest=ts[3])
    with_ends = client.conversations_history(
        channel=CHANNEL, oldest=ts[0], latest=ts[3], inclusive=True
    )

    assert [m["ts"] for m in between["messages"]] == [ts[2], ts[1]]
    assert [m["ts"] for m in with_ends["messages"]] == [ts[3], ts[2], ts[1], ts[0]]


def test_paging_keeps_to_oldest(client):
    ts = [post(client, f"message {n}") for n in range(5)]

    first = client.conversations_history(channel=CHANNEL, oldest=ts[1], limit=2)
    cursor = first["response_metadata"]["next_cursor"]
    second = client.conversations_history(channel=CHANNEL, oldest=ts[1], limit=2, cursor=cursor)

    assert ([m["ts"] for m in first["messages"]], first["has_more"]) == ([ts[4], ts[3]], True)
    assert ([m["ts"] for m in second["messages"]], second["has_more"]) == ([ts[2]], False)


def test_an_update_changes_the_message_and_keeps_its_metadata_unless_told(fake, client):
    ts = post(client, "Card v1", metadata=outbox(1))

    client.chat_update(channel=CHANNEL, ts=ts, text="Card v2")
    kept = fake.messages_in(CHANNEL)[0]
    client.chat_update(channel=CHANNEL, ts=ts, text="Card v3", metadata=outbox(2))
    replaced = fake.messages_in(CHANNEL)[0]
    client.chat_update(channel=CHANNEL, ts=ts, text="Card v4", metadata={})
    removed = fake.messages_in(CHANNEL)[0]

    assert (kept["text"], kept["metadata"]) == ("Card v2", outbox(1))
    assert (replaced["text"], replaced["metadata"]) == ("Card v3", outbox(2))
    assert removed["text"] == "Card v4" and "metadata" not in removed
    assert removed["edited"] == {"user": BOT_USER_ID, "ts": ts}
    assert len(fake.messages_in(CHANNEL)) == 1


def test_a_dm_opened_with_conversations_open_is_a_conversation_and_a_user_id_is_not(client):
    dm = client.conversations_open(users="U0BEN00001")["channel"]["id"]
    ts = post(client, "Your reminder", channel=dm, metadata=outbox(3))

    history = client.conversations_history(channel=dm, include_all_metadata=True)
    with pytest.raises(SlackApiError) as caught:
        client.conversations_history(channel="U0BEN00001")

    assert dm == dm_channel("U0BEN00001")
    assert [(m["ts"], m["metadata"]) for m in history["messages"]] == [(ts, outbox(3))]
    assert caught.value.response["error"] == "channel_not_found"
    assert client.conversations_history(channel="C0NEVERUSED")["messages"] == []


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"cursor": "not-a-cursor"}, "invalid_cursor"),
        ({"oldest": "yesterday"}, "invalid_ts_oldest"),
        ({"latest": "-5"}, "invalid_ts_latest"),
    ],
)
def test_a_bad_cursor_or_timestamp_is_refused_with_slacks_error(client, args, error):
    post(client, "message")
    with pytest.raises(SlackApiError) as caught:
        client.conversations_history(channel=CHANNEL, **args)
    assert caught.value.response["error"] == error


def test_a_message_someone_else_posted_shows_with_its_author(fake, client):
    theirs = fake.add_message(
        CHANNEL, "From another app", user="U0OTHER001", bot_id="B0OTHERAPP", metadata=outbox(9)
    )
    ours = post(client, "Ours")

    history = client.conversations_history(channel=CHANNEL, include_all_metadata=True)

    assert [(m["ts"], m["user"], m.get("bot_id")) for m in history["messages"]] == [
        (ours, BOT_USER_ID, BOT_ID),
        (theirs, "U0OTHER001", "B0OTHERAPP"),
    ]
    assert history["messages"][1]["metadata"] == outbox(9)
