"""What the fake Slack Web API answers a call Slack accepts, per method.

Plausible successes: ``ts`` values increase, a DM channel is ``D`` + the user ID's tail, views
get an ``id``. chat.postMessage keeps the message in its channel's
:class:`~tests.fakes.conversations.Conversations` (with its ``metadata``), chat.update changes
it there, and conversations.history reads them back. Used by :mod:`tests.fakes.slack_api`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from tests.fakes.conversations import Conversations

TEAM_ID = "T0CASEDESK"
BOT_USER_ID = "U0CASEBOT1"
BOT_ID = "B0CASEBOT1"
APP_ID = "A0CASEDESK"


class Answers:
    """The fake's state behind its answers: the ``ts`` counter, views and conversations.

    Args:
        users: returns the users.info answers, user ID -> user object (read at each call).
        socket_mode_url: returns the ``url`` apps.connections.open answers, or None.
    """

    def __init__(
        self,
        users: Callable[[], dict[str, dict[str, Any]]],
        socket_mode_url: Callable[[], str | None],
    ) -> None:
        self._users = users
        self._socket_mode_url = socket_mode_url
        self._ts = itertools.count(1)
        self._view_ids = itertools.count(1)
        self.conversations = Conversations()

    def next_ts(self) -> str:
        """Return a new message timestamp, later than every one before."""
        return f"{1767000000 + next(self._ts)}.000100"

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """Return Slack's answer to an accepted call of ``method``, applying what it does."""
        ts = self.next_ts()
        channel = args.get("channel")
        match method:
            case "chat.postMessage":
                message = bot_message(args, ts)
                self.conversations.add(str(channel), message)
                shown = {k: v for k, v in message.items() if k != "metadata"}
                return {"ok": True, "channel": channel, "ts": ts, "message": shown}
            case "chat.update":
                return self._update(args)
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            case "chat.delete":
                return {"ok": True, "channel": channel, "ts": args["ts"]}
            case "chat.getPermalink":
                link = f"https://casedesk-test.slack.com/archives/{channel}/p{args['message_ts'].replace('.', '')}"  # noqa: E501
                return {"ok": True, "channel": channel, "permalink": link}
            case "views.open" | "views.push" | "views.update" | "views.publish":
                return {"ok": True, "view": self._view(args, ts)}
            case "conversations.open":
                user = str(args.get("users", "U0NOBODY00")).split(",")[0]
                return {"ok": True, "channel": {"id": dm_channel(user)}}
            case "conversations.history":
                return self.conversations.history(args)
            case "users.info":
                return {"ok": True, "user": self._users().get(args["user"]) or _user(args["user"])}
            case "apps.connections.open":
                url = self._socket_mode_url()
                return {"ok": True, "url": url} if url else {"ok": False, "error": "internal_error"}
            case "auth.test":
                return _auth_test()
        return {"ok": True}

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        # An update of a message the fake never saw is answered as a success and changes
        # nothing: tests seed case cards by ts without posting them first.
        changes = {"text": args.get("text", ""), "blocks": args.get("blocks") or []}
        if args.get("metadata") is not None:
            changes["metadata"] = args["metadata"]
        channel, ts = str(args.get("channel")), args["ts"]
        updated = self.conversations.update(channel, ts, changes)
        message = bot_message(args, ts) if updated is None else updated
        message.pop("metadata", None)
        text = args.get("text", "")
        return {"ok": True, "channel": channel, "ts": ts, "text": text, "message": message}

    def _view(self, args: dict[str, Any], ts: str) -> dict[str, Any]:
        return {
            **args["view"],
            "id": args.get("view_id") or f"V{next(self._view_ids):09d}",
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "hash": f"{ts}.hash",
            "state": {"values": {}},
        }


def dm_channel(user_id: str) -> str:
    """Return the DM channel the fake opens with ``user_id`` (``U0BEN00001`` -> ``D0BEN00001``)."""
    return "D" + user_id[1:]


def bot_message(args: dict[str, Any], ts: str) -> dict[str, Any]:
    """Return the message a chat.postMessage with ``args`` makes, as history shows it."""
    message = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "team": TEAM_ID,
        "ts": ts,
        "text": args.get("text", ""),
        "blocks": args.get("blocks") or [],
    }
    if isinstance(args.get("metadata"), dict) and args["metadata"]:
        message["metadata"] = args["metadata"]
    return message


def _auth_test() -> dict[str, Any]:
    return {
        "ok": True,
        "url": "https://casedesk-test.slack.com/",
        "team": "casedesk test",
        "user": "casedesk",
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def _user(user_id: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": user_id.lower(),
        "deleted": False,
        "real_name": f"Member {user_id}",
        "tz": "Europe/London",
        "is_bot": False,
        "profile": {"real_name": f"Member {user_id}", "display_name": user_id.lower()},
    }
