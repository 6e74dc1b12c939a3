"""Templates: every one renders to valid Block Kit, and free text can neither break nor ping."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
from jinja2 import TemplateError

from bot.domain.deadlines import ExtensionField
from bot.domain.limits import LONG_TEXT, MAX_LENGTH, TextField
from handlers import extend
from handlers.field_errors import FIELD_BLOCKS
from messages import render
from messages.ids import ActionId, BlockId, CallbackId
from messages.render import (
    Mrkdwn,
    cut,
    mention,
    render_blocks,
    render_message,
    render_text,
    render_view,
    slack_escape,
)
from tests.fakes.block_kit import message_problems, view_problems
from tests.handlers.case_examples import CASE_EXAMPLES
from tests.handlers.reminder_examples import REMINDER_EXAMPLES
from tests.handlers.voting_examples import VOTING_EXAMPLES

NASTY = 'She said "stop" & <!channel> <@U123> <https://evil.example|click> \\ end'

# One example context per template; a new template without one fails the test below.
EXAMPLES = {
    "help": [{"command": "/review", "unknown": None}, {"command": "/review", "unknown": NASTY}],
    "error": [{"message": NASTY, "reference": None}, {"message": None, "reference": "ab12cd34"}],
    "error_modal": [{"message": NASTY, "reference": None}],
    **CASE_EXAMPLES,
    **VOTING_EXAMPLES,
    **REMINDER_EXAMPLES,
}


def _templates() -> list[str]:
    names = resources.files("messages").joinpath("templates").iterdir()
    return sorted(p.name for p in names if p.name.endswith(".j2") and not p.name.startswith("_"))


@pytest.mark.parametrize("template", _templates())
def test_every_template_renders_to_valid_block_kit(template):
    name, surface = template.split(".")[0], template.split(".")[1]
    assert name in EXAMPLES, f"add an example context for {template} to EXAMPLES"
    for ctx in EXAMPLES[name]:
        if surface == "blocks":
            message = render_message(name, **ctx)
            assert message_problems(message["blocks"], text=message["text"]) == []
        elif surface == "view":
            assert view_problems(render_view(name, **ctx)) == []
        else:
            assert surface == "text", f"unknown surface in {template}"
            assert render_text(name, **ctx)


def test_free_text_with_quotes_mentions_and_ampersands_renders_inert_inside_valid_json():
    blocks = render_blocks("error", message=NASTY, reference=None)
    text = blocks[0]["text"]["text"]
    assert text == (
        ':warning: She said "stop" &amp; &lt;!channel&gt; &lt;@U123&gt; '
        "&lt;https://evil.example|click&gt; \\ end"
    )
    assert "<!channel>" not in json.dumps(blocks) and "<@U123>" not in json.dumps(blocks)


def test_the_text_fallback_escapes_free_text_too():
    text = render_text("error", message=NASTY, reference=None)
    assert text == (
        'She said "stop" &amp; &lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt; '
        "\\ end"
    )


def test_an_unknown_subcommand_is_echoed_back_escaped():
    blocks = render_blocks("help", command="/review", unknown="x <!here> & y")
    assert blocks[0]["block_id"] == BlockId.HELP_UNKNOWN
    assert blocks[0]["text"]["text"] == (
        "Sorry, I don't know `/review x &lt;!here&gt; &amp; y`. Here is what I can do:"
    )


def test_help_lists_every_review_subcommand_with_its_usage():
    blocks = render_blocks("help", command="/review", unknown=None)
    assert blocks[0] == {
        "type": "header",
        "block_id": "help_header",
        "text": {"type": "plain_text", "text": "/review commands"},
    }
    usages = [b["text"]["text"].split("\n")[0] for b in blocks if b["type"] == "section"]
    assert usages == [
        "*`/review refer`*",
        "*`/review status REF`*",
        "*`/review list [open|overdue|mine]`*",
        "*`/review open REF`*",
        "*`/review close REF`*",
        "*`/review decide REF`*",
        "*`/review extend REF`*",
        "*`/review pause REF reason`*",
        "*`/review resume REF reason`*",
        "*`/review help`*",
    ]
    assert render_text("help", command="/review", unknown=None) == (
        "/review commands: /review refer, /review status REF, /review list [open|overdue|mine], "
        "/review open REF, /review close REF, /review decide REF, /review extend REF, "
        "/review pause REF reason, "
        "/review resume REF reason, /review help."
    )


def test_an_unexpected_error_shows_only_the_reference_to_quote():
    message = render_message("error", message=None, reference="ab12cd34")
    assert message["text"] == (
        "Sorry, something went wrong on casedesk's side (error reference ab12cd34)."
    )
    assert message["blocks"][1]["elements"][0]["text"] == "Error reference: `ab12cd34`"


def test_the_error_modal_keeps_the_form_underneath_by_offering_back():
    view = render_view("error_modal", message="Voting has closed.", reference=None)
    assert view["callback_id"] == CallbackId.ERROR_MODAL
    assert view["close"]["text"] == "Back" and "submit" not in view
    assert view["blocks"][0]["text"]["text"] == ":warning: Voting has closed."


def test_a_json_template_that_prints_a_value_without_tojson_fails_to_render():
    env = render._json_env()
    template = env.from_string('{"text": "{{ summary }}"}')
    with pytest.raises(TemplateError, match="without |tojson"):
        template.render(summary='"}, {"type": "injected')


def test_a_json_template_that_uses_tojson_renders_any_text_as_one_string():
    env = render._json_env()
    out = env.from_string('{"text": {{ summary|tojson }}, "id": {{ ActionId.MARK_DONE|tojson }}}')
    rendered = json.loads(out.render(summary='"}, {"x": "é'))
    assert rendered == {"text": '"}, {"x": "é', "id": "mark_done"}
    assert "é" in out.render(summary="é")  # ensure_ascii=False: readable in Slack and logs


def test_a_missing_template_variable_fails_instead_of_rendering_empty():
    with pytest.raises(TemplateError):
        render_blocks("error", reference=None)


def test_escaping_is_idempotent_and_leaves_markup_casedesk_made_alone():
    once = slack_escape("a & b")
    assert slack_escape(once) == "a &amp; b"
    assert slack_escape(mention("U0BEN00001")) == "<@U0BEN00001>"
    assert isinstance(mention("U0BEN00001"), Mrkdwn)


def test_mention_refuses_anything_but_a_user_id():
    with pytest.raises(ValueError):
        mention("!channel")


def test_cut_shows_the_first_items_and_counts_the_rest():
    shown = cut(list(range(7)), 5)
    assert shown.shown == [0, 1, 2, 3, 4] and shown.more == 2 and shown.more_text == "and 2 more"
    assert cut([1], 5).more_text == "" and cut([1], 5).shown == [1]


def test_clip_shortens_long_text_with_an_ellipsis():
    assert render.clip("abcdef", 4) == "abc…" and render.clip("abc", 4) == "abc"


def test_ids_are_the_strings_slack_sends_back():
    assert ActionId.VOTE_STATUTORY == "vote_statutory"
    assert CallbackId.REFERRAL_MODAL == "referral_modal"
    assert BlockId.SUBJECT_DOB == "subject_dob"


@pytest.mark.parametrize("template", _templates())
def test_no_template_writes_an_action_block_or_callback_id_as_a_literal(template):
    source = resources.files("messages").joinpath("templates", template).read_text("utf-8")
    literal = re.search(r'"(action_id|block_id|callback_id)"\s*:\s*"', source)
    assert literal is None, f"{template}: use the enums of messages/ids.py for {literal[1]}"


def test_the_card_tells_a_paused_deadline_and_an_extended_one_from_a_running_one():
    from dataclasses import replace

    from bot.domain.deadlines import DeadlineStatus
    from messages.cards import case_card_message
    from tests.handlers.case_examples import CASE, DUE, LATE

    paused = replace(DUE, status=DeadlineStatus.PAUSED)
    extended = replace(LATE, status=DeadlineStatus.EXTENDED, overdue=False, working_days_left=4)
    card = case_card_message(CASE, deadlines=(paused, extended))
    lines = [e["text"] for b in card["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert lines[0].startswith(":double_vertical_bar: Rapid review")
    assert "paused (the clock stopped; was due Mon 16 Mar 2026)" in lines[0]
    extended_line = ":calendar: Notify the panel: Mon 9 Feb 2026 (extended) - 4 working days left"
    assert lines[1] == extended_line
    assert "working days left" not in lines[0]
    assert ", paused." in card["text"]


def _modals() -> list[tuple[str, dict]]:
    """Every modal template rendered with each of its example contexts: (template, view)."""
    rendered = [
        (t, render_view(t.split(".")[0], **ctx))
        for t in _templates()
        if ".view." in t
        for ctx in EXAMPLES[t.split(".")[0]]
    ]
    return [(t, view) for t, view in rendered if view["type"] == "modal"]


def _text_inputs(view: dict) -> dict[str, dict]:
    """Return the view's plain_text_input elements by their input block's id."""
    return {
        b["block_id"]: b["element"]
        for b in view["blocks"]
        if b["type"] == "input" and b["element"]["type"] == "plain_text_input"
    }


def test_every_text_input_in_every_modal_has_a_max_length_slack_accepts():
    modals = _modals()
    assert {t for t, _ in modals} >= {
        "referral_modal.view.json.j2",
        "vote_modal.view.json.j2",
        "conflict_modal.view.json.j2",
        "decision_modal.view.json.j2",
        "extend_modal.view.json.j2",
    }
    for template, view in modals:
        for block, element in _text_inputs(view).items():
            limit = element.get("max_length")
            assert isinstance(limit, int), f"{template}: {block} has no max_length"
            assert 1 <= limit <= LONG_TEXT, f"{template}: {block} max_length {limit}"


def test_each_text_input_is_limited_as_the_service_checks_its_field():
    blocks = {
        **FIELD_BLOCKS,
        CallbackId.EXTEND_MODAL: {TextField.REASON: extend.FIELD_BLOCKS[ExtensionField.REASON]},
    }
    for template, view in _modals():
        by_block = {b: f for f, b in blocks.get(view["callback_id"], {}).items()}
        inputs = _text_inputs(view)
        assert set(inputs) <= set(by_block), f"{template}: a text input no service checks"
        for block, element in inputs.items():
            assert element["max_length"] == MAX_LENGTH[by_block[block]], f"{template}: {block}"
