"""Where each modal shows a refusal of one of its fields: the field's input block.

A use case refuses typed text field by field (:class:`~bot.domain.errors.FieldsRefused`, keyed
by the command's attribute, such as ``rationale``). When that happens while a modal's submission
is still open, :func:`handlers.errors.handle_error` answers ``response_action="errors"`` with
each message under its field, so the person corrects it without losing what they typed. The
extend modal maps its own refusals (``handlers.extend.FIELD_BLOCKS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from bot.domain.errors import FieldsRefused
from bot.domain.limits import TextField
from messages.ids import BlockId, CallbackId

FIELD_BLOCKS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        CallbackId.REFERRAL_MODAL: {
            TextField.PSEUDONYM: BlockId.PSEUDONYM,
            TextField.SUBJECT_NAME: BlockId.SUBJECT_NAME,
            TextField.ADDRESS: BlockId.SUBJECT_ADDRESS,
            TextField.SUMMARY: BlockId.SUMMARY,
            TextField.REFERRING_AGENCY: BlockId.AGENCY,
            "review_type": BlockId.REVIEW_TYPE,
            "aware_on": BlockId.AWARE_DATE,
            "incident_on": BlockId.INCIDENT_DATE,
            "date_of_birth": BlockId.SUBJECT_DOB,
        },
        CallbackId.VOTE_MODAL: {TextField.RATIONALE: BlockId.RATIONALE},
        CallbackId.CONFLICT_MODAL: {TextField.REASON: BlockId.CONFLICT_REASON},
        CallbackId.DECISION_MODAL: {
            TextField.REASONS: BlockId.REASONS,
            "decided_on": BlockId.DECISION_DATE,
        },
    }
)
"""Modal (callback id) -> the command's field -> the input block that shows its refusal."""


def field_errors(view: Mapping[str, Any], refused: FieldsRefused) -> dict[str, str] | None:
    """Return each refused field's message by the block that shows it in the submitted ``view``.

    Returns:
        ``{block_id: message}``, or None when a refused field has no block in this view (the
        refusal is then shown whole, as any other).
    """
    blocks = FIELD_BLOCKS.get(str(view.get("callback_id")), {})
    shown = {b.get("block_id") for b in view.get("blocks") or () if isinstance(b, Mapping)}
    errors = {blocks.get(field): message for field, message in refused.problems.items()}
    if None in errors or not set(errors) <= shown:
        return None
    return {str(block): message for block, message in errors.items()}
