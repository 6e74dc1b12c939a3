"""Render Slack surfaces from Jinja2 templates: blocks, views and plain-text fallbacks.

Templates live in ``messages/templates`` and are named ``<name>.<surface>.json.j2`` (surface
``blocks`` for a message's blocks, ``view`` for a modal or the App Home) and ``<name>.text.j2``
for the plain ``text`` fallback every message carries.

Two rules make a template safe with any input (a referral summary containing ``"``, ``&`` or
``<!channel>``):

* JSON templates must pass every inserted value through ``|tojson`` (or ``|mrkdwn``, which
  escapes for Slack first). The environment's ``finalize`` refuses anything else, so a raw
  ``"{{ var }}"`` fails at render time instead of producing broken JSON or a ping.
* Text templates escape every inserted value for Slack automatically (``&``, ``<``, ``>``).

Markup casedesk builds on purpose (a mention of a known user ID) is a :class:`Mrkdwn` string,
which the escaper leaves alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any, NamedTuple

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateError

from messages.ids import ActionId, BlockId, CallbackId


class Mrkdwn(str):
    """Slack markup casedesk made itself, already safe: :func:`slack_escape` keeps it as is."""

    __slots__ = ()


class JsonFragment(str):
    """JSON text produced by the ``tojson`` filter; the only thing a JSON template may print."""

    __slots__ = ()


class Cut(NamedTuple):
    """The first items of a list that fit a Slack limit, and how many were left out."""

    shown: list[Any]
    more: int

    @property
    def more_text(self) -> str:
        """Return "and N more", or "" when nothing was left out."""
        return f"and {self.more} more" if self.more else ""


def slack_escape(value: Any) -> Mrkdwn:
    """Escape ``&``, ``<`` and ``>`` so Slack shows the text instead of parsing it.

    This is what stops ``<!channel>`` or ``<@U123>`` in free text from pinging anyone, and
    ``<https://x|label>`` from becoming a disguised link. :class:`Mrkdwn` is returned unchanged,
    and the result is :class:`Mrkdwn`, so escaping twice changes nothing.
    """
    if isinstance(value, Mrkdwn):
        return value
    text = str(value)
    return Mrkdwn(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def tojson(value: Any) -> JsonFragment:
    """Encode a value as compact JSON (dates as ISO strings), keeping non-ASCII characters."""
    return JsonFragment(
        json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    )


def mrkdwn(value: Any) -> JsonFragment:
    """Escape free text for Slack and encode it as a JSON string, for ``mrkdwn`` text fields."""
    return tojson(slack_escape(value))


def cut(items: Sequence[Any], limit: int) -> Cut:
    """Return the first ``limit`` items and how many more there were (for "and N more")."""
    if limit < 0:
        raise ValueError("limit must be zero or more")
    return Cut(list(items[:limit]), max(len(items) - limit, 0))


def clip(text: Any, limit: int) -> str:
    """Shorten text to at most ``limit`` characters, ending in "…" when shortened."""
    text = str(text)
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")


def mention(user_id: str) -> Mrkdwn:
    """Return a mention of a Slack user, after checking it really is a user ID."""
    if not _USER_ID.match(user_id):
        raise ValueError(f"not a Slack user ID: {user_id!r}")
    return Mrkdwn(f"<@{user_id}>")


def channel_link(channel_id: str) -> Mrkdwn:
    """Return a link to a Slack channel, after checking it really is a channel ID."""
    if not _CHANNEL_ID.match(channel_id):
        raise ValueError(f"not a Slack channel ID: {channel_id!r}")
    return Mrkdwn(f"<#{channel_id}>")


def day(value: date) -> str:
    """Format a date the way a board manager writes it: ``Mon 3 Aug 2026``."""
    return f"{value:%a} {value.day} {value:%b %Y}"


# -- rendering ---------------------------------------------------------------------------------


def render_blocks(name: str, **ctx: Any) -> list[dict[str, Any]]:
    """Render ``<name>.blocks.json.j2`` into a list of Block Kit blocks."""
    blocks = _render_json(f"{name}.blocks.json.j2", ctx)
    if not isinstance(blocks, list):
        raise TemplateError(f"{name}.blocks.json.j2 must produce a JSON list of blocks")
    return blocks


def render_view(name: str, **ctx: Any) -> dict[str, Any]:
    """Render ``<name>.view.json.j2`` into a view (modal or App Home)."""
    view = _render_json(f"{name}.view.json.j2", ctx)
    if not isinstance(view, dict):
        raise TemplateError(f"{name}.view.json.j2 must produce a JSON object")
    return view


def render_text(name: str, **ctx: Any) -> str:
    """Render ``<name>.text.j2``, the plain fallback (notifications, screen readers)."""
    return _text_env().get_template(f"{name}.text.j2").render(ctx).strip()


def render_message(name: str, **ctx: Any) -> dict[str, Any]:
    """Render a message's ``text`` and ``blocks`` together, ready for ``chat_postMessage(**m)``."""
    return {"text": render_text(name, **ctx), "blocks": render_blocks(name, **ctx)}


def _render_json(template: str, ctx: dict[str, Any]) -> Any:
    text = _json_env().get_template(template).render(ctx)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise TemplateError(f"{template} rendered invalid JSON: {err}") from None


def _require_json(value: Any) -> Any:
    """Refuse a value printed into a JSON template without ``|tojson`` or ``|mrkdwn``."""
    if isinstance(value, JsonFragment):
        return value
    raise TemplateError(
        f"a JSON template printed {type(value).__name__} {clip(repr(value), 40)} without "
        "|tojson or |mrkdwn"
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot put {type(value).__name__} into a Slack template")


def _configure(env: Environment) -> Environment:
    env.filters.update(tojson=tojson, slack_escape=slack_escape, mrkdwn=mrkdwn, clip=clip, day=day)
    env.globals.update(
        ActionId=ActionId,
        BlockId=BlockId,
        CallbackId=CallbackId,
        cut=cut,
        mention=mention,
        channel_link=channel_link,
    )
    return env


@cache
def _json_env() -> Environment:
    return _configure(
        Environment(
            loader=PackageLoader("messages", "templates"),
            autoescape=False,
            undefined=StrictUndefined,
            finalize=_require_json,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # the templates ship with the package: no stat per render
        )
    )


@cache
def _text_env() -> Environment:
    return _configure(
        Environment(
            loader=PackageLoader("messages", "templates"),
            autoescape=False,
            undefined=StrictUndefined,
            finalize=slack_escape,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # the templates ship with the package: no stat per render
        )
    )
