"""``/review refer`` and the App Home's "Refer a case": the referral modal and its submission.

The modal is the only surface that asks for the subject's name, date of birth and address; they
go to :func:`bot.services.cases.refer_case` and are never rendered again here. The channel's card,
the referrer's DM and the business managers' DMs name the case by reference and pseudonym only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.domain.boards import ALTERNATIVES, STATUTORY_BY_KIND, ReviewType
from bot.domain.errors import NotAllowed
from bot.domain.limits import MAX_LENGTH
from bot.services.cases import ReferCase, refer_case
from bot.services.queries import member_boards
from handlers.context import Deps, deps_of
from handlers.reply import Reply
from handlers.slash import ReviewCommand
from messages.ids import ActionId, BlockId, CallbackId
from messages.render import render_view

CRITERIA = (
    ("abuse_or_neglect", "Abuse or neglect is known or suspected"),
    ("died", "The subject has died"),
    ("serious_harm", "The subject has been seriously harmed"),
    ("agencies", "There is concern about how agencies worked together"),
)
"""The referral criteria the referrer ticks. Source: SPEC.md §What a case review is."""


def register(app: App) -> None:
    """Listen for the App Home's "Refer a case" button and the referral modal's submission."""
    app.action(ActionId.REFER_CASE)(handle_refer_button)
    app.view(CallbackId.REFERRAL_MODAL)(handle_referral_submission)


def handle_refer_command(
    cmd: ReviewCommand, *, reply: Reply, client: WebClient, deps: Deps
) -> None:
    """Open the referral modal (``/review refer``)."""
    client.views_open(trigger_id=cmd.trigger_id, view=referral_modal(deps, cmd.user_id))


def handle_refer_button(ack, body: dict[str, Any], client: WebClient, context) -> None:
    """Open the referral modal from the App Home."""
    ack()
    view = referral_modal(deps_of(context), body["user"]["id"])
    client.views_open(trigger_id=body["trigger_id"], view=view)


def referral_modal(deps: Deps, user: str) -> dict[str, Any]:
    """Render the modal for the boards the person belongs to (a board select only for two+).

    Raises:
        NotAllowed: the person belongs to no board.
    """
    with deps.uow_factory(read_only=True) as uow:
        boards = member_boards(user, uow=uow)
    if not boards:
        raise NotAllowed("Only members of a safeguarding board can refer a case.")
    statutory = [t for b in boards for t in STATUTORY_BY_KIND[b.kind]]
    types = list(dict.fromkeys([*statutory, *ALTERNATIVES]))
    return render_view(
        "referral_modal",
        boards=boards if len(boards) > 1 else (),
        review_types=types,
        criteria=CRITERIA,
        metadata=json.dumps({"board": boards[0].id}),
        limits=MAX_LENGTH,
    )


def handle_referral_submission(
    ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context
) -> None:
    """Refer the case; its card, the DMs and the App Homes are owed with it.

    The modal is replaced by the reference (``referral_done``), so the referrer has it whatever
    Slack does next. The card and the DMs are owed in the referral's transaction
    (:mod:`bot.notify.owed`) and sent by the sender after the answer; the referral stands
    whatever Slack does.
    """
    deps = deps_of(context)
    form = ReferralForm.parse(view)
    errors = form.errors()
    if errors:
        ack(response_action="errors", errors=errors)
        return
    with deps.uow_factory() as uow:
        cmd = form.command(body["user"]["id"], view["id"])
        referred = refer_case(cmd, uow=uow, now=deps.clock.now())
    done = render_view("referral_done", case=referred.case, deadlines=referred.deadlines)
    ack(response_action="update", view=done)  # the reference, whatever Slack does next


@dataclass(frozen=True)
class ReferralForm:
    """The referral modal's submitted values, before the use case sees them."""

    board_id: str
    review_type: str
    pseudonym: str
    subject_name: str
    date_of_birth: date | None
    address: str
    agency: str
    incident_on: date | None
    aware_on: date | None
    summary: str
    criteria: tuple[str, ...] = ()

    @classmethod
    def parse(cls, view: dict[str, Any]) -> ReferralForm:
        """Read the submitted view's state (and its private metadata for the board)."""
        values = view["state"]["values"]

        def field(block: BlockId) -> dict[str, Any]:
            return values.get(block, {}).get(ActionId.FIELD) or {}

        def text(block: BlockId) -> str:
            return (field(block).get("value") or "").strip()

        def day(block: BlockId) -> date | None:
            picked = field(block).get("selected_date")
            return date.fromisoformat(picked) if picked else None

        def option(block: BlockId) -> str:
            return (field(block).get("selected_option") or {}).get("value") or ""

        def options(block: BlockId) -> tuple[str, ...]:
            return tuple(o["value"] for o in field(block).get("selected_options") or ())

        metadata = json.loads(view.get("private_metadata") or "{}")
        return cls(
            board_id=option(BlockId.BOARD) or metadata.get("board", ""),
            review_type=option(BlockId.REVIEW_TYPE),
            pseudonym=text(BlockId.PSEUDONYM),
            subject_name=text(BlockId.SUBJECT_NAME),
            date_of_birth=day(BlockId.SUBJECT_DOB),
            address=text(BlockId.SUBJECT_ADDRESS),
            agency=text(BlockId.AGENCY),
            incident_on=day(BlockId.INCIDENT_DATE),
            aware_on=day(BlockId.AWARE_DATE),
            summary=text(BlockId.SUMMARY),
            criteria=options(BlockId.CRITERIA),
        )

    def errors(self) -> dict[str, str]:
        """Return what cannot even be read into a command (no review type chosen), by block.

        Every rule about the values (a pseudonym that gives the subject away, a date in the
        future) is the use case's: it refuses them field by field, shown under each field.
        """
        if self.review_type not in set(ReviewType):
            return {str(BlockId.REVIEW_TYPE): "Please choose a review type."}
        return {}

    def command(self, actor: str, view_id: str) -> ReferCase:
        """Return the use case's command; the view id makes a redelivered submission refer once."""
        return ReferCase(
            board_id=self.board_id,
            actor=actor,
            review_type=ReviewType(self.review_type),
            pseudonym=self.pseudonym,
            subject_name=self.subject_name,
            date_of_birth=self.date_of_birth,
            address=self.address,
            summary=self.summary,
            referring_agency=self.agency,
            incident_on=self.incident_on,
            aware_on=self.aware_on,
            criteria=self.criteria,
            idempotency_key=view_id,
        )
