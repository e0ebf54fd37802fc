"""Consent wording on the form. New text, new version: each inquiry keeps the version it saw."""

CONSENT_VERSION = "2026-11-28"

CONSENT_TEXT = (
    "I agree that the clinic may store the information in this form and use it to contact me "
    "about my inquiry. I understand this is not a request for emergency care and that sending "
    "it does not start any treatment or create any obligation."
)

SMS_CONSENT_TEXT = (
    "You may also send me text messages about my inquiry (optional; message and data rates may "
    "apply; reply STOP to opt out)."
)
