"""The consent wording an inquiry agreed to, for the lead record's consent facts."""

from __future__ import annotations

from dataclasses import dataclass

from clinic.leads import consent
from clinic.models import Inquiry
from clinic.staff import bp


@dataclass(frozen=True)
class AgreedWording:
    text: str
    # False: the inquiry predates each inquiry keeping its own wording; this is the text stored
    # for its version label.
    own_record: bool


@bp.app_template_global("consent_wording")
def consent_wording(inquiry: Inquiry) -> AgreedWording | None:
    """Read only when the record's consent section is drawn: one small query."""
    stored, own = consent.text_of(inquiry.consent_text_id, inquiry.consent_version)
    return AgreedWording(stored.text, own) if stored is not None else None
