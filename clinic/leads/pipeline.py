"""The clinic's pipeline: the stages a lead moves through and the words staff see for them."""

from __future__ import annotations

OPEN_STATUSES = ("new", "contacted", "consult_booked", "consult_done", "treatment_booked")
WON_STATUSES = ("treated",)
CLOSED_STATUSES = ("not_a_candidate", "lost")
STATUSES = OPEN_STATUSES + WON_STATUSES + CLOSED_STATUSES

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

CONTACT_OUTCOMES = {
    "reached": "Reached",
    "voicemail": "Left voicemail",
    "no_answer": "No answer",
}

CONTACT_CHANNELS = {"call": "Phone call", "email": "Email", "sms": "Text message"}


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


def is_closed(status: str) -> bool:
    """Closed means the clinic stopped working the lead: not a candidate, or lost."""
    return status in CLOSED_STATUSES
