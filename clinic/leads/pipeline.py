"""The clinic's pipeline: the stages a lead moves through and the words staff see for them."""

from __future__ import annotations

OPEN_STATUSES = ("new", "contacted", "consult_booked", "consult_done", "treatment_booked")
WON_STATUSES = ("treated",)
CLOSED_STATUSES = ("not_a_candidate", "lost")
STATUSES = OPEN_STATUSES + WON_STATUSES + CLOSED_STATUSES
# The funnel, in order; a lead's rank is the index of the furthest stage it reached.
FUNNEL_STAGES = OPEN_STATUSES + WON_STATUSES
STAGE_RANK = {status: rank for rank, status in enumerate(FUNNEL_STAGES)}

STATUS_LABELS = {
    "new": "New",
    "contacted": "Contacted",
    "consult_booked": "Consult booked",
    "consult_done": "Consult done",
    "treatment_booked": "Treatment booked",
    "treated": "Treated",
    "not_a_candidate": "Not a candidate",
    "lost": "Lost",
}

LOST_REASONS = {
    "unreachable": "Unreachable",
    "cost": "Cost",
    "chose_another_provider": "Chose another provider",
    "not_interested": "Not interested",
    "no_show": "No-show",
    "duplicate": "Duplicate",
    "spam": "Spam",
    "other": "Other",
}

CONTACT_CHANNELS = {"call": "Phone call", "email": "Email", "sms": "Text message"}

CONTACT_OUTCOMES = {
    "reached": "Reached",
    "no_answer": "No answer",
    "voicemail": "Left voicemail",
    "wrong_number": "Wrong number",
    "sent": "Sent",
    "replied": "Replied",
    "bounced": "Bounced",
}
# What can come of each kind of contact: a call is answered or not, a message is sent, answered
# or returned undelivered.
OUTCOMES_BY_CHANNEL = {
    "call": ("reached", "no_answer", "voicemail", "wrong_number"),
    "email": ("sent", "replied", "bounced"),
    "sms": ("sent", "replied", "bounced"),
}
# The person answered: the attempt reached them. Every other outcome is an unanswered attempt.
REACHED_OUTCOMES = ("reached", "replied")
# How a patient asked to be contacted (the inquiry form's choice) as the channel to use.
_CHANNEL_FOR_PREFERENCE = {"phone": "call", "email": "email", "sms": "sms"}


def stage_rank(status: str | None) -> int | None:
    """Position in the funnel; None for closed statuses (lost, not a candidate)."""
    return STAGE_RANK.get(status or "")


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


def is_closed(status: str) -> bool:
    """Closed means the clinic stopped working the lead: not a candidate, or lost."""
    return status in CLOSED_STATUSES


# Closing a lead as spam or a duplicate is not a conversation with the person, so it must not
# count as the first contact that speed to lead measures.
NO_CONTACT_REASONS = ("duplicate", "spam")


class PipelineError(ValueError):
    """A status change the pipeline does not allow; the message says what to fix."""


def check_status_change(to_status: str, lost_reason: str | None) -> str | None:
    """The lost reason to store for a move to ``to_status`` (None unless the lead is lost).

    :raise PipelineError: for an unknown status, or `lost` without a known reason.
    """
    if to_status not in STATUSES:
        raise PipelineError(f"“{to_status}” is not a stage of the pipeline.")
    if to_status != "lost":
        return None
    if not lost_reason:
        raise PipelineError("Choose why the lead was lost.")
    if lost_reason not in LOST_REASONS:
        raise PipelineError(f"“{lost_reason}” is not one of the reasons a lead can be lost for.")
    return lost_reason


def counts_as_first_contact(from_status: str, to_status: str, lost_reason: str | None) -> bool:
    """Leaving `new` means someone reached out, unless the lead was closed as spam or duplicate."""
    if from_status != "new" or to_status == "new":
        return False
    return not (to_status == "lost" and lost_reason in NO_CONTACT_REASONS)


def channel_for_preference(preferred_contact: str | None) -> str | None:
    """The contact channel for the way the person prefers to be contacted; None when unknown."""
    return _CHANNEL_FOR_PREFERENCE.get(preferred_contact or "")


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)
