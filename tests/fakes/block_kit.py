"""Check Block Kit the way Slack would: slack_sdk's models, plus the limits they do not check.

Used by the fake Web API on every ``blocks`` and ``view`` argument, and by template tests.
Each function returns a list of problems (empty when valid) instead of raising, so one call
can report everything wrong with a message.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
VIEW_TYPES = ("modal", "home")


def message_problems(blocks: Any, *, text: Any = None, where: str = "blocks") -> list[str]:
    """Return what is wrong with a message's blocks and its ``text`` fallback."""
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return [f"{where} must be a JSON list, got {type(blocks).__name__}"]
    problems = blocks_problems(blocks, where=where)
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        problems.append(f"{where}: {len(blocks)} blocks; a message holds {MAX_MESSAGE_BLOCKS}")
    if blocks and not (isinstance(text, str) and text.strip()):
        problems.append(f"{where} given without a text fallback (notifications, screen readers)")
    return problems


def view_problems(view: Any, *, where: str = "view") -> list[str]:
    """Return what is wrong with a modal or App Home view."""
    if not isinstance(view, dict):
        return [f"{where} must be a JSON object, got {type(view).__name__}"]
    problems: list[str] = []
    if view.get("type") not in VIEW_TYPES:
        problems.append(f"{where}.type must be one of {VIEW_TYPES}, got {view.get('type')!r}")
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return [*problems, f"{where}.blocks must be a list"]
    problems += blocks_problems(blocks, where=f"{where}.blocks")
    if len(blocks) > MAX_VIEW_BLOCKS:
        problems.append(f"{where}: {len(blocks)} blocks; a view holds {MAX_VIEW_BLOCKS}")
    if view.get("type") == "modal":
        if "title" not in view:
            problems.append(f"{where}: a modal needs a title")
        if any(b.get("type") == "input" for b in blocks if isinstance(b, dict)) and (
            "submit" not in view
        ):
            problems.append(f"{where}: a modal with input blocks needs a submit button")
    try:
        parsed = View(**view).to_dict()
    except (SlackObjectFormationError, TypeError, ValueError, KeyError) as err:
        problems.append(f"{where}: {err}")
    else:
        top = {k: v for k, v in view.items() if k != "blocks"}
        parsed_top = {k: v for k, v in parsed.items() if k != "blocks"}
        problems += _differences(top, parsed_top, where)
    return problems


def blocks_problems(blocks: list[Any], *, where: str = "blocks") -> list[str]:
    """Return what is wrong with each block and with the list (duplicate block_ids)."""
    problems: list[str] = []
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        here = f"{where}[{i}]"
        if not isinstance(block, dict):
            problems.append(f"{here} must be an object")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in seen:
                problems.append(f"{here}: block_id {block_id!r} is used twice")
            seen.add(block_id)
        problems += _block_problems(block, here)
    return problems


def _block_problems(block: dict[str, Any], where: str) -> list[str]:
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return [f"{where}: unknown block type {block.get('type')!r}"]
        as_dict = parsed.to_dict()
    except (SlackObjectFormationError, TypeError, ValueError, KeyError) as err:
        return [f"{where} ({block.get('type')}): {err}"]
    problems = _differences(block, as_dict, where)
    elements = [*block.get("elements", []), block.get("accessory"), block.get("element")]
    action_ids = [
        e["action_id"] for e in elements if isinstance(e, dict) and e.get("action_id") is not None
    ]
    dupes = sorted({a for a in action_ids if action_ids.count(a) > 1})
    if dupes:
        problems.append(f"{where}: action_id used twice in one block: {dupes}")
    return problems


def _differences(given: Any, parsed: Any, where: str) -> list[str]:
    """Name what slack_sdk dropped or changed: a misspelt key, a value of the wrong shape."""
    if isinstance(given, dict) and isinstance(parsed, dict):
        out = [f"{where}.{k}: not a Block Kit field here" for k in given if k not in parsed]
        for k in given:
            if k in parsed:
                out += _differences(given[k], parsed[k], f"{where}.{k}")
        return out
    if isinstance(given, list) and isinstance(parsed, list) and len(given) == len(parsed):
        out = []
        for i, (g, p) in enumerate(zip(given, parsed, strict=True)):
            out += _differences(g, p, f"{where}[{i}]")
        return out
    if given != parsed:
        return [f"{where}: {given!r} is not valid here"]
    return []
