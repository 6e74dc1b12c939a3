"""A whole scenario with a distinctive subject: no Slack call but the form, and no log, names them.

Channel, DM and App Home templates receive only the reference and pseudonym, so the subject's
name, date of birth and address cannot reach Slack by construction; this test checks the
construction end to end, Slack calls and logs (at DEBUG, where libraries say the most) alike.
"""

from __future__ import annotations

import copy
import json
import logging

from messages.ids import ActionId, BlockId, CallbackId
from tests.fakes.signing import TEAM_ID, bolt_request, load_payload, slash_command_body
from tests.handlers.interactions import PRIYA, TOM, click, opened_view, submit

NAME, ADDRESS = "Zebedee Quillfeather", "17 Larkspur Mews"
SECRETS = (NAME, "Zebedee", "Quillfeather", ADDRESS, "Larkspur", "2019-05-04", "4 May 2019")


def command(app, slack_api, text: str, user: str = TOM) -> str:
    """Type ``/review <text>``; return the acknowledgement's body (the answer, if any)."""
    body = slash_command_body(
        text=text, response_url=slack_api.response_url("review"), user_id=user
    )
    return app.dispatch(bolt_request(body)).body


def open_home(app, user: str) -> None:
    payload = copy.deepcopy(load_payload("app_home_opened_home_tab.json"))
    payload["team_id"] = TEAM_ID
    payload["event"].update(user=user, tab="home")
    app.dispatch(bolt_request(json.dumps(payload)))


def run_scenario(app, slack_api) -> tuple[str, list[str]]:
    """Refer, vote, ask status and lists, open homes; return the reference and the acks' bodies."""
    acks = [command(app, slack_api, "refer")]
    values = {
        BlockId.REVIEW_TYPE: {"selected_option": {"value": "scr"}},
        BlockId.PSEUDONYM: {"value": "Child Q"},
        BlockId.SUBJECT_NAME: {"value": NAME},
        BlockId.SUBJECT_DOB: {"selected_date": "2019-05-04"},
        BlockId.SUBJECT_ADDRESS: {"value": ADDRESS},
        BlockId.AGENCY: {"value": "Surrey Police"},
        BlockId.AWARE_DATE: {"selected_date": "2026-02-27"},
        BlockId.SUMMARY: {"value": f"{NAME} of {ADDRESS} was hurt."},
    }
    submit(app, opened_view(slack_api), {str(k): v for k, v in values.items()}, TOM)
    ref = "SCR-2026-001"
    click(app, slack_api, ActionId.OPEN_VOTING, ref, PRIYA)
    for text in (f"status {ref}", "list", "list mine", "list overdue"):
        acks.append(command(app, slack_api, text))
    for user in (TOM, PRIYA, "U0BEN00001"):
        open_home(app, user)
    return ref, acks


def test_no_slack_call_but_the_referral_form_and_no_log_line_names_the_subject(
    app, slack_api, caplog
):
    caplog.set_level(logging.DEBUG)
    ref, acks = run_scenario(app, slack_api)
    checked = [
        c
        for c in slack_api.calls
        if not (
            c.method == "views.open" and c.args["view"]["callback_id"] == CallbackId.REFERRAL_MODAL
        )
    ]
    methods = {c.method for c in checked}
    assert {"chat.postMessage", "chat.update", "views.publish"} <= methods
    assert acks[0] == ""  # refer opened the form; status and the lists answered in their acks
    answers = [json.loads(body) for body in acks[1:]]
    assert ref in answers[0]["text"]
    for answer in answers:
        dumped = json.dumps(answer, ensure_ascii=False)
        for secret in SECRETS:
            assert secret not in dumped, f"{secret!r} reached Slack in a command's answer"
    assert any(ref in json.dumps(c.args) for c in checked)  # the scenario did reach Slack
    for call in checked:
        dumped = json.dumps(call.args, ensure_ascii=False)
        for secret in SECRETS:
            assert secret not in dumped, f"{secret!r} reached Slack in {call.method}"
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # DEBUG was captured
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    for secret in SECRETS:
        assert secret not in logged, f"{secret!r} reached the logs"
