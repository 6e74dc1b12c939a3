"""Every slash command, action, callback and block ID a template emits and a handler listens for.

Templates get these enums as globals (``{{ ActionId.VOTE_STATUTORY|tojson }}``) and handlers
register on them (``app.action(ActionId.VOTE_STATUTORY)``), so a renamed ID cannot leave a
button without a listener. Values are part of the contract with Slack messages already posted:
renaming a value orphans the buttons on old cards, so add new members rather than rename.

Input blocks in modals: each input block's ``block_id`` is a :class:`BlockId` and its one element's
``action_id`` is :attr:`ActionId.FIELD`, so a submitted value is
``view["state"]["values"][BlockId.X][ActionId.FIELD]``.
"""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    """A slash command, as named in ``manifest.yaml``."""

    REVIEW = "/review"


class CallbackId(StrEnum):
    """``callback_id`` of a modal or the App Home view."""

    REFERRAL_MODAL = "referral_modal"
    REFERRAL_DONE = "referral_done"
    VOTE_MODAL = "vote_modal"
    CONFLICT_MODAL = "conflict_modal"
    DECISION_MODAL = "decision_modal"
    EXTEND_MODAL = "extend_modal"
    ERROR_MODAL = "error_modal"
    DATE_MODAL = "date_modal"  # record (or correct) when something happened
    STAGE_MODAL = "stage_modal"  # move a case to its next stage
    REVISE_MODAL = "revise_modal"  # revise a recorded decision
    EDIT_MODAL = "edit_modal"  # correct a case's details
    CONVERT_MODAL = "convert_modal"  # change a case's review type
    HOME = "home"


class ActionId(StrEnum):
    """``action_id`` of a button or input element."""

    # the one element of every modal input block (see the module docstring)
    FIELD = "field"
    # case card: one button per recommendation, and the conflict declaration
    VOTE_STATUTORY = "vote_statutory"
    VOTE_ALTERNATIVE = "vote_alternative"
    VOTE_NFA = "vote_nfa"
    VOTE_MORE_INFO = "vote_more_info"
    DECLARE_CONFLICT = "declare_conflict"
    # case card: the sub-group chair's and the decision-maker's buttons
    OPEN_VOTING = "open_voting"
    CLOSE_VOTING = "close_voting"
    CLOSE_VOTING_WITHOUT_QUORUM = "close_voting_without_quorum"
    RECORD_DECISION = "record_decision"
    # case card after the decision: the business manager's and the decision-maker's buttons
    RECORD_DATE = "record_date"
    NEXT_STAGE = "next_stage"
    REVISE_DECISION = "revise_decision"
    # reminders (DMs and the digest)
    MARK_DONE = "mark_done"
    EXTEND = "extend"
    OPEN_CASE = "open_case"
    # App Home
    REFER_CASE = "refer_case"


class BlockId(StrEnum):
    """``block_id`` of a block a handler reads (modal inputs) or a template must keep unique."""

    # referral modal
    BOARD = "board"
    REVIEW_TYPE = "review_type"
    PSEUDONYM = "pseudonym"
    SUBJECT_NAME = "subject_name"
    SUBJECT_DOB = "subject_dob"
    SUBJECT_ADDRESS = "subject_address"
    AGENCY = "agency"
    INCIDENT_DATE = "incident_date"
    AWARE_DATE = "aware_date"
    SUMMARY = "summary"
    CRITERIA = "criteria"
    # vote and conflict modals
    RATIONALE = "rationale"
    ALTERNATIVE_TYPE = "alternative_type"
    CONFLICT_REASON = "conflict_reason"
    # decision modal
    OUTCOME = "outcome"
    DECISION_REVIEW_TYPE = "decision_review_type"
    METHODOLOGY = "methodology"
    REASONS = "reasons"
    DECISION_DATE = "decision_date"
    # extend modal
    EXTEND_DEADLINE = "extend_deadline"
    NEW_DUE_DATE = "new_due_date"
    EXTEND_REASON = "extend_reason"
    # case card and reminders
    CASE_SUMMARY = "case_summary"
    VOTE_ACTIONS = "vote_actions"
    CHAIR_ACTIONS = "chair_actions"
    CASE_ACTIONS = "case_actions"  # Record a date, Next stage, Revise the decision
    # record a date modal
    DATE_EVENT = "date_event"
    DATE_ON = "date_on"
    DATE_NOTE = "date_note"
    # stage modal
    STAGE = "stage"
    STAGE_REASON = "stage_reason"
    # revise modal (with OUTCOME, DECISION_REVIEW_TYPE, METHODOLOGY, REASONS, DECISION_DATE)
    REVISION_REASONS = "revision_reasons"
    # edit and convert modals (with PSEUDONYM, SUMMARY, REVIEW_TYPE, INCIDENT_DATE, AWARE_DATE)
    REFERRAL_DATE = "referral_date"  # also the referral modal's "date received"
    LEAD_MEMBER = "lead_member"
    CONVERT_TYPE = "convert_type"
    CONVERT_REASON = "convert_reason"
    REMINDER_ACTIONS = "reminder_actions"
    # help and errors
    HELP_HEADER = "help_header"
    HELP_UNKNOWN = "help_unknown"
    ERROR_MESSAGE = "error_message"
    ERROR_REFERENCE = "error_reference"
