"""Reading what a modal or a click carries: field values, the channel, the private metadata.

Shared by the step modules (votes, the decision, extensions): one way to read a submitted field.
"""

from __future__ import annotations

import json
from typing import Any

from bot.services.views import CaseRef
from messages.ids import ActionId


def field_value(view: dict[str, Any], block_id: str) -> str | None:
    """Return a modal input's submitted value: text, selected option or date (None if empty)."""
    field = view["state"]["values"].get(block_id, {}).get(ActionId.FIELD) or {}
    option = field.get("selected_option") or {}
    return field.get("value") or option.get("value") or field.get("selected_date")


def channel_of(body: dict[str, Any]) -> str | None:
    """Return the channel a button was clicked in (None on the App Home)."""
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")


def case_metadata(case: CaseRef, **extra: Any) -> str:
    """Return a modal's private metadata naming its case (and anything else it carries)."""
    return json.dumps({"case": case.reference, "board": case.board_id, **extra})
