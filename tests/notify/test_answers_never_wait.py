"""Answers never wait for Slack: with every chat.postMessage, chat.update and views.publish
delayed by 5 s, the referral, vote, decision and extend modals and the Close voting button are
answered over HTTP in under a second, and every message they owe still arrives exactly once.

The app runs as ``casedesk run --http`` runs it: waitress in front of the WSGI app, the sender's
loop on its own thread, woken by each commit."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
from slack_bolt import BoltResponse
from sqlmodel import select

from bot.app import create_app
from bot.notify.delivery import POSTED
from bot.notify.sender import Sender
from bot.server import make_wsgi_app, signing_secret
from bot.slack.client import make_web_client
from bot.slack.gateway import SlackGateway
from messages.ids import ActionId, BlockId
from store.models import DeadlineRow, OutboxRow
from tests.fakes.signing import post
from tests.fakes.wsgi_server import serving
from tests.handlers.interactions import ANA, BEN, GRACE, PRIYA, TOM, click, opened_view, submit
from tests.handlers.test_decision import decision_values
from tests.handlers.test_referral import command, refer

SLOW = ("chat.postMessage", "chat.update", "views.publish")
DELAY = 5.0


class OverHttp:
    """Dispatches a signed request to the running server over HTTP, timing each answer."""

    def __init__(self, url: str) -> None:
        self.url, self.took = url, []

    def dispatch(self, request) -> BoltResponse:
        headers = {name: values[0] for name, values in request.headers.items()}
        started = time.monotonic()
        status, answer_headers, body = post(f"{self.url}/slack/events", request.raw_body, headers)
        self.took.append(time.monotonic() - started)
        return BoltResponse(status=status, body=body, headers=answer_headers)

    def timed(self, step) -> float:
        step()
        return self.took[-1]


@pytest.fixture
def running(slack_settings, uow_factory, clock, board):
    """The bot serving HTTP with its sender's loop running; yields (the HTTP client, sender)."""
    client = make_web_client(slack_settings)
    sender = Sender(uow_factory, SlackGateway(client, min_interval_per_channel=0), clock)
    app = create_app(slack_settings, client=client, uow_factory=uow_factory, clock=clock,
                     sender=sender)  # fmt: skip
    sender.start()
    try:
        wsgi = make_wsgi_app(app, signing_secret=signing_secret(slack_settings))
        with serving(wsgi, threads=4) as url:
            yield OverHttp(url), sender
    finally:
        sender.stop(timeout=DELAY + 5)


def _vote(http, slack_api, ref, user):
    click(http, slack_api, ActionId.VOTE_STATUTORY, ref, user)
    return submit(http, opened_view(slack_api), {BlockId.RATIONALE: {"value": "Met."}}, user)


def _settled(uow_factory, timeout: float) -> list[OutboxRow]:
    """Wait until no row is owed and due any more; return every row."""
    deadline = time.monotonic() + timeout
    while True:
        with uow_factory() as uow:
            rows = list(uow.session.exec(select(OutboxRow)))
        if all(r.sent_at is not None or r.next_attempt_at is None for r in rows):
            return rows
        assert time.monotonic() < deadline, [
            (r.id, r.kind, r.last_error) for r in rows if not r.sent_at
        ]
        time.sleep(0.05)


def test_steps_are_answered_at_once_while_slack_is_slow_and_every_message_arrives_once(
    running, slack_api, uow_factory
):
    http, _sender = running
    slack_api.delay(SLOW, DELAY)
    took = {"referral modal": http.timed(lambda: refer(http, slack_api, user=TOM))}
    ref = "RR-2026-001"
    click(http, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)
    took["vote modal"] = max(
        http.timed(lambda u=u: _vote(http, slack_api, ref, u)) for u in (TOM, BEN, ANA)
    )
    took["close voting button"] = http.timed(
        lambda: click(http, slack_api, ActionId.CLOSE_VOTING, ref, PRIYA)
    )
    click(http, slack_api, ActionId.RECORD_DECISION, ref, GRACE)
    view = opened_view(slack_api)
    took["decision modal"] = http.timed(lambda: submit(http, view, decision_values(), GRACE))
    command(http, slack_api, f"extend {ref}", BEN)
    view = opened_view(slack_api)
    values = {
        BlockId.NEW_DUE_DATE: {"selected_date": "2027-01-15"},
        BlockId.EXTEND_REASON: {"value": "Police disclosure pending."},
    }
    took["extend modal"] = http.timed(lambda: submit(http, view, values, BEN))
    print("answer times (s):", json.dumps({k: round(v, 3) for k, v in took.items()}))
    assert all(seconds < 1.0 for seconds in took.values()), took
    assert max(http.took) < 1.0  # every request, the buttons and commands too

    slack_api.delay(SLOW, 0)  # let the backlog go: the calls already waiting finish first
    rows = _settled(uow_factory, timeout=DELAY + 20)
    assert not [r for r in rows if r.sent_at is None], "a message was refused for good"
    posted = [c for c in slack_api.calls_to("chat.postMessage") if c.response.get("ok")]
    ids = Counter(c.args["metadata"]["event_payload"]["outbox_id"] for c in posted)
    assert ids and max(ids.values()) == 1, "a message was posted twice"
    sent_posts = {r.id for r in rows if r.kind in POSTED and r.last_error is None and r.ts}
    assert set(ids) == sent_posts  # each owed post exactly once, none without its row
    kinds = Counter(r.template for r in rows if r.id in sent_posts)
    assert kinds["recommendation_dm"] == 2 and kinds["decision_notice"] == 1
    assert kinds["referral_ack"] == 1 and kinds["case_card"] == 1
    with uow_factory() as uow:
        extended = uow.session.exec(
            select(DeadlineRow).where(DeadlineRow.reason.is_not(None))
        ).one()
    card = slack_api.calls_to("chat.update")[-1].args
    assert "Fri 15 Jan 2027 (extended)" in json.dumps(card["blocks"])  # the card followed
    assert extended.due_on.isoformat() == "2027-01-15"
