"""The privacy notice's generated part: what this installation does with a patient's details,
read from its running configuration, shown beside the clinic's own text on /privacy.

The clinic's words (clinic/content/pages/privacy.md, or as edited in the browser) can't know
whether an admin has connected a webhook, switched acknowledgements off or shortened the
retention period; these facts come from the settings and the webhook table at the time the page
is shown, so the notice can't drift from what the software does. The webhook list is read at
most every CLINIC_CONTENT_CACHE_SECONDS per worker: /privacy is a public page.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import limits
from flask import current_app
from sqlalchemy import select

from clinic.automation.webhooks import EVENT_TYPES
from clinic.extensions import db
from clinic.models import WebhookEndpoint
from clinic.models.automation import event_names
from clinic.profile import current_profile
from clinic.public import bp
from clinic.worker_cache import cached

# What a webhook event tells the receiving system, by the endpoint's personal-data switch
# (clinic.automation.webhooks._lead_data).
WITHOUT_PERSONAL_DATA = (
    "an inquiry number, its stage, which coordinator has it, the website or campaign that "
    "brought you, and dates; not your name, contact details or condition"
)
WITH_PERSONAL_DATA = (
    "your name, email address, phone number, the condition you asked about, how and when you "
    "prefer to be contacted, and the inquiry’s stage, coordinator, source and dates"
)
# The patients' words for each event (the staff list says "lead").
EVENT_WORDS = {
    "lead.created": "when your inquiry arrives",
    "lead.status_changed": "when it moves to another stage",
    "lead.assigned": "when a coordinator is given it",
}


@dataclass(frozen=True)
class Receiver:
    """One active webhook, as the notice names it: the receiving host only (an address's path
    can hold a key)."""

    host: str
    personal: bool
    when: tuple[str, ...]

    @property
    def carries(self) -> str:
        return WITH_PERSONAL_DATA if self.personal else WITHOUT_PERSONAL_DATA


@dataclass(frozen=True)
class PrivacyFacts:
    receivers: tuple[Receiver, ...]
    acknowledgement: bool
    staff_alerts: bool
    keep_sent_days: int
    retention_months: int
    rate_limited: bool
    rate_limit_store: str  # "memory" or "separate"
    rate_limit_window: str  # "a day"
    clinic_email: str
    clinic_phone: str

    @property
    def personal_receivers(self) -> tuple[Receiver, ...]:
        return tuple(receiver for receiver in self.receivers if receiver.personal)


def _receivers() -> tuple[Receiver, ...]:
    rows = db.session.execute(
        select(WebhookEndpoint.url, WebhookEndpoint.events, WebhookEndpoint.include_personal_data)
        .where(WebhookEndpoint.active.is_(True))
        .order_by(WebhookEndpoint.id)
    ).all()
    found = []
    for url, events, personal in rows:
        chosen = [name for name in event_names(events) if name in EVENT_TYPES]
        if not chosen:
            continue
        host = urlsplit(url).hostname or "another system"
        found.append(Receiver(host, bool(personal), tuple(EVENT_WORDS[n] for n in chosen)))
    return tuple(found)


def _window(limit_text: str) -> str:
    """The longest window of a rate limit ('5/minute;30/day' → 'a day')."""
    try:
        seconds = max(item.get_expiry() for item in limits.parse_many(limit_text))
    except ValueError:
        return "a short time"
    for size, single, plural in (
        (365 * 86400, "a year", "years"),
        (30 * 86400, "a month", "months"),
        (86400, "a day", "days"),
        (3600, "an hour", "hours"),
        (60, "a minute", "minutes"),
    ):
        if seconds >= size:
            count = seconds // size
            return single if count == 1 else f"{count} {plural}"
    return "a minute"


def privacy_facts() -> PrivacyFacts:
    config = current_app.config
    profile = current_profile()
    storage = config.get("RATELIMIT_STORAGE_URI") or "memory://"
    return PrivacyFacts(
        receivers=cached("privacy_notice:receivers", _receivers),
        acknowledgement=bool(config["CLINIC_SEND_ACKNOWLEDGEMENT"]),
        staff_alerts=bool(config["CLINIC_NOTIFY_EMAILS"]),
        keep_sent_days=int(config["OUTBOX_KEEP_SENT_DAYS"]),
        retention_months=int(config["CLINIC_RETENTION_MONTHS"]),
        rate_limited=bool(config.get("RATELIMIT_ENABLED")),
        rate_limit_store="memory" if storage.startswith("memory://") else "separate",
        rate_limit_window=_window(config["RATELIMIT_INQUIRY"]),
        clinic_email=getattr(profile, "email", "") or "",
        clinic_phone=profile.phone,
    )


@bp.app_template_global("privacy_facts")
def privacy_facts_for_template() -> PrivacyFacts:
    """Called only by templates/public/_privacy_generated.html, so other pages read nothing."""
    return privacy_facts()
