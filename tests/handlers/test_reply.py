"""``AnswerInAck``: what it keeps for the acknowledgement and what it passes on to ``respond``."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack

from handlers.reply import AnswerInAck

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*SCR-2026-003*"}}]


class RecordingRespond:
    """Stands in for Bolt's ``respond``: records each call's arguments."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> str:
        """Record the call; return a marker so the caller's return value can be checked."""
        self.calls.append(kwargs)
        return "sent"


def test_the_first_ephemeral_answer_is_kept_and_becomes_the_ack_body():
    respond, ack = RecordingRespond(), Ack()
    reply = AnswerInAck(respond)
    assert reply(text="SCR-2026-003 (Child A)", blocks=BLOCKS, response_type="ephemeral") is None
    reply.acknowledge(ack)
    assert json.loads(ack.response.body) == {
        "text": "SCR-2026-003 (Child A)",
        "blocks": BLOCKS,
        "response_type": "ephemeral",
    }
    assert respond.calls == []


def test_an_answer_without_a_response_type_is_ephemeral_in_the_ack():
    ack = Ack()
    reply = AnswerInAck(RecordingRespond())
    reply(text="Paused 2 deadline(s).")
    reply.acknowledge(ack)
    assert json.loads(ack.response.body) == {
        "text": "Paused 2 deadline(s).",
        "response_type": "ephemeral",
    }


def test_nothing_answered_acks_empty_and_a_second_acknowledge_does_nothing():
    respond, ack = RecordingRespond(), Ack()
    reply = AnswerInAck(respond)
    reply.acknowledge(ack)
    first = ack.response
    assert (first.status, first.body) == (200, "")
    reply(text="too late for the ack")  # after the ack: goes by respond
    reply.acknowledge(ack)
    assert ack.response is first
    assert [c["text"] for c in respond.calls] == ["too late for the ack"]


def test_what_the_ack_cannot_carry_goes_by_respond_at_once():
    respond = RecordingRespond()
    reply = AnswerInAck(respond)
    assert reply(text="Voting is open.", response_type="in_channel") == "sent"
    assert reply(text="Replaced.", replace_original=True) == "sent"
    assert reply.answer is None
    assert [c["text"] for c in respond.calls] == ["Voting is open.", "Replaced."]
    assert respond.calls[0]["response_type"] == "in_channel"
    assert respond.calls[1]["replace_original"] is True


def test_a_second_answer_goes_by_respond_and_the_first_stays_for_the_ack():
    respond, ack = RecordingRespond(), Ack()
    reply = AnswerInAck(respond)
    reply(text="First.", response_type="ephemeral")
    assert reply(text="Second.", response_type="ephemeral") == "sent"
    reply.acknowledge(ack)
    assert json.loads(ack.response.body)["text"] == "First."
    assert respond.calls == [
        {
            "text": "Second.",
            "blocks": None,
            "attachments": None,
            "response_type": "ephemeral",
        }
    ]
